"""Sanity tier for every notebook: one typed, literal parameters cell, no outputs, no functions."""

from __future__ import annotations

import ast

import nbformat
import pytest

from cxlib.report import list_notebooks

NOTEBOOKS = list_notebooks()


def test_the_kit_has_its_notebooks():
    names = {nb.stem for nb in NOTEBOOKS}
    assert "00_overview" in names


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def notebook(request):
    return nbformat.read(request.param, as_version=4)


def test_exactly_one_parameters_cell(notebook):
    tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0].cell_type == "code"


def test_parameters_are_typed_literals_with_comments(notebook):
    cell = next(c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse(cell.source)
    names = []
    for stmt in tree.body:
        assert isinstance(stmt, ast.AnnAssign), f"not an annotated assignment: {ast.unparse(stmt)}"
        ast.literal_eval(stmt.value)  # raises for anything but a literal
        names.append(stmt.target.id)
    assert "output_dir" in names
    for line in cell.source.splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            assert "#" in line, f"parameter without a comment: {line}"


def test_no_committed_outputs(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_no_functions_or_classes_defined_in_notebooks(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for node in ast.walk(ast.parse(cell.source)):
                assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)), \
                    "define functions in cxlib, not in notebooks"


def test_kernelspec_is_python3(notebook):
    assert notebook.metadata["kernelspec"]["name"] == "python3"


def test_starts_with_a_lesson_title(notebook):
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_has_a_unique_id_and_the_notebook_validates(path):
    import json

    raw = json.loads(path.read_text())  # as committed: nbformat.read would fill missing ids in
    ids = [c.get("id") for c in raw["cells"]]
    assert all(ids) and len(set(ids)) == len(ids), "every cell needs its own id (nbformat 4.5)"
    nbformat.validate(nbformat.from_dict(raw))
