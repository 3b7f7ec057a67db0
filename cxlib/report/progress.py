"""Progress of long runs: cells done per notebook while it runs, a short table when all are done.

Notebooks run in worker processes; each reports ``(notebook, cells_done, cells_total)`` through
a callable (a queue's ``put`` across processes) from a papermill engine that counts finished
code cells. The parent turns those reports into lines, at most one per notebook every few
seconds so a log stays readable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

__all__ = ["ENGINE", "register_engine", "ProgressPrinter", "summary_table"]

ENGINE = "cx-progress"


def register_engine() -> str:
    """Register the papermill engine that reports finished cells; returns its name."""
    from papermill.engines import NBClientEngine, papermill_engines

    class ProgressEngine(NBClientEngine):
        """papermill's nbclient engine, calling ``progress(done, total)`` after each code cell."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, progress=None, **kwargs):
            if progress is not None:
                total = sum(c.cell_type == "code" for c in nb_man.nb.cells)
                finished = nb_man.cell_complete
                done = 0

                def cell_complete(cell, cell_index=None, **kw):
                    nonlocal done
                    finished(cell, cell_index=cell_index, **kw)
                    if cell.cell_type == "code":
                        done += 1
                        progress(done, total)

                nb_man.cell_complete = cell_complete
                progress(0, total)  # the clock starts before the kernel does
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE, ProgressEngine)
    return ENGINE


class ProgressPrinter:
    """Turn ``(notebook, done, total)`` reports into progress lines.

    Parameters
    ----------
    echo : callable
        Receives each line.
    every : float
        Seconds between two lines about the same notebook (its last cell is always shown).
    clock : callable
        Time source, for tests.
    """

    def __init__(self, echo: Callable[[str], object] = print, every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic):
        self.echo, self.every, self.clock = echo, every, clock
        self.started: dict[str, float] = {}
        self.shown: dict[str, float] = {}

    def start(self, notebook: str) -> None:
        self.started.setdefault(notebook, self.clock())

    def __call__(self, report: tuple[str, int, int]) -> None:
        notebook, done, total = report
        now = self.clock()
        self.start(notebook)
        if done < total and now - self.shown.get(notebook, self.started[notebook]) < self.every:
            return
        self.shown[notebook] = now
        self.echo(f"  {notebook}: {done}/{total} cells, {now - self.started[notebook]:.0f} s")


def summary_table(results: Sequence) -> str:
    """A short text table of what ran: notebook, status (with the error's cause), time."""
    width = max([len("notebook"), *(len(r.notebook) for r in results)])
    lines = [f"{'notebook':<{width}}  status  time", f"{'-' * width}  ------  ------"]
    for r in results:
        line = f"{r.notebook:<{width}}  {r.status:<6}  {r.seconds:5.1f} s"
        if r.error:
            line += f"  {r.error}"
        lines.append(line)
    return "\n".join(lines)
