"""Key findings: every notebook states them, and every number in them is one of its results.

A finding's numbers are checked against the notebook's ``metrics.json`` at the rounding the
sentence shows (``38%`` agrees with a share of 0.3798 or a percentage of 37.98, ``$13.88`` with
13.8833, ``-13`` with -12.73). A
number may also be one of the run's parameters (a scale end, a horizon, a number of resamples);
at least one number per notebook must come from ``metrics.json`` itself.
"""

from __future__ import annotations

import json
import math
import re

import pytest

from cxlib import churn, clv, experiments, overview, satisfaction, segments
from cxlib.report import list_notebooks

# A number as sentences write it: optional comparison, sign and currency, thousands separators,
# decimals, and a percent sign or percentage points ("pp").
NUMBER = re.compile(r"(?<![\w.])(?P<op>[<>]\s*)?[-+\u2212]?[$\u20ac\u00a3]?"
                    r"(?P<int>\d{1,3}(?:,\d{3})+(?![\d,])|\d+)(?P<dec>\.\d+)?(?![\d])"
                    r"(?P<unit>\s?%|\s?pp\b)?")


def numbers_in(sentence: str) -> list[dict]:
    """The numbers a sentence states, with their shown decimals and unit (% and pp: percent)."""
    out = []
    for m in NUMBER.finditer(sentence):
        dec = m.group("dec") or ""
        out.append({"text": m.group(0).strip(), "value": float(m.group("int").replace(",", "") + dec),
                    "decimals": max(len(dec) - 1, 0), "percent": bool(m.group("unit")),
                    "op": (m.group("op") or "").strip()})
    return out


def values_in(obj) -> list[float]:
    """Every number in a JSON value (nested dicts and lists included, booleans not)."""
    if isinstance(obj, bool) or obj is None:
        return []
    if isinstance(obj, (int, float)):
        return [float(obj)] if math.isfinite(obj) else []
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in values_in(x)]
    if isinstance(obj, (list, tuple)):
        return [v for x in obj for v in values_in(x)]
    return []


def agrees(number: dict, candidates: list[float]) -> bool:
    """Whether some candidate, rounded as the number is shown, is that number (sign aside).

    A percentage may come from a share (0.38) or from a value already in percent (38.0).
    """
    half = 0.5 * 10.0 ** -number["decimals"] + 1e-9
    scales = (100.0, 1.0) if number["percent"] else (1.0,)
    for shown in (abs(c) * k for c in candidates for k in scales):
        if number["op"] == "<" and shown < number["value"]:
            return True
        if number["op"] == ">" and shown > number["value"]:
            return True
        if not number["op"] and abs(shown - number["value"]) <= half:
            return True
    return False


def test_numbers_are_read_as_written():
    found = numbers_in("worth $69,417: $13.88 each, 48% of it, -13 points, +6.50 pp, p < 0.001, "
                       "a 26-week holdout on the 1-5 scale (n = 1,988)")
    assert [(n["value"], n["decimals"], n["percent"], n["op"]) for n in found] == [
        (69417.0, 0, False, ""), (13.88, 2, False, ""), (48.0, 0, True, ""), (13.0, 0, False, ""),
        (6.5, 2, True, ""), (0.001, 3, False, "<"), (26.0, 0, False, ""), (1.0, 0, False, ""),
        (5.0, 0, False, ""), (1988.0, 0, False, "")]


def test_agreement_is_at_the_shown_rounding_and_can_fail():
    (pct,) = numbers_in("38%")
    assert agrees(pct, [0.3798]) and agrees(pct, [37.98]) and not agrees(pct, [0.3749])
    assert not agrees(pct, [3.8])
    (cents,) = numbers_in("$13.88")
    assert agrees(cents, [13.8833]) and not agrees(cents, [13.89])
    (below,) = numbers_in("p < 0.001")
    assert agrees(below, [0.0002]) and not agrees(below, [0.002])


def _record(bundled_run):
    return json.loads((bundled_run.folder / "run.json").read_text())


