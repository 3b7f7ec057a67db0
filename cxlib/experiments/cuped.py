"""CUPED: the same difference of means with the part a pre-period covariate explains taken out.

Deng, Xu, Kohavi and Walker (2013, "Improving the sensitivity of online controlled experiments by
utilizing pre-experiment data", WSDM) adjust each outcome by its pre-period value,
:math:`y_i^{cv} = y_i - \\theta (x_i - \\bar x)`. Randomization makes :math:`x` independent of the
variant, so the adjusted difference estimates the same effect, with variance smaller by the
factor :math:`1 - \\rho^2` (:math:`\\rho` the correlation of :math:`y` with :math:`x`) at the best
:math:`\\theta = \\operatorname{cov}(y, x) / \\operatorname{var}(x)`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .intervals import welch_interval
from .statistics import as_records

__all__ = ["cuped_effects", "CUPED_COLUMNS"]

CUPED_COLUMNS = ["metric", "variant", "difference", "ci_lower", "ci_upper", "variance_reduction",
                 "p", "theta", "correlation", "plain_difference", "plain_ci_lower",
                 "plain_ci_upper", "width_ratio"]


def cuped_effects(moments: pd.DataFrame, control: str, pre_metrics: Mapping[str, str],
                  alpha: float = 0.05) -> pd.DataFrame:
    """CUPED-adjusted differences for every metric with a pre-period column.

    Parameters
    ----------
    moments : DataFrame
        :func:`~cxlib.experiments.statistics.moments` of the variant statistics.
    control : str
    pre_metrics : mapping
        ``{metric: pre-period column}``.

    Returns
    -------
    DataFrame with :data:`CUPED_COLUMNS`. ``variance_reduction`` is
    :math:`1 - \\widehat{\\mathrm{Var}}_{cv} / \\widehat{\\mathrm{Var}}`, the share of the plain
    difference's variance removed; ``width_ratio`` the adjusted interval's width over the plain
    one (:math:`\\approx \\sqrt{1 - \\rho^2}`).

    Notes
    -----
    :math:`\\theta` is pooled within variants,
    :math:`\\hat\\theta = \\sum_g \\sum_{i \\in g} (x_i - \\bar x_g)(y_i - \\bar y_g) /
    \\sum_g \\sum_{i \\in g} (x_i - \\bar x_g)^2`, so a treatment effect on :math:`y` does not
    leak into it; the adjusted difference is then exactly the treatment coefficient of the
    regression :math:`y \\sim \\text{variant} + x`. The variance of each variant's adjusted mean is
    :math:`(s_y^2 - 2\\hat\\theta s_{xy} + \\hat\\theta^2 s_x^2) / n`, and the interval is Welch's on
    these variances.
    """
    rows = []
    records = as_records(moments)
    for metric in pre_metrics:
        cell = {r["variant"]: r for r in records if r["metric"] == metric}
        dof = {v: r["n"] - 1 for v, r in cell.items()}
        sxy = sum(r["cov"] * dof[v] for v, r in cell.items())
        sxx = sum(r["pre_var"] * dof[v] for v, r in cell.items())
        syy = sum(r["var"] * dof[v] for v, r in cell.items())
        theta = float(sxy / sxx)
        corr = float(sxy / np.sqrt(sxx * syy))
        for r in cell.values():
            r["adj_var"] = r["var"] - 2 * theta * r["cov"] + theta ** 2 * r["pre_var"]
        c = cell[control]
        for variant, v in cell.items():
            if variant == control:
                continue
            plain = welch_interval(v["mean"], v["var"], v["n"], c["mean"], c["var"], c["n"], alpha)
            diff = (v["mean"] - c["mean"]) - theta * (v["pre_mean"] - c["pre_mean"])
            adj = welch_interval(diff, v["adj_var"], v["n"], 0.0, c["adj_var"], c["n"], alpha)
            rows.append({"metric": metric, "variant": variant, "difference": adj["difference"],
                         "ci_lower": adj["ci_lower"], "ci_upper": adj["ci_upper"],
                         "variance_reduction": 1 - adj["se"] ** 2 / plain["se"] ** 2,
                         "p": adj["p"], "theta": theta, "correlation": corr,
                         "plain_difference": plain["difference"],
                         "plain_ci_lower": plain["ci_lower"], "plain_ci_upper": plain["ci_upper"],
                         "width_ratio": adj["se"] / plain["se"]})
    return pd.DataFrame(rows, columns=CUPED_COLUMNS)
