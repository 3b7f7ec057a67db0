"""Figures of the next-best-action lesson. Each returns a matplotlib figure with a title and labelled axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .sentences import method_name

__all__ = ["plot_holdout", "plot_value_risk"]


def plot_holdout(table: pd.DataFrame):
    """Precision, recall and NDCG at k per method; recall with its bootstrap interval."""
    fig, ax = plt.subplots(figsize=(7, 4))
    measures = [("precision_at_k", "precision"), ("recall_at_k", "recall"), ("ndcg_at_k", "NDCG")]
    pos = np.arange(len(measures))
    width = 0.8 / len(table)
    for j, (_, r) in enumerate(table.iterrows()):
        x = pos - 0.4 + width * (j + 0.5)
        ax.bar(x, [r[m] for m, _ in measures], width, label=method_name(r["method"]))
        ax.errorbar(x[1], r["recall_at_k"], yerr=[[r["recall_at_k"] - r["recall_ci_lower"]],
                                                  [r["recall_ci_upper"] - r["recall_at_k"]]],
                    color="black", capsize=3)
    k = int(table["k"].iloc[0])
    ax.set_xticks(pos, [f"{name}@{k}" for _, name in measures])
    ax.set_ylabel("mean over evaluated customers (share)")
    ax.set_title(f"Holdout: new purchases found in the top {k} (recall with 95% interval)")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_value_risk(table: pd.DataFrame, contact_effect: float, contact_cost: float, currency: str = ""):
    """Each active customer's value against churn risk; the chosen ones marked, the break-even curve drawn.

    Above the curve :math:`e \\cdot p \\cdot \\text{CLV} = c` a contact is expected to pay for itself.
    """
    fig, ax = plt.subplots(figsize=(7, 5))
    rest, chosen = table[~table["chosen"]], table[table["chosen"]]
    ax.scatter(rest["p_churn"], rest["clv"], s=6, alpha=0.35, color="0.55", label="not contacted")
    ax.scatter(chosen["p_churn"], chosen["clv"], s=14, color="C3", label=f"on the list ({len(chosen):,})")
    p = np.linspace(max(table["p_churn"].min(), 1e-3), 1.0, 200)
    if contact_effect > 0 and contact_cost > 0:
        ax.plot(p, contact_cost / (contact_effect * p), color="black", linestyle="--",
                label="break-even: saving = contact cost")
    ax.set_yscale("log")
    low, high = table["clv"].min(), table["clv"].max()
    ax.set_ylim(max(low, 1e-2) / 1.5, high * 1.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability of churning within the horizon")
    ax.set_ylabel(f"CLV over the value horizon ({currency or 'currency'}, log scale)")
    ax.set_title("Who to save first: value against churn risk")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig
