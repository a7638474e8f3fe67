"""What ``pip install .`` ships: every file the code reads at run time.

``make test`` installs the project editable, from the source tree, so a data file the
package data leaves out works here and fails in a built image (docker-compose.yml runs
``pip install .``). Building a wheel here would need setuptools from the network, so the
rules in pyproject.toml are checked against the tree instead. The image built from the
tree leaves out what .dockerignore names (the venv, build output, the local store).
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _shipped_only_as_data(path: Path) -> bool:
    """A file no Python package brings along: not a module of a package (data, or a
    script in a directory without ``__init__.py``, as the Streamlit pages are)."""
    return path.suffix != ".py" or not (path.parent / "__init__.py").exists()


def _matches(path: Path, pattern: str) -> bool:
    """As setuptools' package-data globs match: ``*`` within one directory, never across "/".

    >>> _matches(Path("data/phrases.json"), "data/*"), _matches(Path("data/sub/x.json"), "data/*")
    (True, False)
    """
    parts = pattern.split("/")
    if len(path.parts) != len(parts):
        return False
    return all(fnmatch(p, q) for p, q in zip(path.parts, parts, strict=True))


def test_every_file_the_packages_read_is_in_their_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_data: dict[str, list[str]] = config["package-data"]
    missing = []
    for top in ("streaming", "dashboard"):
        for path in sorted((ROOT / top).rglob("*")):
            rel = path.relative_to(ROOT)
            if path.is_dir() or "__pycache__" in rel.parts or not _shipped_only_as_data(path):
                continue
            covered = any(
                rel.is_relative_to(package.replace(".", "/"))
                and any(_matches(rel.relative_to(package.replace(".", "/")), p) for p in patterns)
                for package, patterns in package_data.items()
            )
            if not covered:
                missing.append(str(rel))
    assert missing == [], f"not in [tool.setuptools.package-data]: {missing}"
