"""The time-varying Cox fit: golden values from the published Stanford heart transplant fit, and
the same estimates as lifelines on a table with many tied churn days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxTimeVaryingFitter
from lifelines.datasets import load_stanford_heart_transplants

from cxlib import journey
from cxlib.churn.time_varying import TimeVaryingCox
from cxlib.synth.journey import make_journey, write_journey


def test_the_stanford_heart_transplant_fit_matches_the_published_one():
    """Crowley & Hu (1977) data; Therneau & Grambsch (2000) and R's survival package
    (``coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = heart)``, Efron
    ties) give these coefficients and standard errors to four decimals."""
    heart = load_stanford_heart_transplants()
    fit = TimeVaryingCox().fit(heart, covariates=["age", "year", "surgery", "transplant"])
    s = fit.summary
    assert s["coef"].round(4).tolist() == [0.0272, -0.1463, -0.6372, -0.0103]
    assert s["se(coef)"].round(4).tolist() == [0.0137, 0.0705, 0.3672, 0.3138]
    assert s["p"].round(3).tolist() == [0.048, 0.038, 0.083, 0.974]


def test_the_estimates_equal_lifelines_on_a_journey_with_tied_churn_days(tmp_path):
    customers, events, _ = make_journey(3000, seed=8)
    files = write_journey(customers, events, tmp_path)
    cust = journey.load_customers(files["customers"], observation_end="2025-12-31")
    log = journey.event_log(files["events"], funnel_stages=["signup", "onboarding"], score_col="score",
                            observation_end="2025-12-31", customers=cust)
    table = journey.start_stop_table(log, ["onboarding", "support", "feedback"], 2)
    deaths = table.loc[table["event"] == 1, "stop"]
    assert deaths.duplicated().sum() > 100  # Efron's tie handling is exercised
    ours = TimeVaryingCox(alpha=0.1).fit(table)
    theirs = CoxTimeVaryingFitter(alpha=0.1).fit(table, id_col="id", event_col="event", start_col="start",
                                                 stop_col="stop")
    assert ours.log_likelihood_ == pytest.approx(theirs.log_likelihood_, rel=1e-10)
    for col in ["coef", "se(coef)", "exp(coef) lower 90%", "exp(coef) upper 90%", "p"]:
        np.testing.assert_allclose(ours.summary[col], theirs.summary[col], rtol=1e-6, err_msg=col)


def test_empty_intervals_and_no_events_are_refused():
    table = pd.DataFrame({"id": [1, 2], "start": [0.0, 5.0], "stop": [3.0, 5.0], "event": [1, 0], "x": [1.0, 0.0]})
    with pytest.raises(ValueError, match="stop > start; 1 row does not"):
        TimeVaryingCox().fit(table)
    with pytest.raises(ValueError, match="no interval ends in an event"):
        TimeVaryingCox().fit(table.iloc[[1]].assign(stop=9.0))
