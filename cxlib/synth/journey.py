"""A customer-journey cohort with known truth: funnel stages, touchpoints and churn.

:func:`make_journey` simulates customers of their own (ids ``J000001``, ...) from signup on:

- **Funnel**: signup -> onboarding -> first_purchase -> repeat_purchase. A customer at a stage
  moves on with a probability that depends on the acquisition channel (``CONVERSION``), after a
  delay drawn from an exponential distribution truncated at ``STAGE_TIMES["max_days"]``, so
  every conversion happens within ``CONVERSION_WINDOW_DAYS`` of the stage before. The segment
  has no effect on conversion.
- **Touchpoints**: support contacts and feedback requests arrive as Poisson processes over the
  customer's lifetime, each with a 1-5 satisfaction score; the onboarding stage has a score too.
  A score of 2 or less is a bad experience.
- **Churn**: every customer signs up for a minimum term of ``MIN_TERM_DAYS`` (longer than the
  whole funnel can take, so churn never cuts a funnel step short); after it the churn hazard is
  ``BASELINE_HAZARD`` per day times ``HAZARD_RATIOS[tp]`` for each bad experience at touchpoint
  ``tp`` so far. The hazard is piecewise constant between
  experiences, and churn is drawn exactly under it (the cumulative hazard inverted at an
  exponential draw). Touchpoints stop at churn, so customers who stay longer have more of them.

Channel, segment, funnel, touchpoint times, scores and churn draw from their own child
generators of one ``SeedSequence``. Everything is vectorized: a million customers take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import SEED

__all__ = ["make_journey", "write_journey", "FILES", "FUNNEL", "CHANNELS", "SEGMENTS", "CONVERSION", "STAGE_TIMES",
           "TOUCHPOINTS", "HAZARD_RATIOS", "BASELINE_HAZARD", "CONVERSION_WINDOW_DAYS",
           "BAD_SCORE", "SCORE_SCALE", "MIN_TERM_DAYS"]

DAY_S = 86_400
STREAM_KEY = 0x4A  # "J"
FILES = {"customers": "journey_customers.csv", "events": "events.csv"}
FUNNEL = ("signup", "onboarding", "first_purchase", "repeat_purchase")
CHANNELS = {"web": 0.40, "app": 0.30, "phone": 0.15, "store": 0.15}  # acquisition channel shares
SEGMENTS = {"consumer": 0.70, "business": 0.30}  # no effect on anything: the null comparison
# Chance of moving from the stage before to this stage, by acquisition channel.
CONVERSION = {
    "web": {"onboarding": 0.80, "first_purchase": 0.55, "repeat_purchase": 0.45},
    "app": {"onboarding": 0.90, "first_purchase": 0.65, "repeat_purchase": 0.55},
    "phone": {"onboarding": 0.85, "first_purchase": 0.50, "repeat_purchase": 0.40},
    "store": {"onboarding": 0.75, "first_purchase": 0.70, "repeat_purchase": 0.50},
}
# Days from the stage before: exponential with this mean, truncated at max_days.
STAGE_TIMES = {
    "onboarding": {"mean_days": 2.0, "max_days": 14.0},
    "first_purchase": {"mean_days": 8.0, "max_days": 60.0},
    "repeat_purchase": {"mean_days": 25.0, "max_days": 100.0},
}
CONVERSION_WINDOW_DAYS = 120  # every conversion happens within this many days
MIN_TERM_DAYS = 183  # no churn before; longer than the longest funnel (14 + 60 + 100 days)
# Touchpoints during the lifetime: arrival rate per day and the chance that an experience is bad.
TOUCHPOINTS = {
    "support": {"rate_per_day": 1 / 30, "bad_share": 0.30, "channels": {"phone": 0.5, "app": 0.3, "web": 0.2}},
    "feedback": {"rate_per_day": 1 / 45, "bad_share": 0.25, "channels": {"web": 0.6, "app": 0.4}},
}
ONBOARDING_BAD_SHARE = 0.20
SCORE_SCALE = (1, 5)
BAD_SCORE = 2  # a score at or below this is a bad experience
GOOD_SCORES = {"levels": (3, 4, 5), "probabilities": (0.25, 0.45, 0.30)}
# Churn hazard per day after the minimum term, and the factor per bad experience.
BASELINE_HAZARD = 1 / 900
HAZARD_RATIOS = {"onboarding": 1.5, "support": 1.6, "feedback": 1.0}


def _truncated_exponential(rng, mean: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Exponential(mean) conditioned on being at most ``cap``, by inversion."""
    u = rng.random(len(mean))
    return -mean * np.log1p(-u * (1.0 - np.exp(-cap / mean)))


