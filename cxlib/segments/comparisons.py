"""Segments compared on outcomes: churn and satisfaction by customer, cross-tabs, and the
chi-square and Kruskal-Wallis tests with their effect sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import load_customers, load_survey, require_columns

__all__ = ["churn_by_customer", "satisfaction_by_customer", "survey_by_customer", "segment_crosstab", "chi_square_by_segment",
           "kruskal_by_segment", "effect_size_label", "describe_test"]


def churn_by_customer(customers_path, *, observation_end=None, columns=None,
                      encoding: str | None = None) -> pd.Series:
    """0/1 churn flag by customer id from the customers table (blank churn date = active).

    ``columns`` maps canonical names to yours, as in :func:`cxlib.core.load_customers`;
    ``encoding`` is a CSV file's text encoding (UTF-8 when not given).
    """
    cust = load_customers(customers_path, observation_end=observation_end, columns=columns,
                          encoding=encoding or None)
    return cust.set_index("customer_id")["churned"]


def survey_by_customer(survey_path, *, column: str = "overall", columns=None,
                       encoding: str | None = None) -> pd.DataFrame:
    """Mean satisfaction and the number of responses, by customer id.

    Parameters
    ----------
    survey_path : str or path-like
        The survey (:func:`cxlib.core.load_survey`); responses with a blank customer id are
        anonymous and left out.
    column : str
        The score averaged (customers answering twice are averaged).
    columns : mapping, optional
        Canonical names mapped to yours, as in :func:`cxlib.core.load_survey`.
    encoding : str, optional
        A CSV file's text encoding (UTF-8 when not given).

    Returns
    -------
    DataFrame indexed by customer id: ``satisfaction`` and ``responses`` (rows of the survey,
    what :func:`cxlib.core.join_coverage` counts).

    Raises
    ------
    DataError
        When the survey has no customer id column: satisfaction by segment needs to know who
        answered.
    """
    # only the overall score is used
    survey = load_survey(survey_path, nps=False, columns=columns, encoding=encoding or None)
    require_columns(survey, ["customer_id"], table="survey", source=survey.attrs.get("source"),
                    mapping=columns)
    linked = survey.dropna(subset=["customer_id"])
    return linked.groupby("customer_id").agg(satisfaction=(column, "mean"),
                                             responses=(column, "size"))


def satisfaction_by_customer(survey_path, *, column: str = "overall", columns=None) -> pd.Series:
    """Mean overall satisfaction by customer id (customers answering twice are averaged).

    ``columns`` maps canonical names to yours, as in :func:`cxlib.data.load_survey`. See
    :func:`survey_by_customer`, which also counts the responses.
    """
    return survey_by_customer(survey_path, column=column, columns=columns)["satisfaction"]


def segment_crosstab(segments: pd.Series, values: pd.Series, *, normalize: str | bool = "index",
                     names: pd.Series | None = None) -> pd.DataFrame:
    """Cross-tab of segment by another customer attribute, matched on customer id.

    ``normalize="index"`` gives each segment's row shares (what share of the segment churned).
    """
    both = pd.concat([segments.rename("segment"), values.rename("value")], axis=1, join="inner").dropna()
    tab = pd.crosstab(both["segment"], both["value"], normalize=normalize)
    if names is not None:
        tab.index = [f"{s} {names.get(s, '')}".strip() for s in tab.index]
    tab.index.name = "segment"
    return tab


def _matched(segments: pd.Series, values: pd.Series) -> pd.DataFrame:
    both = pd.concat([segments.rename("segment"), values.rename("value")], axis=1, join="inner")
    both = both.dropna()
    return both.loc[both["segment"] >= 0]  # DBSCAN noise is not a segment


def chi_square_by_segment(segments: pd.Series, values: pd.Series) -> dict:
    """Pearson's chi-square test that a categorical attribute is independent of the segment.

    ``X^2 = sum (O - E)^2 / E`` over the segment x value table of counts, with
    ``E = row total x column total / n`` and ``(r - 1)(c - 1)`` degrees of freedom (Pearson
    1900); effect size Cramer's ``V = sqrt(X^2 / (n (min(r, c) - 1)))`` (Cramer 1946), 0 for
    no association and 1 for a segment that fixes the value. ``min_expected`` below 5 means
    the chi-square approximation is rough.
    """
    from scipy.stats import chi2_contingency

    both = _matched(segments, values)
    tab = pd.crosstab(both["segment"], both["value"])
    n = int(tab.to_numpy().sum())
    r, c = tab.shape
    if r < 2 or c < 2:
        return {"test": "chi-square", "statistic": float("nan"), "df": 0, "p_value": float("nan"),
                "effect": float("nan"), "effect_name": "Cramer's V", "n": n, "min_expected": float("nan")}
    stat, p, dof, expected = chi2_contingency(tab.to_numpy(), correction=False)
    return {"test": "chi-square", "statistic": float(stat), "df": int(dof), "p_value": float(p),
            "effect": float(np.sqrt(stat / (n * (min(r, c) - 1)))), "effect_name": "Cramer's V",
            "n": n, "min_expected": float(expected.min()), "min_dim": int(min(r, c))}


def kruskal_by_segment(segments: pd.Series, values: pd.Series) -> dict:
    """Kruskal-Wallis test that an ordinal score (satisfaction 1-5) has the same distribution
    in every segment (Kruskal & Wallis 1952): ``H`` on the mid-ranks, with the tie correction,
    referred to chi-square with ``g - 1`` degrees of freedom for ``g`` segments. Effect size
    ``epsilon^2 = H / (n - 1)`` (Tomczak & Tomczak 2014), the share of rank variance between
    segments.
    """
    from scipy.stats import kruskal

    both = _matched(segments, values)
    groups = [g["value"].to_numpy() for _, g in both.groupby("segment")]
    n = len(both)
    if len(groups) < 2 or both["value"].nunique() < 2:
        return {"test": "Kruskal-Wallis", "statistic": float("nan"), "df": len(groups) - 1,
                "p_value": float("nan"), "effect": float("nan"), "effect_name": "epsilon squared",
                "n": n}
    stat, p = kruskal(*groups)
    return {"test": "Kruskal-Wallis", "statistic": float(stat), "df": len(groups) - 1,
            "p_value": float(p), "effect": float(stat / (n - 1)), "effect_name": "epsilon squared",
            "n": n}


def effect_size_label(result: dict) -> str:
    """Cohen's (1988) words for an effect size: negligible, small, medium or large.

    Cramer's V is Cohen's ``w`` divided by ``sqrt(min(r, c) - 1)``, so his marks 0.1, 0.3 and
    0.5 for ``w`` are scaled the same way; ``epsilon^2`` is read on the eta-squared marks 0.01,
    0.06 and 0.14.
    """
    if result["effect_name"] == "Cramer's V":
        marks = np.array([0.1, 0.3, 0.5]) / np.sqrt(max(result.get("min_dim", 2) - 1, 1))
    else:
        marks = np.array([0.01, 0.06, 0.14])
    words = ["negligible", "small", "medium", "large"]
    return words[int(np.searchsorted(marks, result["effect"], side="right"))]


def describe_test(result: dict, what: str) -> str:
    """One sentence: the test, its statistic with df, the p-value and the effect size."""
    if not np.isfinite(result["statistic"]):
        return f"{what}: not testable (fewer than two segments or values)."
    symbol = "X^2" if result["test"] == "chi-square" else "H"
    p = result["p_value"]
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
    text = (f"{what}: {result['test']} {symbol}({result['df']}) = {result['statistic']:,.1f}, "
            f"{p_text}, {result['effect_name']} {result['effect']:.{3 if result['effect'] < 0.1 else 2}f} "
            f"(n = {result['n']:,}). ")
    text += ("The segments differ by more than chance" if p < 0.05 else
             "No difference between the segments beyond chance")
    text += f"; the effect is {effect_size_label(result)}."
    if result.get("min_expected", 5) < 5:
        text += (f" The smallest expected count is {result['min_expected']:.1f} (below 5): read the "
                 "p-value as approximate.")
    return text
