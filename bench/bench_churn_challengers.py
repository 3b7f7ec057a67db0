"""Scale check for the churn challengers: survival tree, random survival forest, classification
tree and the side-by-side comparison, on a large synthetic customer table.

The table is the one of ``bench_churn.py`` (Weibull proportional-hazards lifetimes, 8 numeric
covariates with known effects, plan with an effect, region without one). The tree and forest are
fitted on their default samples of the training customers, as in
``notebooks/01_churn_survival.ipynb``; every customer is scored. Baselines measured in the same
run: the Cox fit on the same training customers (what the notebook fits anyway), and
scikit-survival's own forest prediction (full curve per customer) on a sample, against the
kit's per-leaf look-up. Prints seconds per step and the peak resident memory.

    python bench/bench_churn_challengers.py               # 1,000,000 customers
    python bench/bench_churn_challengers.py --n 200000
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from bench_churn import END, N_NUMERIC, make_table, peak_rss_gb, step

from cxlib import churn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="number of customers")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--horizon", type=float, default=12.0, help="months")
    ap.add_argument("--baseline-sample", type=int, default=20_000,
                    help="customers scored by scikit-survival's own prediction")
    args = ap.parse_args()
    covariates = [f"x{j}" for j in range(N_NUMERIC)] + ["plan", "region"]
    timings: dict[str, float] = {}

    print(f"churn challengers: {args.n:,} customers x {len(covariates)} covariates")
    with step("simulate and prepare (not timed)", {}), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, _ = make_table(args.n, args.seed)
        data = churn.prepare_churn_data(table, signup_col="signup_date", churn_col="churn_date",
                                        observation_end=END, id_col="customer_id",
                                        covariates=covariates, group_col="plan")
        del table
        train, test = churn.split_train_test(data, 0.25, seed=args.seed)
    with step("baseline: Cox fit on the training part", timings):
        cox = churn.CoxChurnModel().fit(train, covariates)
    total = time.perf_counter()
    with step("survival tree: grow, prune, leaf curves", timings):
        tree = churn.SurvivalTreeModel(seed=args.seed).fit(train, covariates)
    with step("random survival forest fit", timings):
        forest = churn.SurvivalForestModel(seed=args.seed).fit(train, covariates)
    with step("classification tree + logistic", timings):
        flag = churn.HorizonTree(args.horizon, seed=args.seed).fit(train, covariates)
        logit = churn.HorizonLogistic(args.horizon).fit(train, covariates)
    with step("score every customer (tree + forest)", timings):
        tree_surv = tree.predict_survival_at(data, args.horizon)
        forest_surv = forest.predict_survival_at(data, args.horizon)
        forest_risk = forest.predict_risk(data)
    with step("tree rules on every customer", timings):
        leaves = tree.leaf_table(data, args.horizon)
    with step("permutation importance (held-out)", timings):
        importance = churn.permutation_importance(forest, test, covariates, seed=args.seed)
    with step("model comparison (6 models, held-out)", timings):
        models = churn.compare_models(train, test, args.horizon, cox=cox, tree=tree,
                                      forest=forest, logistic=logit,
                                      classification_tree=flag)["table"]
    total = time.perf_counter() - total

    # scoring baseline: scikit-survival's prediction builds every customer's full curve
    rng = np.random.default_rng(args.seed)
    sample = data.iloc[np.sort(rng.choice(len(data), args.baseline_sample, replace=False))]
    X = forest.encoder_.transform(sample).to_numpy(dtype=np.float32)
    t0 = time.perf_counter()
    curves = forest.sksurv_.predict_survival_function(X, return_array=True)
    theirs = time.perf_counter() - t0
    t0 = time.perf_counter()
    mine = forest.predict_survival_at(sample, args.horizon).to_numpy()
    ours = time.perf_counter() - t0
    at = np.searchsorted(forest.times_, args.horizon, side="right") - 1
    assert np.allclose(mine, curves[:, at])  # the same numbers, only faster

    print(f"{'total (challengers)':<38s} {total:8.2f} s   peak RSS {peak_rss_gb():5.2f} GB")
    print(f"challengers / Cox fit on the same {len(train):,} customers: "
          f"{total / timings['baseline: Cox fit on the training part']:.1f}x")
    print(f"forest scoring, {args.baseline_sample:,} customers: scikit-survival {theirs:.2f} s "
          f"({curves.nbytes / 1e6:.0f} MB of curves), per-leaf look-up {ours:.3f} s: "
          f"{theirs / ours:.0f}x; all {len(data):,} customers scored "
          f"({len(forest_surv):,} forest, {len(tree_surv):,} tree, "
          f"{np.isfinite(forest_risk).sum():,} risk scores)")
    print(f"tree grown on {tree.n_grown_:,}, {len(tree.leaves_)} leaves; first splits: "
          + ", ".join(tree.splits_.loc[tree.splits_["depth"] <= 1, "covariate"])
          + f"; largest leaf {leaves['n'].max():,} customers")
    print(f"forest fitted on {forest.n_fit_:,} customers, {forest.n_trees} trees; top "
          f"importance: " + ", ".join(f"{r.covariate} {r.importance:.3f}"
                                      for r in importance.head(3).itertuples())
          + f"; region {importance.set_index('covariate').loc['region', 'importance']:.4f}")
    print("held-out concordance: " + ", ".join(
        f"{r.model} {r.concordance:.3f}" for r in models.itertuples()))
    print(f"recommended: {churn.choose_model(models)['model']}")


if __name__ == "__main__":
    main()