def _truncated_median(mean: float, cap: float) -> float:
    return float(-mean * np.log1p(-0.5 * (1.0 - np.exp(-cap / mean))))


def _ids(prefix: str, n: int) -> np.ndarray:
    width = max(6, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _scores(rng, bad: np.ndarray) -> np.ndarray:
    """1-2 for a bad experience (equally likely), else 3-5 with ``GOOD_SCORES``."""
    good = rng.choice(GOOD_SCORES["levels"], size=len(bad), p=GOOD_SCORES["probabilities"])
    return np.where(bad, 1 + rng.integers(0, 2, size=len(bad)), good).astype(np.int64)


def make_journey(n_customers: int = 5000, seed=SEED, observation_end: str = "2025-12-31"
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Simulate a journey cohort and return ``(customers, events, truth)``.

    Parameters
    ----------
    n_customers : int
        Customers, each with a signup in the three years before ``observation_end``.
    seed : int or numpy.random.SeedSequence
        Seed of the journey's ``SeedSequence`` (the world may pass one of its children).
    observation_end : date-like
        End of observation (midnight at the start of that day): no event is dated at or after
        it, and churn after it is censored.

    Returns
    -------
    customers : DataFrame
        ``customer_id, signup_date, churn_date`` (NaT while active), ``channel, segment``.
    events : DataFrame
        ``customer_id, timestamp, stage, channel, score`` (score blank for signup and
        purchases), in customer and time order.
    truth : dict
        JSON-able: ``n_customers``, ``observation_end``, the funnel, conversions by channel,
        stage times (mean and median days), touchpoint rates, the baseline churn hazard and
        the hazard ratio of a bad experience at each touchpoint.
    """
    n = int(n_customers)
    if n < 1:
        raise ValueError(f"n_customers must be at least 1, got {n_customers!r}")
    end = pd.Timestamp(observation_end).normalize()
    start = end - pd.DateOffset(years=3) + pd.Timedelta(days=1)
    # an int seed gets a spawn key of its own, so these streams never coincide with the children
    # that the world spawns from the same seed
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed, spawn_key=(STREAM_KEY,))
    rng_who, rng_signup, rng_funnel, rng_touch, rng_score, rng_churn = (
        np.random.default_rng(s) for s in ss.spawn(6))

    channels = np.array(list(CHANNELS), dtype=object)
    channel = rng_who.choice(len(channels), size=n, p=list(CHANNELS.values()))
    segments = np.array(list(SEGMENTS), dtype=object)
    segment = rng_who.choice(len(segments), size=n, p=list(SEGMENTS.values()))

    # Time is in days since the signup date's midnight; the signup itself has a time of day.
    n_days = (end - start).days
    signup_day = rng_signup.integers(0, n_days, size=n)
    horizon = (n_days - signup_day).astype(float)  # days from the signup date to the end
    t_signup = rng_signup.random(n)

    # Funnel: the time of each stage (NaN when not reached, even after the end).
    stage_t = np.full((n, len(FUNNEL)), np.nan)
    stage_t[:, 0] = t_signup
    alive = np.ones(n, dtype=bool)
    for k, stage in enumerate(FUNNEL[1:], start=1):
        p = np.array([CONVERSION[c][stage] for c in channels])[channel]
        moves = alive & (rng_funnel.random(n) < p)
        delay = _truncated_exponential(rng_funnel, np.full(n, STAGE_TIMES[stage]["mean_days"]),
                                       np.full(n, STAGE_TIMES[stage]["max_days"]))
        stage_t[moves, k] = stage_t[moves, k - 1] + delay[moves]
        alive = moves
    bad_onboarding = rng_score.random(n) < ONBOARDING_BAD_SHARE
    onboarding_score = _scores(rng_score, bad_onboarding)

    # Touchpoints up to the end, drawn before churn is known; churn then cuts them off.
    owners, times, kinds = [], [], []
    for j, (name, spec) in enumerate(TOUCHPOINTS.items()):
        span = np.maximum(horizon - t_signup, 0.0)
        count = rng_touch.poisson(spec["rate_per_day"] * span)
        who = np.repeat(np.arange(n), count)
        owners.append(who)
        times.append(t_signup[who] + rng_touch.random(len(who)) * span[who])
        kinds.append(np.full(len(who), j, dtype=np.int64))
    owner = np.concatenate(owners)
    t_touch = np.concatenate(times)
    kind = np.concatenate(kinds)
    bad_share = np.array([s["bad_share"] for s in TOUCHPOINTS.values()])
    bad_touch = rng_score.random(len(owner)) < bad_share[kind]
    touch_score = _scores(rng_score, bad_touch)

    churn_t = _churn_times(rng_churn, n, horizon, stage_t[:, 1], bad_onboarding,
                           owner, t_touch, kind, bad_touch)
    last = np.minimum(churn_t, horizon)  # touchpoints happen before churn and before the end

    events = _events(n, channels, channel, stage_t, last, onboarding_score, owner, t_touch, kind,
                     touch_score, signup_day, start, rng_touch)
    ids = _ids("J", n)
    events.insert(0, "customer_id", ids[events.pop("owner").to_numpy()])
    signup_date = start + pd.to_timedelta(signup_day, unit="D")
    churned = churn_t < horizon
    # Whole days, rounded up: the churn date is after every touchpoint of the customer.
    # (No NaN reaches to_timedelta: pandas' rounding of NaN can raise a spurious overflow
    # warning, depending on how the array happens to sit in memory.)
    churn_days = np.ceil(np.where(churned, churn_t, 0.0))
    customers = pd.DataFrame({
        "customer_id": ids,
        "signup_date": signup_date,
        "churn_date": (signup_date + pd.to_timedelta(churn_days, unit="D")).where(churned),
        "channel": channels[channel],
        "segment": segments[segment],
    })
    truth = _truth(n, end, churned, len(events))
    return customers, events, truth


def write_journey(customers: pd.DataFrame, events: pd.DataFrame, out_dir, fmt: str = "csv") -> dict:
    """Write ``journey_customers`` and ``events`` to ``out_dir`` and return their paths.

    Parameters
    ----------
    customers, events : DataFrame
        From :func:`make_journey`.
    out_dir : str or path-like
        Created if missing.
    fmt : {"csv", "parquet"}
        CSV dates are ISO text (``churn_date`` blank while active), event times to the second,
        scores blank where none was given; Parquet timestamps are in microseconds, which Spark
        reads.
    """
    from pathlib import Path

    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: (out / file).with_suffix(f".{fmt}") for name, file in FILES.items()}
    if fmt == "csv":
        customers.to_csv(paths["customers"], index=False, date_format="%Y-%m-%d")
        events.to_csv(paths["events"], index=False, date_format="%Y-%m-%d %H:%M:%S")
    else:
        for name, df in (("customers", customers), ("events", events)):
            df.to_parquet(paths[name], index=False, coerce_timestamps="us", allow_truncated_timestamps=True)
    return paths


def _churn_times(rng, n, horizon, t_onboarding, bad_onboarding, owner, t_touch, kind,
                 bad_touch) -> np.ndarray:
    """Exact churn times under the piecewise-constant hazard (inf when beyond the horizon).

    The hazard changes only at bad experiences, so each customer's timeline is cut there; the
    cumulative hazard over the pieces is compared with one standard exponential draw per
    customer, and the piece where it is crossed is inverted linearly.
    """
    names = list(TOUCHPOINTS)
    log_hr = {k: np.log(v) for k, v in HAZARD_RATIOS.items()}
    # change points: bad touchpoints and a bad onboarding, with the log-hazard step each adds
    has_onb = bad_onboarding & ~np.isnan(t_onboarding)
    step_touch = np.array([log_hr[k] for k in names])[kind[bad_touch]]
    who = np.concatenate([owner[bad_touch], np.flatnonzero(has_onb)])
    at = np.concatenate([t_touch[bad_touch], t_onboarding[has_onb]])
    step = np.concatenate([step_touch, np.full(int(has_onb.sum()), log_hr["onboarding"])])
    # each customer also gets a start point (step 0) at time 0
    who = np.concatenate([np.arange(n), who])
    at = np.concatenate([np.zeros(n), at])
    step = np.concatenate([np.zeros(n), step])
    order = np.lexsort((at, who))
    who, at, step = who[order], at[order], step[order]
    first = np.r_[True, who[1:] != who[:-1]]
    group_start = np.flatnonzero(first)
    log_rate = np.cumsum(step)
    log_rate -= np.repeat(log_rate[group_start] - step[group_start], np.diff(np.r_[group_start, len(who)]))
    nxt = np.r_[at[1:], np.inf]
    nxt[np.r_[group_start[1:] - 1, len(who) - 1]] = np.inf  # each customer's last piece is open
    # exposure of the piece: only after the minimum term and before the horizon
    lo = np.maximum(at, MIN_TERM_DAYS)
    hi = np.minimum(nxt, horizon[who])
    exposure = np.clip(hi - lo, 0.0, None)
    rate = BASELINE_HAZARD * np.exp(log_rate)
    piece_h = rate * exposure
    cum = np.cumsum(piece_h)
    cum_before = cum - piece_h
    offset = np.repeat(cum_before[group_start], np.diff(np.r_[group_start, len(who)]))
    cum_end, cum_start = cum - offset, cum_before - offset
    e = rng.standard_exponential(n)
    crossed = cum_end >= e[who]
    out = np.full(n, np.inf)
    hit = np.flatnonzero(crossed & ~np.r_[False, crossed[:-1] & (who[1:] == who[:-1])])
    c = who[hit]
    out[c] = lo[hit] + (e[c] - cum_start[hit]) / rate[hit]
    return out


def _events(n, channels, channel, stage_t, last, onboarding_score, owner, t_touch, kind,
            touch_score, signup_day, start, rng) -> pd.DataFrame:
    """The event log: funnel stages reached before the end and touchpoints before churn."""
    parts = []
    for k, stage in enumerate(FUNNEL):
        t = stage_t[:, k]
        keep = ~np.isnan(t) & (t < last)
        who = np.flatnonzero(keep)
        score = onboarding_score[who] if stage == "onboarding" else np.full(len(who), -1)
        parts.append((who, t[who], np.full(len(who), k), channel[who], score))
    tp_names = list(TOUCHPOINTS)
    keep = t_touch < last[owner]
    for j, name in enumerate(tp_names):
        sel = keep & (kind == j)
        ch_names = list(TOUCHPOINTS[name]["channels"])
        ch = rng.choice(len(ch_names), size=int(sel.sum()), p=list(TOUCHPOINTS[name]["channels"].values()))
        ch_index = np.array([list(channels).index(c) for c in ch_names])[ch]
        parts.append((owner[sel], t_touch[sel], np.full(int(sel.sum()), len(FUNNEL) + j), ch_index,
                      touch_score[sel]))
    who = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[1] for p in parts])
    stage = np.concatenate([p[2] for p in parts])
    ch = np.concatenate([p[3] for p in parts])
    score = np.concatenate([p[4] for p in parts])
    order = np.lexsort((t, who))
    who, t, stage, ch, score = who[order], t[order], stage[order], ch[order], score[order]
    seconds = (start.value // 10**9) + signup_day[who] * DAY_S + np.floor(t * DAY_S).astype(np.int64)
    names = np.array(list(FUNNEL) + tp_names, dtype=object)
    return pd.DataFrame({
        "owner": who,
        "timestamp": (seconds * 10**9).view("datetime64[ns]"),
        "stage": names[stage],
        "channel": channels[ch],
        "score": pd.array(np.where(score < 0, pd.NA, score), dtype="Int64"),
    })


def _truth(n, end, churned, n_events) -> dict:
    times = {s: {**v, "median_days": round(_truncated_median(v["mean_days"], v["max_days"]), 4),
                 "distribution": "exponential with mean_days, truncated at max_days"}
             for s, v in STAGE_TIMES.items()}
    return {
        "n_customers": int(n),
        "observation_end": str(end.date()),
        "funnel": list(FUNNEL),
        "channels": dict(CHANNELS),
        "segments": dict(SEGMENTS),
        "conversion": {c: dict(v) for c, v in CONVERSION.items()},
        "conversion_rule": "chance of reaching the stage given the stage before, by acquisition "
                           "channel; the segment has no effect",
        "conversion_window_days": CONVERSION_WINDOW_DAYS,
        "stage_times": times,
        "touchpoints": {k: {"rate_per_day": v["rate_per_day"], "bad_share": v["bad_share"]}
                        for k, v in TOUCHPOINTS.items()},
        "onboarding_bad_share": ONBOARDING_BAD_SHARE,
        "score_scale": list(SCORE_SCALE),
        "bad_score": BAD_SCORE,
        "hazard": {
            "baseline_per_day": BASELINE_HAZARD,
            "minimum_term_days": MIN_TERM_DAYS,
            "hazard_ratios": dict(HAZARD_RATIOS),
            "no_effect": [k for k, v in HAZARD_RATIOS.items() if v == 1.0],
            "rule": "h(t) = baseline * prod over bad experiences so far of hazard_ratios[touchpoint], "
                    "t in days since the signup date; zero during the minimum term; churn_date = signup_date + lifetime "
                    "rounded up to whole days, censored at observation_end",
            "churned_fraction": round(float(np.mean(churned)), 4),
        },
        "n_events": int(n_events),
    }