@pytest.mark.notebook
@pytest.mark.parametrize("name", [nb.stem for nb in list_notebooks()])
def test_every_notebook_states_findings_whose_numbers_are_its_results(bundled_run, name):
    record = {n["notebook"]: n for n in _record(bundled_run)["notebooks"]}
    nb = record[name]
    assert nb["status"] == "ok", nb["error"]
    findings = nb["findings"]
    assert findings, f"{name} records no key findings (call out.findings(...) at its end)"
    assert 1 <= len(findings) <= 3 and all(isinstance(f, str) and f.strip() for f in findings)
    assert nb["key_figure"], f"{name} marks no key figure (out.figure(..., key=True))"
    metrics = json.loads((bundled_run.folder / nb["folder"] / "metrics.json").read_text())
    assert nb["metrics"] == metrics  # run.json carries the file's values
    from_metrics = values_in(metrics)
    params = values_in(nb["parameters"])
    # a level such as 95% is stated as 1 - alpha
    from_parameters = params + [1 - p for p in params if 0 < p < 1]
    grounded = 0
    for finding in findings:
        for number in numbers_in(finding):
            if agrees(number, from_metrics):
                grounded += 1
            else:
                assert agrees(number, from_parameters), (
                    f"{name}: '{number['text']}' in \"{finding}\" is neither a metrics.json value "
                    "nor a parameter at that rounding")
    assert grounded, f"{name}: no finding states a number from metrics.json"


# The kit's own notebooks build their findings with their package's key_findings from the values
# they write to metrics.json: re-deriving them from the file must give the same sentences.
REDERIVE = {
    "00_overview": lambda m, p: overview.key_findings(m),
    "01_churn_survival": lambda m, p: churn.key_findings(m, p["tier_cutoffs"][1]),
    "02_satisfaction_drivers": lambda m, p: satisfaction.key_findings(m, p["scale"], p["top_box_from"]),
    "03_segmentation": lambda m, p: segments.key_findings(m, p["n_boot"]),
    "04_clv": lambda m, p: clv.key_findings(m, p["currency"]),
    "06_experiments": lambda m, p: experiments.key_findings(m, p["units"], p["alpha"]),
}


@pytest.mark.notebook
@pytest.mark.parametrize("name", sorted(REDERIVE))
def test_findings_are_rederived_from_metrics_json(bundled_run, name):
    nb = {n["notebook"]: n for n in _record(bundled_run)["notebooks"]}[name]
    metrics = json.loads((bundled_run.folder / nb["folder"] / "metrics.json").read_text())
    assert nb["findings"] == REDERIVE[name](metrics, nb["parameters"])


def test_key_findings_round_as_stated():
    assert overview.key_findings({"n_customers": 5000, "n_survey": 12, "churned_share": 0.3798,
                                  "missing_cells": 3}) == [
        "The data hold 5,000 customers and 12 survey responses.",
        "38% of the customers had churned by the end of the observation window.",
        "3 cells are missing where a value is expected; the data-quality table shows which columns."]
    found = satisfaction.key_findings(
        {"csat_mean": 3.3531, "n": 1988, "csat_top2box": 0.4497, "nps": -12.73,
         "promoter_share": 0.251, "top_driver": "product_quality", "r2": 0.7726,
         "fix_first": ["support", "value_for_money"]}, [1, 5])
    assert found[0] == ("Mean satisfaction is 3.35 on the 1-5 scale (n = 1,988); 45% of respondents "
                        "give one of the top two scores.")
    assert found[1] == "The Net Promoter Score is -13, with 25% of respondents promoters."
    assert found[2].startswith("Product quality matters most") and "77%" in found[2]
    assert "Fix first: support and value for money" in found[2]
    value = clv.key_findings({"time_unit": "W", "horizon": 52, "n_customers": 5000,
                              "clv": {"total": 69416.6, "mean": 13.8833, "median": 6.5171,
                                      "top_decile_share": 0.4804},
                              "holdout": {"total_error_pct": -0.3999, "length": 26.29,
                                          "predicted_total": 3016.9, "actual_total": 3029.0}}, "$")
    assert value[0] == ("Over the next 52 weeks the 5,000 customers are worth $69,417 in discounted "
                        "margin: $13.88 per customer on average, $6.52 at the median.")
    assert value[2].endswith("3,017 repeat purchases against 3,029 made (0.4% under).")
    seg = segments.key_findings({"method": "kmeans", "criterion": "silhouette", "k": 4,
                                 "k_chosen_by_data": True, "n_customers": 5000,
                                 "segment_sizes": [1750, 785, 972], "stability_ari": 0.55,
                                 "stability_ari_low": 0.41, "stability_ari_high": 0.7,
                                 "truth_ari": None}, 20)
    assert seg[0] == ("The 5,000 customers fall into 4 segments (k-means, k chosen by the silhouette) "
                      "of 785 to 1,750 customers each.")
    assert "unstable" in seg[1] and "0.55" in seg[1] and len(seg) == 2
