"""Intervals and tests for one comparison of a variant with the control, from summary numbers.

- proportions: Wilson's score interval for each rate and Newcombe's hybrid score interval for
  their difference, with the pooled two-proportion z test;
- means: Welch's t interval and test (no equal-variance assumption);
- the relative lift (variant / control - 1): the delta method on the log of the ratio.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["wilson_interval", "newcombe_interval", "two_proportion_z", "welch_interval",
           "relative_lift_interval"]


def wilson_interval(successes, n, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson's (1927) score interval for a proportion.

    :math:`\\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}`.
    """
    z = stats.norm.ppf(1 - alpha / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def newcombe_interval(x_variant, n_variant, x_control, n_control,
                      alpha: float = 0.05) -> tuple[float, float]:
    """Newcombe's (1998) hybrid score interval for ``p_variant - p_control`` (his method 10).

    With Wilson limits :math:`(l_1, u_1)` and :math:`(l_2, u_2)` of the two rates,
    :math:`L = \\hat d - \\sqrt{(\\hat p_1 - l_1)^2 + (u_2 - \\hat p_2)^2}` and
    :math:`U = \\hat d + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_2 - l_2)^2}`.
    """
    p1, p2 = x_variant / n_variant, x_control / n_control
    l1, u1 = wilson_interval(x_variant, n_variant, alpha)
    l2, u2 = wilson_interval(x_control, n_control, alpha)
    d = p1 - p2
    return (float(max(-1.0, d - np.hypot(p1 - l1, u2 - p2))),
            float(min(1.0, d + np.hypot(u1 - p1, p2 - l2))))


def two_proportion_z(x_variant, n_variant, x_control, n_control) -> tuple[float, float]:
    """Pooled two-proportion z test of equal rates: ``(z, two-sided p)``."""
    p1, p2 = x_variant / n_variant, x_control / n_control
    pooled = (x_variant + x_control) / (n_variant + n_control)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_variant + 1 / n_control))
    if se == 0:
        return 0.0, 1.0
    z = (p1 - p2) / se
    return float(z), float(2 * stats.norm.sf(abs(z)))


def welch_interval(mean_variant, var_variant, n_variant, mean_control, var_control, n_control,
                   alpha: float = 0.05) -> dict:
    """Welch's (1947) interval and test for a difference of means.

    Returns ``{"difference", "ci_lower", "ci_upper", "se", "df", "t", "p"}`` with the
    Welch-Satterthwaite degrees of freedom
    :math:`\\nu = (s_1^2/n_1 + s_2^2/n_2)^2 / \\left(\\frac{(s_1^2/n_1)^2}{n_1-1} + \\frac{(s_2^2/n_2)^2}{n_2-1}\\right)`.
    """
    a, b = var_variant / n_variant, var_control / n_control
    se = float(np.sqrt(a + b))
    d = float(mean_variant - mean_control)
    df = (a + b) ** 2 / (a * a / (n_variant - 1) + b * b / (n_control - 1)) if se > 0 else np.inf
    q = stats.t.ppf(1 - alpha / 2, df)
    t = d / se if se > 0 else 0.0
    return {"difference": d, "ci_lower": d - q * se, "ci_upper": d + q * se, "se": se,
            "df": float(df), "t": float(t), "p": float(2 * stats.t.sf(abs(t), df))}


def relative_lift_interval(mean_variant, var_variant, n_variant, mean_control, var_control,
                           n_control, alpha: float = 0.05) -> tuple[float, float, float, str]:
    """Relative lift :math:`\\bar y_1 / \\bar y_0 - 1` with a delta-method interval.

    With both means positive the interval is built on the log of the ratio, whose delta-method
    variance is :math:`s_1^2/(n_1 \\bar y_1^2) + s_0^2/(n_0 \\bar y_0^2)`, and mapped back, so it
    respects the ratio's skewness and never goes below -100%. Otherwise the ratio itself gets
    the delta-method standard error. Returns ``(lift, lower, upper, scale)``.
    """
    z = stats.norm.ppf(1 - alpha / 2)
    if mean_control == 0:
        return np.nan, np.nan, np.nan, "undefined (control mean 0)"
    ratio = mean_variant / mean_control
    if mean_variant > 0 and mean_control > 0:
        se = np.sqrt(var_variant / (n_variant * mean_variant ** 2)
                     + var_control / (n_control * mean_control ** 2))
        return (float(ratio - 1), float(np.exp(np.log(ratio) - z * se) - 1),
                float(np.exp(np.log(ratio) + z * se) - 1), "log ratio")
    # Var(a / b) ~ Var(a) / b^2 + a^2 Var(b) / b^4
    se = np.sqrt(var_variant / n_variant / mean_control ** 2
                 + mean_variant ** 2 * var_control / n_control / mean_control ** 4)
    return float(ratio - 1), float(ratio - 1 - z * se), float(ratio - 1 + z * se), "ratio"
