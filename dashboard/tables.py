"""A table on the Trends and Model pages: its numbers kept (they sort as numbers), the text of
each cell from :mod:`dashboard.formats`, readable headers, and "—" where a figure is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import formats


def show(frame: pd.DataFrame, kinds: Mapping[str, str] | None = None, *,
         headers: Mapping[str, str] | None = None, config: Mapping[str, Any] | None = None,
         max_rows: int | None = None) -> None:  # fmt: skip
    """``frame`` (its first ``max_rows`` if given) as a table.

    ``kinds`` says how columns read (:func:`formats.formatters`), ``headers`` renames
    columns beyond :func:`formats.label`, ``config`` holds Streamlit column settings (a
    date's format, say), which get the column's header unless they name one.
    """
    head = frame if max_rows is None else frame.head(max_rows)
    names = formats.labels(head.columns, **(headers or {}))
    column_config: dict[str, Any] = dict(names)
    for column, setting in (config or {}).items():
        column_config[column] = {**setting, "label": setting.get("label") or names.get(column, column)}
    st.dataframe(formats.styled(head, kinds or {}), hide_index=True, width="stretch",
                 column_config=column_config, placeholder=formats.MISSING)  # fmt: skip
