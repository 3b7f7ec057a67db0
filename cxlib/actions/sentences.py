"""The next-best-action lesson's results in words: sentences computed from the tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["METHOD_NAMES", "method_name", "describe_purchases", "describe_holdout", "describe_lift",
           "describe_taste_match", "describe_value_at_risk", "describe_choice", "recall_lift", "describe_history",
           "describe_risk_checks", "describe_fit_samples"]

METHOD_NAMES = {"popularity": "popularity", "item_item": "item-item CF (BM25)", "als": "ALS"}


def method_name(method: str) -> str:
    """A method's name for readers (``item_item`` reads as "item-item CF (BM25)")."""
    return METHOD_NAMES.get(method, method)


def describe_purchases(facts: dict) -> str:
    """The log, the split and who can be evaluated, in two sentences."""
    text = (f"{facts['n_transactions']:,} purchases of {facts['n_items']:,} products by "
            f"{facts['n_customers']:,} customers ({facts['n_pairs']:,} distinct customer-product pairs), "
            f"{facts['first_date']:%Y-%m-%d} to {facts['last_date']:%Y-%m-%d}.")
    if "purchases_before" in facts:
        text += (f" {facts['purchases_before']:,.0f} purchases fall before the holdout start and "
                 f"{facts['purchases_after']:,.0f} on or after it; {facts['customers_both']:,} customers bought "
                 f"in both periods and {facts['customers_only_after']:,} only in the holdout.")
    return text


def recall_lift(boot: pd.DataFrame, method: str, baseline: str = "popularity",
                confidence: float = 0.95) -> dict:
    """Difference in mean recall@k of ``method`` over ``baseline`` with its paired bootstrap interval."""
    diff = boot[method] - boot[baseline]
    tail = (1 - confidence) / 2
    return {"difference": float(boot[method].mean() - boot[baseline].mean()),
            "ci_lower": float(diff.quantile(tail)), "ci_upper": float(diff.quantile(1 - tail)),
            "ratio": float(boot[method].mean() / boot[baseline].mean()) if boot[baseline].mean() > 0 else float("nan")}


def describe_holdout(table: pd.DataFrame) -> str:
    """Each method's recall@k with its interval, one line per method, best first."""
    k = int(table["k"].iloc[0])
    lines = []
    for _, r in table.sort_values("recall_at_k", ascending=False).iterrows():
        lines.append(f"{method_name(r['method'])}: its top {k} hold {r['recall_at_k']:.1%} of the new products "
                     f"a customer bought in the holdout (95% interval {r['recall_ci_lower']:.1%} to "
                     f"{r['recall_ci_upper']:.1%}); precision {r['precision_at_k']:.1%}, NDCG "
                     f"{r['ndcg_at_k']:.3f}, {r['coverage']:.0%} of the catalogue listed.")
    return f"Over {int(table['customers'].iloc[0]):,} customers with a history and a new purchase:\n" + "\n".join(lines)


def describe_lift(lift: dict, method: str, baseline: str = "popularity") -> str:
    """How much better ``method`` is than ``baseline``, in points of recall and as a ratio."""
    sure = lift["ci_lower"] > 0 or lift["ci_upper"] < 0
    return (f"{method_name(method)} finds {lift['ratio']:.2f} times as many of the new purchases as "
            f"{method_name(baseline)}: {100 * lift['difference']:+.1f} points of recall (paired 95% interval "
            f"{100 * lift['ci_lower']:+.1f} to {100 * lift['ci_upper']:+.1f})"
            + ("." if sure else "; the interval includes 0, so the data cannot tell them apart."))


def describe_taste_match(match: pd.DataFrame, n_groups: int) -> str:
    """Share of listed products in each customer's true taste group, per method."""
    parts = [f"{method_name(r['method'])} {r['in_taste_group']:.0%} ({r['in_taste_group_of_non_staples']:.0%} "
             f"of its non-staples)" for _, r in match.iterrows()]
    return (f"Against the synthetic world's truth, the share of listed products in the customer's own taste "
            f"group is: {'; '.join(parts)}. A list drawn at random from the non-staples would hit "
            f"{1 / n_groups:.0%}.")


def describe_fit_samples(churn_fit: int, churn_all: int, value_fit: int, value_all: int, max_fit_rows: int,
                         seed: int) -> str:
    """On how many customers the churn model and the CLV models were fitted (all are scored)."""
    if churn_fit == churn_all and value_fit == value_all:
        return (f"The churn model is fitted on all {churn_all:,} customers and the CLV models on all "
                f"{value_all:,} buyers (max_fit_rows = {max_fit_rows:,}; 0 means no limit).")
    parts = [f"the churn model on {churn_fit:,} of the {churn_all:,} customers",
             f"BG/NBD and Gamma-Gamma on {value_fit:,} of the {value_all:,} buyers"]
    return (f"The models are fitted on seeded random samples, as in the survival and CLV lessons "
            f"(max_fit_rows = {max_fit_rows:,}, seed {seed}): {parts[0]}, {parts[1]}. Every "
            f"customer is still scored.")


