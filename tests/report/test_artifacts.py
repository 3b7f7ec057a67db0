"""The artifacts writer's findings and key figure, and how computed sentences are shown."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from cxlib.report import Artifacts, as_markdown, read_findings, show, show_list


@pytest.fixture
def out(tmp_path):
    return Artifacts("99_test", tmp_path / "nb")


def test_findings_and_key_figure_are_written_for_the_index(out):
    fig = plt.figure()
    out.figure("curve", fig, key=True)
    out.figure("other", fig)
    plt.close(fig)
    assert out.findings("Half stay 31 months.", " 38% churned. ") == ["Half stay 31 months.", "38% churned."]
    record = json.loads((out.path / "findings.json").read_text())
    assert record == {"findings": ["Half stay 31 months.", "38% churned."], "key_figure": "curve.png"}
    assert read_findings(out.path) == record
    out.findings("Only this one.")  # a second call replaces the first
    assert read_findings(out.path)["findings"] == ["Only this one."]


def test_a_notebook_has_one_key_figure(out):
    fig = plt.figure()
    out.figure("curve", fig, key=True)
    out.figure("curve", fig, key=True)  # re-running the same cell is fine
    with pytest.raises(ValueError, match="already 'curve.png'"):
        out.figure("map", fig, key=True)
    plt.close(fig)


@pytest.mark.parametrize("bad, match", [((), "at least one"), (("a", "b", "c", "d"), "4 findings"),
                                        (("fine", ""), "finding 2"), ((0.73,), "finding 1")])
def test_bad_findings_are_refused_before_anything_is_written(out, bad, match):
    with pytest.raises(ValueError, match=match):
        out.findings(*bad)
    assert not (out.path / "findings.json").exists()


def test_a_rerun_starts_without_the_old_findings(tmp_path):
    first = Artifacts("99_test", tmp_path)
    first.findings("Old.")
    Artifacts("99_test", tmp_path)
    assert read_findings(tmp_path) == {"findings": [], "key_figure": None}


def test_a_key_figure_whose_file_is_gone_is_not_recorded(out):
    fig = plt.figure()
    out.figure("curve", fig, key=True)
    plt.close(fig)
    (out.path / "curve.png").unlink()
    assert read_findings(out.path)["key_figure"] is None


def test_currency_signs_are_not_read_as_formulas():
    assert as_markdown("worth $13.88, median $6.52; $R^2$ = 0.77") == \
        r"worth \$13.88, median \$6.52; $R^2$ = 0.77"
    assert as_markdown(r"already \$5") == r"already \$5"
    # each line of a computed text stays a line (Markdown would join them)
    assert as_markdown("kmeans: 4 segments\ngmm: 4 segments\n\nNext.") == \
        "kmeans: 4 segments  \ngmm: 4 segments\n\nNext."


def test_show_prints_plain_text_outside_a_notebook(capsys):
    show("Mean CLV is $13.88.")
    show_list(["One.", "Two $5."])
    assert capsys.readouterr().out == "Mean CLV is $13.88.\n- One.\n- Two $5.\n"
    with pytest.raises(TypeError):
        show(3.5)
    with pytest.raises(ValueError):
        show_list([])


def test_show_displays_markdown_in_a_notebook(monkeypatch):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", shown.append)
    show("Worth **$13.88**.")
    show_list(["a", "b"])
    assert [type(s).__name__ for s in shown] == ["Markdown", "Markdown"]
    assert shown[0].data == r"Worth **\$13.88**." and shown[1].data == "- a\n- b"


def test_a_large_table_is_written_by_arrow_and_reads_back_as_pandas_wrote_it(out, monkeypatch):
    import numpy as np
    import pandas as pd

    from cxlib.report import artifacts

    monkeypatch.setattr(artifacts, "FAST_CSV_ROWS", 5)
    df = pd.DataFrame({"customer_id": ["C1", "C2", 'a,"b', "C4", None, "C6"],
                       "rank": [1, 2, 3, 4, 5, 6],
                       "score": [0.1, 3.0, np.nan, 1e-12, 133867.1363029054, -2.5]})
    arrow = out.table("offers", df)
    assert arrow.read_text().startswith('"customer_id","rank","score"')  # Arrow's writer quotes text
    df.to_csv(out.path / "by_pandas.csv", index=False)
    pd.testing.assert_frame_equal(pd.read_csv(arrow), pd.read_csv(out.path / "by_pandas.csv"))
    indexed = out.table("indexed", df.set_index("customer_id"), index=True)
    pd.testing.assert_frame_equal(pd.read_csv(indexed), pd.read_csv(arrow))

    # a boolean column keeps pandas' writer (True/False, unquoted text), as does a small table
    flagged = out.table("flagged", df.assign(capped=[True, False] * 3))
    assert flagged.read_text().splitlines()[1] == "C1,1,0.1,True"
    unnamed = out.table("unnamed", df.set_index("rank").rename_axis(None), index=True)
    assert unnamed.read_text().startswith(",customer_id,score\n")  # pandas' header, as before
    small = out.table("small", df.head(4))
    assert small.read_text().splitlines()[0] == "customer_id,rank,score"
