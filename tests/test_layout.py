"""The layout's rules: notebooks import only package doors, no module takes another's private
names, one time-unit vocabulary, one truth convention."""

from __future__ import annotations

import ast
import json

import pytest

from cxlib.core import NOTEBOOKS_DIR, PROJECT_ROOT, unit_days, unit_name

LIBRARY = PROJECT_ROOT / "cxlib"
PACKAGES = sorted(p.name for p in LIBRARY.iterdir() if (p / "__init__.py").exists())
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def _code(notebook) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, 0, []


def test_the_library_has_one_package_per_analysis():
    assert {"core", "synth", "overview", "churn", "satisfaction", "segments", "clv", "report"} <= set(PACKAGES)
    flat = [p.name for p in LIBRARY.glob("*.py") if p.name != "__init__.py"]
    assert flat == [], f"modules outside a package: {flat}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_import_only_package_doors(notebook):
    for source in _code(notebook):
        for module, _, names in _imports(ast.parse(source)):
            if not module.startswith("cxlib"):
                continue
            parts = module.split(".")
            assert len(parts) <= 2, f"{notebook.name} reaches into a module: {module}"
            if len(parts) == 1:
                assert set(names) <= set(PACKAGES), f"{notebook.name} imports {names} from cxlib"
            else:
                assert parts[1] in PACKAGES, f"{notebook.name} imports from {module}"
            assert not [n for n in names if n.startswith("_")], f"{notebook.name}: private import"


def test_no_module_imports_a_private_name():
    offenders = []
    for path in LIBRARY.rglob("*.py"):
        for module, level, names in _imports(ast.parse(path.read_text())):
            if module == "__future__":
                continue
            private = [n for n in names if n.startswith("_")]
            if private and (level or module.startswith("cxlib")):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}: {private} from {module}")
    assert offenders == []


@pytest.mark.parametrize("spellings, name", [
    (["D", "d", "day", "days", "Days"], "days"),
    (["W", "w", "week", "weeks"], "weeks"),
    (["M", "m", "month", "months", "MONTHS"], "months"),
    (["Y", "year", "years"], "years"),
])
def test_one_time_unit_vocabulary(spellings, name):
    assert {unit_name(s) for s in spellings} == {name}
    assert unit_days(name) == {"days": 1, "weeks": 7, "months": 365.25 / 12, "years": 365.25}[name]


def test_an_unknown_time_unit_names_the_spellings():
    with pytest.raises(ValueError, match="D/W/M/Y or days/weeks/months/years, got 'fortnight'"):
        unit_name("fortnight")


def test_every_notebook_with_a_time_unit_or_a_truth_uses_the_shared_conventions():
    import papermill as pm

    with_truth = set()
    for notebook in NOTEBOOKS:
        params = pm.inspect_notebook(str(notebook))
        if "time_unit" in params:
            unit_name(json.loads(params["time_unit"]["default"]))  # the default is a valid spelling
            assert "D/days, W/weeks, M/months or Y/years" in params["time_unit"]["help"], notebook.name
        if "truth_path" in params:
            with_truth.add(notebook.stem)
            assert params["truth_path"]["inferred_type_name"] == "str"
            assert '"" to skip' in params["truth_path"]["help"]
    assert {"01_churn_survival", "03_segmentation", "04_clv"} <= with_truth


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_cell_prints_the_path_of_a_saved_artifact(notebook):
    """A cell ending in out.figure(...) or out.table(...) would print 'PosixPath(...)' into the
    report; the semicolon hides it."""
    for source in _code(notebook):
        tree = ast.parse(source)
        if not tree.body:
            continue
        last = tree.body[-1]
        call = getattr(last, "value", None)
        is_artifact = (isinstance(last, ast.Expr) and isinstance(call, ast.Call)
                       and isinstance(call.func, ast.Attribute) and call.func.attr in {"figure", "table"}
                       and getattr(call.func.value, "id", "") == "out")
        if is_artifact:
            last_line = source.rstrip().splitlines()[-1].split("#")[0].rstrip()
            assert last_line.endswith(";"), f"{notebook.name}: {last_line}"


def test_there_is_one_conftest():
    """``from conftest import run_notebook`` finds whichever conftest comes first on sys.path."""
    found = sorted(str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "tests").rglob("conftest.py"))
    assert found == ["tests/conftest.py"]


def test_test_modules_have_unique_names():
    """Test folders have no __init__.py, so two test files of the same name cannot both be collected."""
    from collections import Counter

    names = Counter(p.name for p in (PROJECT_ROOT / "tests").rglob("test_*.py"))
    assert [n for n, c in names.items() if c > 1] == []
