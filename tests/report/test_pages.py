"""Report pages: formulas written as MathML, no asset loaded from the network, progress lines."""

from __future__ import annotations

import re
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cxlib.report.pages import FormulaError, render_pages, tex_to_mathml
from cxlib.report.progress import ProgressPrinter, summary_table


def test_the_kits_formulas_become_mathml():
    block = tex_to_mathml(r"\hat S(t) = \prod_{t_j \le t} \left(1 - \frac{d_j}{n_j}\right)", display=True)
    assert block.startswith("<math") and 'display="block"' in block
    assert "<mfrac>" in block and "&#x0220F;" in block  # the fraction and the product sign
    assert "\\" not in block
    inline = tex_to_mathml(r"\binom{n}{2}")
    assert 'display="inline"' in inline


def test_a_formula_that_cannot_be_drawn_is_named():
    with pytest.raises(FormulaError, match=r"cannot render the formula 'x\^': Missing"):
        tex_to_mathml("x^")
    with pytest.raises(FormulaError, match=r"unknown command \\hatt"):
        tex_to_mathml(r"\hatt S(t)")


def test_pages_carry_mathml_and_load_nothing_from_the_network(tmp_path):
    nb = new_notebook(cells=[
        new_markdown_cell("# Title\n\nThe estimator $$\\hat S(t) = \\prod_j (1 - d_j/n_j)$$ "
                          "with `$x$` in code and $n_j$ inline."),
        new_code_cell("show('x')", outputs=[new_output(
            "display_data", data={"text/markdown": "Worth \\$13.88 and $R^2 = 0.77$.",
                                  "text/plain": "<Markdown>"})]),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    plain, code = render_pages(path)
    for page in (plain, code):
        html = page.read_text()
        assert html.count("<math") == 3, page.name
        assert "$$" not in html and "\\hat" not in html and "$13.88" in html
        assert "<code>$x$</code>" in html  # code spans stay as written
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
        assert not [s for s in sources if s.startswith(("http", "//"))], sources
        assert "cdnjs" not in html and "MathJax" not in html
    assert 'hl-ipython3' not in plain.read_text() and 'hl-ipython3' in code.read_text()  # code blocks


def test_progress_lines_are_throttled_and_the_last_cell_is_always_shown():
    lines, now = [], [0.0]
    printer = ProgressPrinter(lines.append, every=5, clock=lambda: now[0])
    printer.start("01_churn")
    for done, t in [(0, 0), (1, 1), (2, 6), (3, 7), (4, 8)]:
        now[0] = t
        printer(("01_churn", done, 4))
    assert lines == ["  01_churn: 2/4 cells, 6 s", "  01_churn: 4/4 cells, 8 s"]


def test_summary_table_names_status_time_and_cause():
    rows = [SimpleNamespace(notebook="00_overview", status="ok", seconds=10.24, error=None),
            SimpleNamespace(notebook="04_clv", status="failed", seconds=3.0,
                            error="DataError: duplicate ids")]
    table = summary_table(rows).splitlines()
    assert table[0].split() == ["notebook", "status", "time"]
    assert table[2].split() == ["00_overview", "ok", "10.2", "s"]
    assert table[3].split()[:4] == ["04_clv", "failed", "3.0", "s"] and table[3].endswith("duplicate ids")
