"""Paths through the journey: the most common first steps, the moves between stages and loops.

Each is an Ibis expression over the event log with a window ordered by time per customer, so
only a table of paths or of stage pairs (tens of rows) leaves the engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .log import EventLog

__all__ = ["path_table", "transition_table", "loop_table", "START", "SEP", "PATH_COLUMNS"]

START = "(start)"
SEP = " > "
PATH_COLUMNS = ["path", "customers", "share"]


def _ordered(log: EventLog):
    """Events with their position in the customer's journey (0 for the first), ties by stage."""
    import ibis

    r = log.rows
    w = ibis.window(group_by=r.c, order_by=[r.t, r.stage])
    return r.mutate(pos=ibis.row_number().over(w), prev=r.stage.lag().over(w))


def path_table(log: EventLog, length: int = 4, top: int = 10) -> pd.DataFrame:
    """The ``top`` most common sequences of a customer's first ``length`` events.

    Returns ``path, customers, share`` (share of all customers in the log), most common first;
    the last row, ``(other paths)``, holds the rest so the shares add up to 1. A customer with
    fewer events has a shorter path.
    """
    if length < 1:
        raise ValueError(f"path length must be at least 1, got {length}")
    r = _ordered(log)
    first = r.filter(r.pos < length)
    steps = {f"p{j}": first.stage.max(where=first.pos == j) for j in range(length)}
    per_customer = first.group_by("c").aggregate(**steps)
    keys = list(steps)
    counts = log.to_pandas(per_customer.group_by(keys).aggregate(customers=per_customer.count()))
    counts["path"] = [SEP.join(s for s in row if isinstance(s, str)) for row in counts[keys].itertuples(index=False)]
    counts = counts.groupby("path", as_index=False)["customers"].sum()
    total = counts["customers"].sum()
    counts = counts.sort_values(["customers", "path"], ascending=[False, True])
    head = counts.head(top)
    rest = int(total - head["customers"].sum())
    if rest:
        head = pd.concat([head, pd.DataFrame({"path": ["(other paths)"], "customers": [rest]})])
    head = head.assign(share=head["customers"] / total).reset_index(drop=True)
    head["customers"] = head["customers"].astype(int)
    return head[PATH_COLUMNS]


def transition_table(log: EventLog) -> pd.DataFrame:
    """How customers move: ``from, to, moves, share_of_from`` for every consecutive pair of events.

    ``from`` is :data:`START` for a customer's first event; ``share_of_from`` is the share of
    the moves out of ``from`` that go to ``to``. A stage followed by itself is a loop.
    """
    r = _ordered(log)
    pairs = r.mutate(src=r.prev.fill_null(START))
    df = log.to_pandas(pairs.group_by(["src", "stage"]).aggregate(moves=pairs.count()))
    df = df.rename(columns={"src": "from", "stage": "to"})
    df["moves"] = df["moves"].astype(int)
    df["share_of_from"] = df["moves"] / df.groupby("from")["moves"].transform("sum")
    return df.sort_values(["from", "moves"], ascending=[True, False]).reset_index(drop=True)


def loop_table(journeys: pd.DataFrame, transitions: pd.DataFrame, touchpoints: list[str]) -> pd.DataFrame:
    """Repeated touchpoints per customer: ``touchpoint, customers, repeat_customers, repeat_share,
    mean_per_customer, max_per_customer, back_to_back``.

    ``repeat_customers`` had the touchpoint two times or more; ``back_to_back`` counts moves from
    the touchpoint straight to itself (a second support contact with nothing in between).
    """
    rows = []
    for tp in touchpoints:
        n = journeys[f"n_{tp}"].to_numpy()
        has = n > 0
        loops = transitions[(transitions["from"] == tp) & (transitions["to"] == tp)]["moves"].sum()
        rows.append({"touchpoint": tp, "customers": int(has.sum()), "repeat_customers": int((n >= 2).sum()),
                     "repeat_share": float((n >= 2).sum() / has.sum()) if has.any() else np.nan,
                     "mean_per_customer": float(n[has].mean()) if has.any() else np.nan,
                     "max_per_customer": int(n.max()) if len(n) else 0, "back_to_back": int(loops)})
    return pd.DataFrame(rows)
