"""Text from calls made safe for the page: Streamlit markdown (:func:`md`) and Plotly (:func:`plot`).

Names, queues, reasons and the words of a call come from events: a value must show
as the text it is, never as markdown or HTML. :func:`md` writes every ASCII punctuation
character (the characters CommonMark lets a backslash escape: the ones markdown, its
GFM autolinks, Streamlit's ``$math$`` and ``:color[...]`` may act on) and ``& < > " '``
as a numeric character reference, and a line break or other control character as a
space, so a value never ends the line or HTML block it sits in.

A character reference, not a backslash: it reads the same as the character both in
markdown text and inside a raw HTML block (a tile), where a backslash would show. GFM
(remark-gfm) still links a bare ``https://``, ``www.`` or e-mail address in the decoded
text, so an invisible word joiner (U+2060) goes after ``:`` before ``//``, after ``www``
and before ``@`` (it is copied with the text, unseen).

>>> md("Ana\\n\\n[Supervisor login expired](https://evil.example/sso)")
'Ana  &#91;Supervisor login expired&#93;&#40;https&#58;&#8288;&#47;&#47;evil&#46;example&#47;sso&#41;'
>>> md("O'Brien"), md("Billing & Payments"), md("Dana_Ruiz")
('O&#39;Brien', 'Billing &#38; Payments', 'Dana&#95;Ruiz')
>>> md("Chloé Martin")
'Chloé Martin'
>>> md("first line\\r\\nsecond <b>", breaks=True)
'first line<br>second &#60;b&#62;'
>>> plot("<a href='x'>%{y}</a>\\n")
'&#60;a href=&#39;x&#39;&#62;%{y}&#60;/a&#62; '
"""

from __future__ import annotations

import re
import string

# every ASCII punctuation character, and each control character, as what it becomes
_MD = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
_CONTROLS = {c: " " for c in [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]}
_MD.update(_CONTROLS)
_MD[0x2060] = "&#8288;"  # the word joiner (below): seen in the page's source
_PLOT = {ord(c): f"&#{ord(c)};" for c in "&<>\"'"} | _CONTROLS
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029\x85]")
# GFM links a bare URL, www. address or e-mail address in a text once its references are decoded
# (remark-gfm in Streamlit): an invisible word joiner keeps each from reading as one
_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?<=:)(?=//)|(?i:(?<=www)(?=\.))|(?=@)")


def md(text: object, breaks: bool = False) -> str:
    """``text`` as literal text for ``st.markdown`` (with or without ``unsafe_allow_html``),
    ``st.caption``, ``st.error``... and widget labels, on one line; with ``breaks``, its line
    breaks become ``<br>`` (for a raw HTML block only: plain markdown drops the tag)."""
    value = _AUTOLINK.sub(_JOINER, str(text))
    if not breaks:
        return value.translate(_MD)
    return "<br>".join(part.translate(_MD) for part in _LINE_BREAK.split(value))


def plot(text: object) -> str:
    """``text`` as literal text in a Plotly label (trace name, hover text, category): Plotly
    reads tags such as ``<a href>`` and ``<br>`` in them and decodes character references.

    Not for a ``hovertemplate``'s own string, where ``%{...}`` is read: put the value in the
    trace's name or custom data and name it there (``%{fullData.name}``).
    """
    return str(text).translate(_PLOT)
