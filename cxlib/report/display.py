"""Sentences a notebook computes, shown as text a reader reads rather than program output."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["show", "show_list", "as_markdown"]

# A "$" right before a digit is a currency sign ("$13.88"), never the start of a formula in the
# kit's sentences; unescaped, Markdown would read "$13.88 ... $6.52" as one formula.
_CURRENCY = re.compile(r"(?<!\\)\$(?=\d)")
# A single line break in a computed text separates its lines (one per method, say); Markdown
# would join them into one paragraph, so each becomes a hard break.
_LINE_BREAK = re.compile(r"(?<![\n ])\n(?!\n)")


def as_markdown(text: str) -> str:
    """``text`` with currency signs escaped, ready to display as Markdown.

    Formulas (``$R^2$``) are kept; a ``$`` followed by a digit is read as a currency sign; each
    line stays a line.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected the text to display, got {type(text).__name__}")
    return _LINE_BREAK.sub("  \n", _CURRENCY.sub(r"\\$", text))


def _display(markdown: str, plain: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # the kit installs IPython, but the library works without it
        print(plain)
        return
    if get_ipython() is None:  # plain Python: a script or a test
        print(plain)
    else:
        display(Markdown(markdown))


def show(text: str) -> None:
    """Display ``text`` as a Markdown paragraph in a notebook (printed outside IPython).

    Parameters
    ----------
    text : str
        One or more sentences; Markdown (``**bold**``, ``$R^2$``) is allowed, and a ``$``
        followed by a digit is shown as a currency sign.

    Examples
    --------
    >>> show("Customers stay a median of **14.2 months**.")  # doctest: +SKIP
    """
    _display(as_markdown(text), text)


def show_list(items: Iterable[str]) -> None:
    """Display sentences as a bulleted Markdown list (one ``- item`` per line outside IPython)."""
    items = [as_markdown(i) for i in items]
    if not items:
        raise ValueError("show_list() needs at least one item")
    text = "\n".join(f"- {i}" for i in items)
    _display(text, text.replace("\\$", "$"))
