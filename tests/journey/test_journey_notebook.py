"""Execute tier: the journey lesson end to end on a small synthetic journey, with and without the
optional parts, and the sanity tier (one parameters cell, no outputs, no definitions)."""

from __future__ import annotations

import json
import re

import nbformat
import pandas as pd
import pytest
from conftest import run_notebook

from cxlib import journey
from cxlib.core import NOTEBOOKS_DIR
from cxlib.synth.journey import make_journey, write_journey

pytestmark = pytest.mark.notebook
NOTEBOOK = NOTEBOOKS_DIR / "05_journey.ipynb"
END = "2025-12-31"


def _numbers(text: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*\.?\d*", text)]


def test_the_notebook_is_committed_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    for line in tagged[0].source.splitlines():
        assert re.match(r"^\w+: \w+ = .+  # .+", line), line  # typed, literal, with a comment
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert not any(re.search(r"^\s*(def|class) ", c.source, re.M) for c in code)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for cited in ("Wilson", "Kaplan and Meier", "Andersen and Gill", "Suissa", "Lemon and Verhoef"):
        assert cited in text
    assert text.count("$$") >= 10


def test_the_notebook_on_a_small_synthetic_journey(tmp_path):
    customers, events, truth = make_journey(1500, seed=11)
    files = write_journey(customers, events, tmp_path / "data")
    truth_path = tmp_path / "data" / "truth.json"
    truth_path.write_text(json.dumps({"n_customers": 1500, "observation_end": END, "journey": truth}))
    out = tmp_path / "out"
    metrics = run_notebook("05_journey", out, events_path=str(files["events"]),
                           customers_path=str(files["customers"]), truth_path=str(truth_path))

    assert metrics["n_customers"] == 1500 and metrics["n_events"] == len(events)
    funnel = pd.read_csv(out / "funnel.csv")
    assert list(funnel.columns) == journey.FUNNEL_COLUMNS
    assert list(funnel["stage"]) == ["signup", "onboarding", "first_purchase", "repeat_purchase"]
    # every generated customer signs up; later stages are reached in order in the generator
    reached = events.groupby("stage")["customer_id"].nunique()
    assert list(funnel["customers"]) == [int(reached[s]) for s in funnel["stage"]]
    assert metrics["overall_conversion"] == pytest.approx(funnel["conversion_from_previous"][1:].prod())
    by_channel = pd.read_csv(out / "funnel_by_channel.csv")
    assert list(by_channel.columns) == ["channel"] + journey.GROUP_COLUMNS
    assert by_channel.groupby("stage")["customers"].sum()["signup"] == 1500
    paths = pd.read_csv(out / "paths.csv")
    assert list(paths.columns) == ["path", "customers", "share"] and paths["customers"].sum() == 1500
    tp = pd.read_csv(out / "touchpoints.csv")
    assert list(tp.columns[:6]) == journey.TOUCHPOINT_COLUMNS
    assert tp.set_index("touchpoint").loc["support", "events"] == (events["stage"] == "support").sum()
    moments = pd.read_csv(out / "moments_of_truth.csv")
    assert list(moments.columns[:6]) == journey.MOMENT_COLUMNS
    assert list(moments["touchpoint"]) == ["onboarding", "support", "feedback"]
    support = moments.set_index("touchpoint").loc["support"]
    assert support["hazard_ratio"] > 1 > support["naive_hazard_ratio"]
    assert metrics["truth_total"] == 15 and metrics["truth_inside"] >= 13
    for name in ("funnel", "time_to_next", "flow", "journey_map", "moments_of_truth"):
        assert (out / f"{name}.png").stat().st_size > 0
    record = json.loads((out / "findings.json").read_text())
    assert record["key_figure"] == "journey_map.png"
    assert record["findings"] == journey.key_findings(metrics)  # rederived from metrics.json
    first, second, third = record["findings"]
    assert round(100 * metrics["overall_conversion"], 1) in _numbers(first)
    assert round(metrics["moment_hazard_ratio"], 2) in _numbers(second)
    assert round(metrics["moment_naive_hazard_ratio"], 2) in _numbers(third)


def test_the_notebook_without_customers_scores_or_channels(tmp_path):
    customers, events, _ = make_journey(300, seed=4)
    path = tmp_path / "events.csv"
    events.drop(columns=["channel", "score"]).rename(columns={"customer_id": "user", "stage": "event"}).to_csv(
        path, index=False)
    out = tmp_path / "out"
    metrics = run_notebook("05_journey", out, events_path=str(path), customer_col="user", stage_col="event",
                           channel_col="", score_col="", customers_path="", truth_path="",
                           funnel_stages=["signup", "onboarding", "first_purchase"])
    assert metrics["n_customers"] == 300 and "moment_touchpoint" not in metrics
    assert len(pd.read_csv(out / "funnel.csv")) == 3
    assert not (out / "moments_of_truth.csv").exists() and not (out / "funnel_by_channel.csv").exists()
    assert pd.read_csv(out / "touchpoints.csv")["mean_score"].isna().all()
    assert len(json.loads((out / "findings.json").read_text())["findings"]) == 1
