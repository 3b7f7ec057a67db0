"""Every case of the bad-input corpus (``corpus.py``) through the real runner, one test each.

A refused case must stop before a kernel starts; an error must be the kit's own ``DataError`` at
the notebook's first steps, with the file, column and rows in its words; a warning case must finish
with the warning shown and the right numbers saved.
"""

from __future__ import annotations

import json
import re

import pytest
from corpus import CASES

from cxlib.report import ReportError, execute_notebook


def _shown_warnings(executed) -> str:
    nb = json.loads(executed.read_text())
    return "\n".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                     for c in nb["cells"] if c["cell_type"] == "code"
                     for o in c.get("outputs", []) if o.get("name") == "stderr")


def _shown_error(executed) -> str:
    nb = json.loads(executed.read_text())
    return "\n".join(f"{o['ename']}: {o['evalue']}" for c in nb["cells"] if c["cell_type"] == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "error")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, tmp_path):
    params = case.parameters(tmp_path / "data")
    given = {k: v for k, v in params.items() if not k.startswith("_")}
    out = tmp_path / "run"
    if case.outcome == "refused":
        with pytest.raises(ReportError, match=case.match):
            execute_notebook(case.notebook, out, given)
        assert not (out / f"{case.notebook}.ipynb").exists()  # no kernel was started
        return
    result = execute_notebook(case.notebook, out, given)
    if case.outcome == "error":
        assert result.status == "failed", f"{case.name} was accepted"
        assert result.error.startswith("DataError: "), result.error  # the kit's message, no library's
        shown = _shown_error(out / f"{case.notebook}.ipynb")  # in full: the index shows its first line
        assert re.search(case.match, shown), shown
        return
    assert result.status == "ok", result.error
    if case.outcome == "warning":
        shown = _shown_warnings(out / f"{case.notebook}.ipynb")
        assert re.search(case.match, shown, re.S), shown[-2000:]
    case.check(out, params)


def test_the_corpus_can_be_written_for_trying_by_hand(tmp_path):
    from corpus import write_corpus

    written = write_corpus(tmp_path)
    assert len(written) == len(CASES) and all(p.read_text().startswith("# ") for p in written)
