"""Plain-language sentences for the churn lesson."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["describe_hazard_ratios", "describe_proportional_hazards", "describe_logrank",
           "describe_medians", "describe_truth", "describe_scores", "describe_tree_rules",
           "describe_pruning", "describe_importance", "describe_comparison",
           "describe_classification_trap", "describe_fit_sample", "key_findings"]


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def describe_hazard_ratios(summary: pd.DataFrame, alpha: float = 0.05,
                           time_unit: str = "") -> str:
    """One sentence per covariate: how much it changes the churn hazard, and how sure we are."""
    lines = []
    for _, r in summary.sort_values("p").iterrows():
        hr, lo, hi = r["hazard_ratio"], r["ci_lower"], r["ci_upper"]
        change = (hr - 1) * 100
        direction = "higher" if change >= 0 else "lower"
        if r.get("reference"):
            subject = f"Customers with {r['covariate']} (vs {r['reference']})"
        else:
            subject = f"Each extra unit of {r['covariate']}"
        verb = "have" if r.get("reference") else "means"
        sure = ("a clear effect" if r["p"] < alpha else
                "not distinguishable from no effect")
        lines.append(f"- {subject} {verb} a {abs(change):.1f}% {direction} churn hazard "
                     f"(HR {hr:.3f}, 95% CI {lo:.3f} to {hi:.3f}, {_fmt_p(r['p'])}): {sure}.")
    return "\n".join(lines)


def describe_proportional_hazards(ph: pd.DataFrame) -> str:
    """Say which covariates keep a constant hazard ratio over time and what to do otherwise."""
    ok = ph.loc[ph["proportional"], "covariate"].tolist()
    bad = ph.loc[~ph["proportional"]]
    parts = []
    if ok:
        parts.append("The hazard ratio looks constant over time (Schoenfeld test p >= 0.05) for "
                     + ", ".join(ok) + ".")
    if len(bad) == 0:
        parts.append("No covariate breaks the proportional-hazards assumption, so one hazard "
                     "ratio per covariate is a fair summary.")
    for _, r in bad.iterrows():
        parts.append(f"The effect of {r['covariate']} changes over time ({_fmt_p(r['p'])}): its "
                     f"hazard ratio is an average over follow-up; {r['advice']}.")
    return " ".join(parts)


def describe_logrank(result: dict, group_col: str) -> str:
    """The log-rank result in words."""
    verdict = ("differ" if result["p"] < 0.05 else "do not differ detectably")
    return (f"Retention curves by {group_col} ({', '.join(result['groups'])}) {verdict}: "
            f"log-rank chi-square {result['statistic']:.1f} on {result['df']} df, "
            f"{_fmt_p(result['p'])}.")


def describe_medians(medians: pd.DataFrame, time_unit: str) -> str:
    """Median lifetime per group in words (``not reached`` when fewer than half churned)."""
    parts = []
    for _, r in medians.iterrows():
        if np.isnan(r["median"]):
            parts.append(f"{r['group']}: not reached (fewer than half churned during follow-up)")
        else:
            parts.append(f"{r['group']}: {r['median']:.1f} {time_unit}")
    return "Median customer lifetime - " + "; ".join(parts) + "."


def describe_truth(table: pd.DataFrame) -> str:
    """How many true coefficients the 95% intervals cover ('' when there is no truth)."""
    if table.empty:
        return ""
    k, n = int(table["inside"].sum()), len(table)
    missed = ", ".join(table.loc[~table["inside"], "covariate"])
    return (f"{k} of {n} true coefficients lie inside their 95% intervals"
            + (f" (missed: {missed}); about one miss in twenty is expected by chance." if missed
               else "."))


def describe_fit_sample(fit_customers: int, customers: int, n_active: int, max_fit_rows: int,
                        seed: int) -> str:
    """How many customers the models are fitted on, and that every active customer is scored.

    ``fit_customers`` is the size of :func:`~cxlib.churn.fit_sample`, ``customers`` the size of
    the whole table and ``n_active`` its active customers.
    """
    if fit_customers < customers:
        return (f"The models are fitted on a random sample of {fit_customers:,} of the "
                f"{customers:,} customers (max_fit_rows = {max_fit_rows:,}, seed {seed}); the "
                f"held-out checks use customers of that sample the training fits did not see, "
                f"and all {n_active:,} active customers are scored.")
    return (f"The models are fitted on all {customers:,} customers (max_fit_rows = "
            f"{max_fit_rows:,}; 0 means no limit).")


def describe_scores(scores: pd.DataFrame, horizon: float, time_unit: str,
                    cutoffs: Sequence[float] = (0.2, 0.5)) -> str:
    """Risk tiers of the active customers in words."""
    counts = scores["risk_tier"].astype(str).value_counts()
    parts = [f"{counts.get(t, 0)} {t}" for t in ("high", "medium", "low")]
    full = scores[~scores["capped"]]
    text = (f"Of {len(scores)} active customers, {', '.join(parts)} risk (churn within the next "
            f"{horizon:g} {time_unit}: high >= {cutoffs[1]:.0%}, low < {cutoffs[0]:.0%}).")
    if len(full):
        text += (f" The {len(full)} with a full window of {horizon:g} {time_unit} are expected, on "
                 f"average, to stay {full['remaining_lifetime'].mean():.1f} of those "
                 f"{horizon:g} {time_unit} (restricted mean).")
    capped = len(scores) - len(full)
    if capped:
        text += (f" {capped} long-tenured customers are closer than {horizon:g} {time_unit} to "
                 "the longest follow-up in the data, beyond which the model cannot see: their "
                 "window is cut there and they get no risk tier ('beyond follow-up').")
    return text


# -------------------------------------------------------------------- challengers and findings

_NAMES = {"kaplan_meier": "the Kaplan-Meier curve", "cox": "the Cox model",
          "tree": "the survival tree", "forest": "the random survival forest",
          "logistic": "the logistic model", "classification_tree": "the classification tree"}


def describe_tree_rules(leaves: pd.DataFrame, horizon: float, time_unit: str) -> str:
    """One Markdown bullet per leaf of :meth:`SurvivalTreeModel.leaf_table`, riskiest first."""
    lines = []
    for _, r in leaves.sort_values("survival_horizon").iterrows():
        if r["n"] == 0:
            lines.append(f"- **{r['rule']}**: no customers in these data.")
            continue
        median = (f"median lifetime {r['median']:.1f} {time_unit}" if np.isfinite(r["median"])
                  else "median not reached")
        lines.append(f"- **{r['rule']}**: {r['survival_horizon']:.0%} still active after "
                     f"{horizon:g} {time_unit} (95% CI {r['ci_lower']:.0%} to "
                     f"{r['ci_upper']:.0%}), {r['n']:,} customer{'s' if r['n'] != 1 else ''}, {median}.")
    return "\n".join(lines)


def describe_pruning(tree) -> str:
    """How far split-complexity pruning cut the tree, and which covariates split first."""
    table = tree.pruning_
    full, chosen = table.iloc[0], table.loc[table["chosen"]].iloc[0]
    first = tree.splits_[tree.splits_["depth"] <= 1]["covariate"]
    text = (f"Grown to depth {tree.max_depth}, the tree had {int(full['splits'])} splits. The "
            f"subtree that scores best on the customers held back for pruning (their log-rank "
            f"statistics minus {tree.penalty:g} per split) keeps {int(chosen['splits'])} of them, "
            f"leaving {int(chosen['leaves'])} leaves.")
    if len(first):
        text += (" The first splits use " + ", ".join(dict.fromkeys(first)) + ".")
    return text


def describe_importance(importance: pd.DataFrame, threshold: float = 0.005) -> str:
    """Permutation importance in words: what the forest relies on, and what it ignores."""
    top = importance[importance["importance"] >= threshold]
    low = importance[importance["importance"] < threshold]["covariate"].tolist()
    parts = [f"{r['covariate']} by {r['importance']:.3f}" for _, r in top.iterrows()]
    text = (f"Shuffling a covariate among the held-out customers lowers the forest's concordance "
            f"(from {importance.attrs.get('concordance', float('nan')):.3f}): "
            + ("; ".join(parts) if parts else "no covariate changes it by more than "
               f"{threshold:g}") + ".")
    if low and parts:
        text += (f" {', '.join(low)} change{'s' if len(low) == 1 else ''} it by less than "
                 f"{threshold:g}: the forest barely uses {'it' if len(low) == 1 else 'them'}.")
    return text


def describe_comparison(table: pd.DataFrame, choice: dict, horizon: float, time_unit: str) -> str:
    """Which model to use on these data, and why, from :func:`choose_model`."""
    t = table.set_index("model")
    chosen, runner = choice["model"], choice["runner_up"]
    c = t.loc[chosen, "concordance"]
    text = (f"Use {_NAMES[chosen]}: on the same held-out customers its concordance is {c:.3f} "
            f"and its integrated Brier score {t.loc[chosen, 'integrated_brier']:.4f}")
    if runner is not None:
        text += (f", against {t.loc[runner, 'concordance']:.3f} and "
                 f"{t.loc[runner, 'integrated_brier']:.4f} for {_NAMES[runner]}, the best of "
                 "the others")
    text += "."
    readable = {"tree": "its rules can be read and acted on directly",
                "cox": "each covariate gets one hazard ratio the team can read and check",
                "forest": "it wins clearly enough to give up readable effects"}
    if chosen == "forest":
        text += (f" It beats the readable models by at least {choice['min_gain']:g}: "
                 f"{readable[chosen]}.")
    else:
        harder = [m for m in ("cox", "forest") if m in t.index and m != chosen
                  and t.loc[m, "concordance"] > c]
        text += f" It is the readable choice: {readable[chosen]}"
        if harder:
            gains = ", ".join(f"{_NAMES[m]} by {t.loc[m, 'concordance'] - c:.3f}" for m in harder)
            text += (f"; a harder model would have to rank better by at least "
                     f"{choice['min_gain']:g} in concordance, and {gains} is not enough")
        text += "."
    if "kaplan_meier" in t.index and chosen in t.index:
        skill = 1 - t.loc[chosen, "integrated_brier"] / t.loc["kaplan_meier", "integrated_brier"]
        text += (f" Its prediction error is {abs(skill):.1%} {'below' if skill >= 0 else 'above'} "
                 f"that of the Kaplan-Meier curve without covariates, and it predicts "
                 f"{t.loc[chosen, 'calibration_ratio']:.2f} times the churn observed by "
                 f"{horizon:g} {time_unit}.")
    return text


def describe_classification_trap(tree, leaves: pd.DataFrame, horizon: float,
                                 time_unit: str) -> str:
    """What dropping customers censored before the horizon did to the classification tree.

    ``leaves`` is :meth:`HorizonTree.leaf_table` on the training customers.
    """
    n = tree.n_used_ + tree.n_dropped_
    gap = leaves["predicted"] - leaves["observed_km"]
    worst = leaves.loc[gap.abs().idxmax()]
    mean_gap = float(np.average(gap, weights=leaves["n"]))
    return (f"The classification tree could use only {tree.n_used_:,} of {n:,} training customers: "
            f"{tree.n_dropped_:,} were still active but followed for less than {horizon:g} "
            f"{time_unit}, so they have no yes/no label. In its leaf with the largest gap it "
            f"predicts {worst['predicted']:.0%} churn by {horizon:g} {time_unit}, where the "
            f"Kaplan-Meier estimate for the same {int(worst['n']):,} customers, dropped ones "
            f"included, is {worst['observed_km']:.0%}; over all leaves its predictions are "
            f"{abs(mean_gap) * 100:.1f} percentage points {'above' if mean_gap >= 0 else 'below'} "
            "that estimate on average. The splits themselves were chosen on the same biased "
            "labels; the survival tree needs no labels and uses every customer's follow-up.")


def key_findings(metrics: dict, high_cutoff: float = 0.5) -> list[str]:
    """The lesson's three key findings, from the values written to ``metrics.json``.

    Uses ``median_survival``, ``retention_horizon``, ``horizon``, ``time_unit``,
    ``recommended_model``, ``concordance_test``, ``concordance_test_tree``,
    ``concordance_test_forest``, ``n_test``, ``high_risk``, ``high_risk_share`` and ``n_active``;
    ``high_cutoff`` is the churn probability from which a customer is high risk.
    """
    horizon, unit = metrics["horizon"], metrics["time_unit"]
    med = metrics.get("median_survival")
    first = (f"Half of the customers churn within {med:.1f} {unit}" if med is not None
             and np.isfinite(med) else "Fewer than half of the customers churned during follow-up")
    first += (f"; {metrics['retention_horizon']:.0%} are still active {horizon:g} {unit} "
              "after signup.")
    names = {"cox": "Cox model", "tree": "survival tree", "forest": "random survival forest"}
    chosen = metrics["recommended_model"]
    c = {"cox": metrics["concordance_test"], "tree": metrics["concordance_test_tree"],
         "forest": metrics["concordance_test_forest"]}
    others = " and ".join(f"{c[m]:.3f} for the {names[m]}" for m in c if m != chosen)
    second = (f"The {names[chosen]} is the model to use: held-out concordance {c[chosen]:.3f} on "
              f"{metrics['n_test']:,} customers, against {others}.")
    third = (f"{metrics['high_risk']:,} of {metrics['n_active']:,} active customers "
             f"({metrics['high_risk_share']:.0%}) have a {high_cutoff:.0%} or higher chance of "
             f"churning within the next {horizon:g} {unit} (high risk).")
    return [first, second, third]