def describe_als_sample(als_sample: tuple[int, int], max_fit_rows: int, seed: int) -> str:
    """On how many customers ALS's factors were fitted (every customer still gets a list)."""
    fitted, buyers = als_sample
    if fitted == buyers:
        return (f"ALS is fitted on all {buyers:,} customers who bought before the holdout start "
                f"(max_fit_rows = {max_fit_rows:,}; 0 means no limit).")
    return (f"ALS's factors are fitted on a seeded random sample of {fitted:,} of the {buyers:,} customers "
            f"who bought before the holdout start (max_fit_rows = {max_fit_rows:,}, seed {seed}). Every "
            "customer's own factors then follow from the products' factors by one more least-squares "
            "step, so every customer is scored; the lists of section 4 are fitted the same way on all "
            "purchases.")


def describe_value_at_risk(table: pd.DataFrame, churn_horizon: str, value_horizon: str,
                           currency: str = "") -> str:
    """Total value, value at risk and where it concentrates."""
    total, risk = table["clv"].sum(), table["value_at_risk"].sum()
    top = table["value_at_risk"].sort_values(ascending=False)
    n10 = max(1, round(0.1 * len(top)))
    return (f"{len(table):,} active customers are worth {currency}{total:,.0f} over the next {value_horizon}; "
            f"weighting each by their chance of churning within {churn_horizon} puts {currency}{risk:,.0f} "
            f"({risk / total:.0%}) at risk. The tenth of customers with the most at risk holds "
            f"{top.iloc[:n10].sum() / risk:.0%} of it.")


def describe_choice(chosen: pd.DataFrame, contact_effect: float, contact_cost: float, budget,
                    currency: str = "") -> str:
    """Who makes the list and what it could save under the stated assumption."""
    picked = chosen[chosen["chosen"]]
    worth = int((chosen["expected_saving"] > contact_cost).sum())
    if picked.empty:
        return (f"No customer's expected saving ({contact_effect:.0%} of their value at risk) exceeds the "
                f"contact cost of {currency}{contact_cost:,.2f}: under this assumption no contact pays.")
    cap = "" if budget in (None, "", 0) else f", and the budget allows {int(budget):,}"
    saved = picked["expected_saving"].sum()
    return (f"If a contact removes {contact_effect:.0%} of a customer's churn probability, {worth:,} customers "
            f"are worth a contact at {currency}{contact_cost:,.2f} each{cap}. The {len(picked):,} chosen hold "
            f"{currency}{picked['value_at_risk'].sum():,.0f} at risk; contacting them would save "
            f"{currency}{saved:,.0f} in expectation, {currency}{saved - contact_cost * len(picked):,.0f} after "
            f"the contacts' cost (from {currency}{picked['expected_saving'].min():,.2f} to "
            f"{currency}{picked['expected_saving'].max():,.2f} per customer).")


def describe_history(counts, k: int) -> str:
    """How much history the recommenders have: distinct products per customer, fill, concentration.

    ``counts`` is the customers x items matrix before the holdout start.
    """
    per_customer = np.diff(counts.indptr)
    active = per_customer > 0
    bought_by = np.bincount(counts.indices, minlength=counts.shape[1])
    filled = counts.nnz / (active.sum() * max(1, (bought_by > 0).sum()))
    top = np.sort(bought_by)[::-1][:k].sum() / bought_by.sum()
    return (f"Before the holdout start, customers with any purchase bought a median of "
            f"{np.median(per_customer[active]):.0f} distinct products ({(per_customer >= 2).sum():,} bought two or "
            f"more); the customer x product matrix is {filled:.2%} filled. The {k} most bought products account "
            f"for {top:.0%} of the customer-product pairs.")


def describe_risk_checks(churn_scores: pd.DataFrame, table: pd.DataFrame) -> str:
    """Who has a value, whose churn window is cut at the longest follow-up, and how risk and value relate."""
    capped = (churn_scores.set_index("customer_id")["capped"].reindex(table["customer_id"])
              .fillna(False).astype(bool))
    corr = float(np.corrcoef(table["p_churn"], np.log(table["clv"]))[0, 1])
    reading = ("they carry different information, so ranking by their product differs from ranking by either"
               if abs(corr) < 0.5 else "ranking by one of them alone would pick similar customers")
    return (f"{len(churn_scores):,} customers are active in the customer table and {len(table):,} of them bought, "
            f"so they have a value; {capped.sum():,} ({capped.mean():.0%}) are followed so long that their churn "
            f"window is cut at the longest follow-up (their risk is a lower bound). Churn risk and log value "
            f"correlate at {corr:+.2f}: {reading}.")
