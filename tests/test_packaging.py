"""pyproject.toml is the source of truth; environment.yml and the pinned constraints follow it."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from cxlib.core import PROJECT_ROOT

# conda-forge names that differ from the PyPI names
CONDA_TO_PYPI = {"python-duckdb": "duckdb", "ibis-duckdb": "ibis-framework"}
# conda-forge packages pip cannot install: the Java runtime Spark needs
CONDA_ONLY = {"openjdk"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0].lower()


def pyproject_packages() -> set[str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project.get("optional-dependencies", {}).values():
        names |= {_name(r) for r in extra}
    return names


def test_environment_yml_names_the_same_packages_as_pyproject():
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    conda = set()
    pip_lines = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_lines += dep.get("pip", [])
            continue
        name = _name(dep)
        if name not in {"python", "pip"} | CONDA_ONLY:
            conda.add(CONDA_TO_PYPI.get(name, name))
    assert conda == pyproject_packages()
    assert "conda-forge" in env["channels"]
    assert pip_lines == ["-e ."], "the conda environment ends by installing the kit itself"


def test_constraints_pin_every_dependency():
    pinned = {}
    for line in (PROJECT_ROOT / ".ci" / "constraints-py311.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.lower().replace("_", "-")] = version
    missing = sorted(n for n in pyproject_packages() if n.replace("_", "-") not in pinned)
    assert not missing, f"not pinned in .ci/constraints-py311.txt: {missing}"
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+-]*", v) for v in pinned.values())


@pytest.fixture(scope="module")
def grouped():
    """A module-scoped fixture: its users share one xdist group (tests/conftest.py)."""
    return "module-test_packaging"


def test_tests_sharing_a_fixture_are_scheduled_together(request, grouped):
    # the group must be in the marks, and under `--dist loadgroup` in the node id as well, which
    # is what xdist's scheduler reads (pytest 9.2's node ids ignore it: pinned below)
    assert [m.args[0] for m in request.node.iter_markers("xdist_group")] == [grouped]
    if getattr(request.config.option, "loadgroup", False):  # set in each xdist worker
        assert request.node.nodeid.endswith(f"@{grouped}"), request.node.nodeid
