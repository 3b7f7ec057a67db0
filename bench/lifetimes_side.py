"""The lifetimes side of ``bench_clv.py``; runs inside ``bench/.venv-lifetimes``.

Usage: ``python bench/lifetimes_side.py SUMMARY.parquet`` prints one JSON line with the fit time
and the parameters of lifetimes' BetaGeoFitter on the summary's frequency, recency and T.
"""

import json
import sys
import time
import warnings

import pandas as pd
from lifetimes import BetaGeoFitter

warnings.simplefilter("ignore")
summary = pd.read_parquet(sys.argv[1])
t0 = time.perf_counter()
bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
seconds = time.perf_counter() - t0
params = {k: float(bgf.params_[k]) for k in ("r", "alpha", "a", "b")}
print(json.dumps({"seconds": seconds, "params": params}))
