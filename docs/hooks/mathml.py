"""MkDocs hook: LaTeX maths becomes MathML when the site is built, so pages need no script.

``pymdownx.arithmatex`` (generic mode) finds ``$...$``, ``$$...$$``, ``\\(...\\)`` and
``\\[...\\]`` in the Markdown of the pages and of the docstrings, and wraps them, unchanged, in
``<span class="arithmatex">`` or ``<div class="arithmatex">``.  This hook converts each to
MathML Core with ``math-core`` (a LaTeX-to-MathML compiler installed by the ``docs`` extra),
which every current browser renders natively: the built site loads no MathJax or KaTeX, from a
CDN or elsewhere, and reads offline.  LaTeX that does not convert (an unknown command, an
unbalanced brace) stops the build with the page and the formula.
"""

from __future__ import annotations

import html
import re

MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">(?P<body>.*?)</(?P=tag)>',
    re.DOTALL,
)
DELIMITERS = {"span": (r"\(", r"\)"), "div": (r"\[", r"\]")}


def strip_delimiters(tag: str, body: str) -> str:
    """The LaTeX inside one arithmatex element (its ``\\(...\\)`` or ``\\[...\\]`` removed)."""
    opening, closing = DELIMITERS[tag]
    latex = html.unescape(body).strip()
    if not (latex.startswith(opening) and latex.endswith(closing)):
        raise ValueError(f"unexpected arithmatex output {body!r}")
    return latex[len(opening) : -len(closing)].strip()


def to_mathml(page_html: str, convert) -> str:
    """``page_html`` with every arithmatex element replaced by ``convert(latex, display)``."""

    def replace(match: re.Match[str]) -> str:
        display = match["tag"] == "div"
        latex = strip_delimiters(match["tag"], match["body"])
        try:
            mathml = convert(latex, display)
        except Exception as error:
            raise ValueError(f"{latex!r}: {error}") from None
        return f'<div class="math">{mathml}</div>' if display else mathml

    return MATH.sub(replace, page_html)


_converter = None


def _convert(latex: str, display: bool) -> str:
    global _converter
    if _converter is None:
        from math_core import LatexToMathML

        _converter = LatexToMathML(fancy_error=False)
    return _converter.convert_with_local_state(latex, displaystyle=display)


def on_page_content(html_text: str, page, config, files) -> str:
    from mkdocs.exceptions import PluginError

    try:
        return to_mathml(html_text, _convert)
    except Exception as error:  # math_core.LatexError says what and where
        raise PluginError(f"{page.file.src_uri}: maths that does not convert: {error}") from None
