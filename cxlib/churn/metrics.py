"""Held-out validation of churn survival models.

Discrimination (Harrell's concordance, time-dependent AUC), overall accuracy (the IPCW Brier score
and its integral, compared with a Kaplan-Meier "no covariates" baseline) and calibration at a
horizon. The censoring-weighted Brier score and the time-dependent AUC come from scikit-survival
(``sksurv.metrics``), a maintained implementation of Graf et al. (1999) and Uno et al. (2007); this
module prepares their inputs and keeps their range rules in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import DataError

__all__ = [
    "split_train_test",
    "evaluation_times",
    "concordance",
    "brier_curve",
    "km_survival",
    "horizon_auc",
    "calibration_table",
    "evaluate_holdout",
    "describe_validation",
]


def split_train_test(df: pd.DataFrame, test_size: float = 0.25, seed: int = 0, *,
                     event_col: str = "event") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random train/test split, stratified on the event so both parts churn alike."""
    from sklearn.model_selection import train_test_split

    if not 0 < test_size < 1:
        raise DataError(f"test_size must be between 0 and 1, got {test_size}")
    train, test = train_test_split(df, test_size=test_size, random_state=seed,
                                   stratify=df[event_col])
    for part in (train, test):
        part.attrs.update(df.attrs)
    return train, test


def _surv(df: pd.DataFrame, duration_col="duration", event_col="event"):
    from sksurv.util import Surv

    return Surv.from_arrays(event=df[event_col].to_numpy().astype(bool),
                            time=df[duration_col].to_numpy(dtype=float))


def evaluation_times(train: pd.DataFrame, test: pd.DataFrame, n: int = 30, *,
                     duration_col: str = "duration", event_col: str = "event") -> np.ndarray:
    """Time grid for the Brier curve: quantiles of the test event times.

    The grid stays inside the test follow-up and below the longest training time, where the
    censoring distribution (the IPCW weights) is estimable.
    """
    t_test = test[duration_col].to_numpy(dtype=float)
    events = t_test[test[event_col].to_numpy() == 1]
    upper = min(t_test.max(), train[duration_col].max())
    grid = np.unique(np.quantile(events, np.linspace(0.05, 0.95, n)))
    grid = grid[(grid >= t_test.min()) & (grid < upper)]
    if len(grid) < 2:
        raise DataError("too few distinct churn times in the test set to evaluate a Brier curve; "
                        "use a larger test_size")
    return grid


def _scorable(train: pd.DataFrame, test: pd.DataFrame, last_time: float, duration_col="duration",
              event_col="event") -> pd.DataFrame:
    """Test survival data as scikit-survival's IPCW estimators can take it, for times <= last_time.

    A customer observed beyond ``last_time`` counts as "still active" at every evaluation time
    whether or not they churned later, so they are marked censored (and times past the longest
    training time set to it). This changes no score at those times; it only avoids asking for
    censoring weights where the training data cannot give them.
    """
    tmax = float(train[duration_col].max())
    if last_time >= tmax:
        raise DataError(f"evaluation time {last_time:g} is not before the longest training "
                        f"follow-up ({tmax:g}); choose a shorter horizon")
    out = test[[duration_col, event_col]].copy()
    t = out[duration_col].to_numpy(dtype=float)
    out.loc[t > last_time, event_col] = 0
    out.loc[t > tmax, duration_col] = tmax
    return out


def concordance(test: pd.DataFrame, risk, *, duration_col="duration", event_col="event") -> float:
    """Harrell's C: share of comparable pairs where the higher risk churns first (0.5 = chance)."""
    from lifelines.utils import concordance_index

    return float(concordance_index(test[duration_col], -np.asarray(risk, dtype=float),
                                   test[event_col]))


def km_survival(train: pd.DataFrame, times, *, duration_col="duration",
                event_col="event") -> np.ndarray:
    """Kaplan-Meier survival of ``train`` at ``times`` (the no-covariate prediction)."""
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(train[duration_col], train[event_col])
    return kmf.survival_function_at_times(np.asarray(times, dtype=float)).to_numpy()


def brier_curve(train: pd.DataFrame, test: pd.DataFrame, predictions: dict, times, *,
                integrate: bool = True) -> tuple:
    """IPCW Brier score over ``times`` for each model, and its integral.

    Parameters
    ----------
    predictions : dict
        ``{model name: survival matrix (n_test x len(times))}``.

    integrate : bool
        Also integrate the curve over ``times`` (needs at least two times).

    Returns
    -------
    (curve, integrated) : DataFrame ``time, <model>...`` and ``{model: integrated Brier}``
    (empty when ``integrate`` is false).
    """
    from sksurv.metrics import brier_score, integrated_brier_score

    s_train, s_test = _surv(train), _surv(_scorable(train, test, float(np.max(times))))
    curve = pd.DataFrame({"time": np.asarray(times, dtype=float)})
    integrated = {}
    for name, surv in predictions.items():
        surv = np.asarray(surv)
        curve[name] = brier_score(s_train, s_test, surv, times)[1]
        if integrate:
            integrated[name] = float(integrated_brier_score(s_train, s_test, surv, times))
    return curve, integrated


