"""The HTML pages of an executed notebook, readable without a network.

Formulas are converted from TeX to MathML when the page is written (``latex2mathml``), and
browsers draw MathML natively, so a page needs no MathJax from a CDN: it renders the same on a
laptop with no route to the internet. The page template (``templates/notebook.html.j2``) drops
the other scripts nbconvert would load from the network (RequireJS, Mermaid).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["FormulaError", "tex_to_mathml", "render_pages"]

_TEMPLATES = Path(__file__).parent / "templates"
_UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<")


class FormulaError(ValueError):
    """A formula in a notebook could not be converted to MathML."""


def tex_to_mathml(tex: str, display: bool = False) -> str:
    """Convert one TeX formula (without its ``$`` delimiters) to a ``<math>`` element.

    Raises
    ------
    FormulaError
        When the formula cannot be converted; the message quotes it.
    """
    from latex2mathml.converter import convert

    try:
        mathml = convert(tex.strip(), display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises one type per kind of syntax error
        raise FormulaError(f"cannot render the formula {tex.strip()!r}: "
                           f"{str(exc) or type(exc).__name__}") from exc
    # an unknown command is passed through as text, which a reader would see as raw TeX
    unknown = _UNKNOWN_COMMAND.findall(mathml)
    if unknown:
        raise FormulaError(f"cannot render the formula {tex.strip()!r}: unknown command "
                           f"{', '.join(sorted(set(unknown)))}")
    return mathml


def _renderer_class():
    # nbconvert's renderer finds the formulas (and leaves code spans alone); only its output
    # changes, so importing it lazily keeps `import cxlib.report` light.
    from nbconvert.filters.markdown_mistune import IPythonRenderer

    class MathMLRenderer(IPythonRenderer):
        """nbconvert's Markdown renderer, writing formulas as MathML instead of TeX."""

        def block_math(self, body: str) -> str:
            return tex_to_mathml(body, display=True)

        def inline_math(self, body: str) -> str:
            return tex_to_mathml(body)

        def latex_environment(self, name: str, body: str) -> str:
            return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    return MathMLRenderer


def _exporter(exclude_code: bool):
    from jinja2 import pass_context
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    renderer_class = _renderer_class()

    class ReportExporter(HTMLExporter):
        """HTML pages whose formulas are MathML and whose assets are all on the page."""

        @pass_context  # nbconvert calls its markdown2html filter with the template context
        def markdown2html(self, context, source):
            cell = context.get("cell", {})
            path = context.get("resources", {}).get("metadata", {}).get("path", "")
            renderer = renderer_class(escape=False, attachments=cell.get("attachments", {}),
                                      embed_images=self.embed_images, path=path,
                                      anchor_link_text=self.anchor_link_text,
                                      exclude_anchor_links=self.exclude_anchor_links)
            return MarkdownWithMath(renderer=renderer).render(source)

    options = dict(extra_template_paths=[str(_TEMPLATES)], template_file="notebook.html.j2")
    if exclude_code:
        options.update(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    return ReportExporter(**options)


def render_pages(executed: str | Path) -> tuple[Path, Path]:
    """Write ``<nb>.html`` without code (for stakeholders) and ``<nb>_code.html`` with code.

    Returns
    -------
    (Path, Path)
        The two pages, beside the executed notebook.
    """
    import nbformat

    executed = Path(executed)
    nb = nbformat.read(executed, as_version=4)
    plain = executed.with_suffix(".html")
    code = executed.with_name(f"{executed.stem}_code.html")
    plain.write_text(_exporter(exclude_code=True).from_notebook_node(nb)[0])
    code.write_text(_exporter(exclude_code=False).from_notebook_node(nb)[0])
    return plain, code