def horizon_auc(train: pd.DataFrame, test: pd.DataFrame, churn_probability, horizon: float) -> float:
    """Cumulative/dynamic AUC at ``horizon``: churned by then vs still a customer (Uno, 2007)."""
    from sksurv.metrics import cumulative_dynamic_auc

    auc, _ = cumulative_dynamic_auc(_surv(train), _surv(_scorable(train, test, horizon)),
                                    np.asarray(churn_probability, dtype=float), [horizon])
    return float(auc[0])


def calibration_table(test: pd.DataFrame, churn_probability, horizon: float, bins: int = 10,
                      *, duration_col="duration", event_col="event") -> pd.DataFrame:
    """Predicted vs observed churn by ``horizon`` in groups of predicted risk (deciles).

    Observed churn in a group is :math:`1 - \\hat S_{KM}(h)` of that group, which counts the
    censored customers correctly; a simple share of churners would not. Its 95% interval is
    Greenwood's (log-log); in a group where nobody churned by the horizon that interval collapses
    to 0-0, so the upper limit is then the exact binomial (Clopper-Pearson) bound for 0 churns
    among the :math:`m` customers followed to the horizon, :math:`1 - 0.025^{1/m}`.

    Returns ``bin, n, events, predicted, observed, observed_lower, observed_upper``.
    """
    from lifelines import KaplanMeierFitter

    p = np.asarray(churn_probability, dtype=float)
    groups = pd.qcut(pd.Series(p).rank(method="first"), q=min(bins, len(p)), labels=False)
    rows = []
    for b, idx in pd.Series(np.arange(len(p))).groupby(groups.to_numpy()):
        part = test.iloc[idx.to_numpy()]
        kmf = KaplanMeierFitter().fit(part[duration_col], part[event_col])
        s = float(kmf.survival_function_at_times(horizon).iloc[0])
        ci = kmf.confidence_interval_survival_function_
        i = max(np.searchsorted(ci.index.to_numpy(dtype=float), horizon, side="right") - 1, 0)
        lower, upper = 1 - float(ci.iloc[i, 1]), 1 - float(ci.iloc[i, 0])
        if s >= 1.0:  # no churn by the horizon: Greenwood's interval is 0-0
            m = int((part[duration_col].to_numpy(dtype=float) >= horizon).sum())
            lower, upper = 0.0, (1 - 0.025 ** (1 / m)) if m else float("nan")
        rows.append({"bin": int(b) + 1, "n": len(part), "events": int(part[event_col].sum()),
                     "predicted": float(p[idx.to_numpy()].mean()), "observed": 1 - s,
                     "observed_lower": lower, "observed_upper": upper})
    return pd.DataFrame(rows)


def evaluate_holdout(model, train: pd.DataFrame, test: pd.DataFrame, horizon: float,
                     n_times: int = 30, bins: int = 10) -> dict:
    """All held-out checks of a fitted :class:`~cxlib.churn.CoxChurnModel`.

    Returns
    -------
    dict with ``metrics`` (``concordance_test``, ``auc_horizon``, ``integrated_brier_test``,
    ``integrated_brier_km``, ``brier_skill`` = 1 - IBS(model)/IBS(KM), ``calibration_ratio`` =
    mean predicted / observed churn at the horizon), ``brier`` (curve) and ``calibration``
    (table).
    """
    times = evaluation_times(train, test, n_times)
    surv = model.predict_survival(test, times)
    km = np.tile(km_survival(train, times), (len(test), 1))
    curve, ibs = brier_curve(train, test, {"cox": surv, "kaplan_meier": km}, times)
    churn_h = 1 - model.predict_survival_at(test, horizon).to_numpy()
    calib = calibration_table(test, churn_h, horizon, bins)
    observed = 1 - km_survival(test, [horizon])[0]
    metrics = {
        "concordance_test": concordance(test, model.predict_log_hazard(test)),
        "auc_horizon": horizon_auc(train, test, churn_h, horizon),
        "integrated_brier_test": ibs["cox"],
        "integrated_brier_km": ibs["kaplan_meier"],
        "brier_skill": 1 - ibs["cox"] / ibs["kaplan_meier"],
        "brier_window": [float(times[0]), float(times[-1])],
        "calibration_ratio": float(churn_h.mean() / observed) if observed > 0 else float("nan"),
        "n_test": int(len(test)),
    }
    return {"metrics": metrics, "brier": curve, "calibration": calib}


def describe_validation(metrics: dict, horizon: float, time_unit: str) -> str:
    """The held-out results in words."""
    c, auc = metrics["concordance_test"], metrics["auc_horizon"]
    skill = metrics["brier_skill"] * 100
    ratio = metrics["calibration_ratio"]
    lo, hi = metrics["brier_window"]
    return (
        f"On {metrics['n_test']} held-out customers the model ranks who churns first correctly "
        f"for {c:.1%} of comparable pairs (concordance {c:.3f}; 0.5 is a coin flip). "
        f"Separating customers who churn within {horizon:g} {time_unit} from those who stay, "
        f"its AUC is {auc:.3f}. Its integrated Brier score over {lo:.1f}-{hi:.1f} {time_unit} is "
        f"{metrics['integrated_brier_test']:.4f} against {metrics['integrated_brier_km']:.4f} for "
        f"the Kaplan-Meier curve that ignores covariates ({skill:.1f}% "
        f"{'better' if skill >= 0 else 'worse'}). Across all test customers it predicts "
        f"{ratio:.2f} times the churn by {horizon:g} {time_unit} actually observed (1 = "
        "calibrated on average).")
