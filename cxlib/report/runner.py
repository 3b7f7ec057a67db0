"""Execute the notebooks with papermill into a dated report folder with an index page.

A run writes ``reports/<run-id>/``::

    index.html        per notebook its key findings, key figure, status and run time; below,
                      folded, its metrics, parameters and input-data fingerprints
    run.json          the same, machine-readable, plus package versions and the git commit
    <notebook>/       the executed .ipynb, <notebook>.html (no code, for stakeholders),
                      <notebook>_code.html, parameters.yaml, result tables (CSV), metrics.json,
                      findings.json, figures (PNG)

The run is built in a hidden staging folder and moved into place when every notebook has been
tried, so a crash never leaves a half-written folder that looks like a report. ``reports/latest``
moves only to a run in which every notebook succeeded: a failing notebook leaves the previous
complete run untouched and the command exits non-zero. Every path the run records (in
``run.json``, ``parameters.yaml`` and the executed notebooks) is relative to the run folder and
exists after the run, never the staging folder.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..core import NOTEBOOKS_DIR, PROJECT_ROOT, REPORT_CONFIG, REPORTS_DIR, fingerprint
from .artifacts import read_findings, read_metrics
from .index import write_index
from .parameters import ParameterError, check_parameters, inputs_that_belong_together
from .pages import render_pages
from .progress import ProgressPrinter, register_engine, summary_table

KERNEL = "python3"
PACKAGES = ["cxlib", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "lifelines",
            "scikit-survival", "matplotlib", "seaborn", "papermill", "duckdb", "ibis-framework",
            "pyspark", "implicit", "latex2mathml"]


class ReportError(RuntimeError):
    """A report could not be set up (unknown notebook, bad configuration file)."""


@dataclass
class NotebookResult:
    """What one notebook's execution produced, as recorded in the index."""

    notebook: str
    status: str  # "ok" or "failed"
    seconds: float
    parameters: dict  # every parameter's effective value: defaults plus overrides
    metrics: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)  # the notebook's key sentences, for the index
    key_figure: str | None = None  # its key figure's path, relative to the run folder
    overrides: list = field(default_factory=list)  # names of parameters set by the caller
    inputs: dict = field(default_factory=dict)  # parameter name -> {path, sha256_12}
    error: str | None = None
    folder: str = ""  # the notebook's folder, relative to the run folder
    pages: dict = field(default_factory=dict)  # report, code, notebook -> path in the run folder
    title: str = ""  # the lesson's title, from the notebook's first heading


def list_notebooks(folder: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The analysis notebooks in run order (``NN_topic.ipynb``)."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def find_notebook(name: str, folder: Path = NOTEBOOKS_DIR) -> Path:
    """Resolve ``01_churn_survival``, ``01_churn_survival.ipynb`` or a path to a notebook file."""
    p = Path(name)
    if p.suffix == ".ipynb" and p.exists():
        return p.resolve()
    candidate = Path(folder) / (p.name if p.suffix == ".ipynb" else f"{p.name}.ipynb")
    if candidate.exists():
        return candidate
    known = ", ".join(nb.stem for nb in list_notebooks(folder))
    raise ReportError(f"no notebook named '{name}'; known notebooks: {known}")


def notebook_title(path: str | os.PathLike) -> str:
    """The first Markdown heading of a notebook (``00 · The data at a glance``), or its name."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return Path(path).stem


def plain_values(value):
    """YAML turns ``2025-12-31`` into a date; notebooks take dates as ISO strings."""
    if isinstance(value, dict):
        return {k: plain_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_values(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def load_config(path: str | os.PathLike | None = None) -> dict[str, dict]:
    """Read the report configuration: one YAML section of parameters per notebook."""
    path = Path(path) if path else REPORT_CONFIG
    if not path.exists():
        raise ReportError(f"configuration file not found: {path}")
    try:
        config = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ReportError(f"configuration file {path} is not valid YAML: {exc}") from exc
    if not isinstance(config, dict) or any(not isinstance(v, (dict, type(None))) for v in config.values()):
        raise ReportError(f"configuration file {path}: expected one mapping of parameters per notebook")
    known = {nb.stem for nb in list_notebooks()}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ReportError(f"configuration file {path} names unknown notebooks {unknown}; "
                          f"known: {sorted(known)}")
    config = {k: plain_values(dict(v or {})) for k, v in config.items()}
    for name, values in config.items():
        defaults = notebook_defaults(find_notebook(name))
        unknown = sorted(set(values) - set(defaults))
        if unknown:
            raise ReportError(f"configuration file {path}, section {name}: unknown parameters "
                              f"{unknown}; known: {sorted(set(defaults) - {'output_dir'})}")
    return config


def _input_fingerprints(parameters: dict) -> dict:
    """Fingerprint every parameter that names an existing data file (``*_path``).

    A relative path is taken from the project root, where the notebooks run, so the hash is of
    the very file the notebook read, whatever the caller's working directory.
    """
    out = {}
    for name, value in parameters.items():
        if name.endswith("_path") and isinstance(value, str) and value:
            p = Path(value).expanduser()
            p = p if p.is_absolute() else PROJECT_ROOT / p
            if p.is_file():
                out[name] = {"path": value, "sha256_12": fingerprint(p)}
    return out


def notebook_defaults(path: str | os.PathLike) -> dict:
    """The default values in a notebook's ``parameters`` cell."""
    import ast

    import papermill as pm

    out = {}
    for name, spec in pm.inspect_notebook(str(path)).items():
        try:
            out[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            out[name] = spec["default"]
    return out


def _record_relative_output_dir(executed: Path, used: str, recorded: str) -> None:
    """Replace the folder a notebook ran in (a staging folder that is renamed after the run) by
    its path relative to the run folder, in the parameters papermill recorded and injected."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    meta = nb.metadata.get("papermill", {})
    if meta.get("parameters", {}).get("output_dir") == used:
        meta["parameters"]["output_dir"] = recorded
    if meta.get("output_path"):
        meta["output_path"] = str(Path(recorded) / executed.name)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = cell.source.replace(repr(used), repr(recorded)).replace(
                f'"{used}"', f'"{recorded}"')
    nbformat.write(nb, executed)


def _one_line_error(exc: BaseException) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(exc).__name__}: {exc}"
    return text.strip().splitlines()[0][:300] if text.strip() else type(exc).__name__


def execute_notebook(notebook: str | os.PathLike, out_dir: str | os.PathLike,
                     parameters: dict | None = None, *, kernel: str = KERNEL,
                     timeout: int | None = 1800, run_folder: str | os.PathLike | None = None,
                     progress=None) -> NotebookResult:
    """Execute one notebook into ``out_dir`` and write its HTML pages and parameters.

    Failures do not raise: the executed notebook is kept with its error and the result says
    ``status="failed"`` with the error's one-line cause.

    Parameters
    ----------
    run_folder : path, optional
        The folder recorded paths are relative to (default ``out_dir`` itself); ``run_report``
        passes its staging folder, which becomes the run folder.
    progress : callable, optional
        Called with ``(notebook, cells_done, cells_total)`` after each code cell.
    """
    import papermill as pm

    path = find_notebook(str(notebook))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    params = dict(parameters or {})
    params["output_dir"] = str(out.resolve())
    executed = out / path.name
    defaults = notebook_defaults(path)
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ReportError(f"{path.stem} has no parameter {', '.join(map(repr, unknown))}; "
                          f"its parameters: {', '.join(d for d in defaults if d != 'output_dir')}")
    try:  # bad values stop here, before a kernel starts
        params = check_parameters(path, params)
    except ParameterError as exc:
        raise ReportError(str(exc)) from None
    params, notes = inputs_that_belong_together(path, params)
    for note in notes:
        (progress.echo if hasattr(progress, "echo") else print)(note)
    base = Path(run_folder).resolve() if run_folder else out.resolve()
    folder = Path(os.path.relpath(out.resolve(), base)).as_posix()
    effective = {**defaults, **params, "output_dir": folder}
    (out / "parameters.yaml").write_text(yaml.safe_dump(effective, sort_keys=False))
    name = path.stem
    start = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(str(path), str(executed), parameters=params, kernel_name=kernel,
                            cwd=str(PROJECT_ROOT), progress_bar=False, log_output=False,
                            execution_timeout=timeout, engine_name=register_engine(),
                            progress=(lambda done, total: progress((name, done, total)))
                            if progress else None,
                            # kernel log noise (its transport notice, an interrupt at
                            # shutdown) is not for readers; cell errors still reach the
                            # notebook and the index
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except Exception as exc:  # the notebook's own error is shown in the index and kept in the file
        error = _one_line_error(exc)
    seconds = time.perf_counter() - start
    if executed.exists():
        try:
            _record_relative_output_dir(executed, params["output_dir"], folder)
            render_pages(executed)
        except Exception as exc:
            error = error or f"HTML rendering failed: {_one_line_error(exc)}"
    summary = read_findings(out)

    def in_run(file_name):  # a file of this notebook, as a path from the run folder
        return (Path(folder) / file_name).as_posix() if (out / file_name).is_file() else None

    pages = {"report": in_run(f"{name}.html"), "code": in_run(f"{name}_code.html"),
             "notebook": in_run(executed.name)}
    return NotebookResult(notebook=name, status="failed" if error else "ok",
                          seconds=round(seconds, 2), parameters=effective, metrics=read_metrics(out),
                          findings=summary["findings"],
                          key_figure=in_run(summary["key_figure"]) if summary["key_figure"] else None,
                          overrides=sorted(set(params) - {"output_dir"}),
                          inputs=_input_fingerprints(effective), error=error, folder=folder,
                          pages={k: v for k, v in pages.items() if v}, title=notebook_title(path))


def _package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _git_commit() -> str | None:
    try:
        res = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, timeout=5)
        return res.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def run_metadata() -> dict:
    """Who, what and where of a run: Python, platform, package versions, git commit."""
    return {"python": sys.version.split()[0], "platform": platform.platform(),
            "packages": _package_versions(), "git_commit": _git_commit()}


def new_run_id(now: dt.datetime | None = None) -> str:
    """A sortable, dated run id such as ``2026-11-25_174501``."""
    return (now or dt.datetime.now()).strftime("%Y-%m-%d_%H%M%S")


@dataclass
class RunResult:
    """The outcome of :func:`run_report`."""

    run_id: str
    folder: Path
    results: list[NotebookResult]
    metadata: dict

    @property
    def ok(self) -> bool:
        return all(r.status == "ok" for r in self.results)

    @property
    def index(self) -> Path:
        return self.folder / "index.html"


def run_report(config: str | os.PathLike | None = None, out: str | os.PathLike | None = None,
               notebooks: list[str] | None = None, *, run_id: str | None = None,
               jobs: int | None = None, echo=print) -> RunResult:
    """Execute every notebook (or ``notebooks``) with the configured parameters.

    Parameters
    ----------
    config : path, optional
        YAML file with one section of parameters per notebook (default ``notebooks/reports.yaml``).
    out : path, optional
        Folder that holds the run folders (default ``reports/``).
    notebooks : list of str, optional
        Only these notebooks (names such as ``01_churn_survival``).
    run_id : str, optional
        Name of the run folder; a timestamp by default.
    jobs : int, optional
        Notebooks executed at once, each in its own process (default: 2, or 1 on a one-core
        machine). The notebooks are independent, so this only changes the wall time; the
        longest of the last runs start first (:func:`longest_first`).
    echo : callable
        Receives progress lines.
    """
    settings = load_config(config)
    paths = [find_notebook(n) for n in notebooks] if notebooks else list_notebooks()
    if not paths:
        raise ReportError(f"no notebooks found in {NOTEBOOKS_DIR}")
    problems = []
    for nb in paths:  # every notebook's values are checked before the first kernel starts
        try:
            settings[nb.stem] = check_parameters(nb, settings.get(nb.stem, {}))
        except ParameterError as exc:
            problems.append(str(exc))
    if problems:
        raise ReportError("bad parameters, nothing was run: " + " | ".join(problems))
    root = Path(out) if out else REPORTS_DIR
    root.mkdir(parents=True, exist_ok=True)
    run_id = run_id or new_run_id()
    final = root / run_id
    if final.exists():
        raise ReportError(f"run folder {final} already exists; choose another run id")
    staging = root / f".{run_id}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    started = dt.datetime.now().isoformat(timespec="seconds")
    metadata = run_metadata()
    results: list[NotebookResult] = []
    echo(f"Rendering {len(paths)} notebooks into {final}")
    jobs = max(1, min(jobs or min(2, os.cpu_count() or 1), len(paths)))
    printer = ProgressPrinter(echo)

    def done(res: NotebookResult) -> None:
        results.append(res)
        tail = "ok" if res.status == "ok" else f"FAILED: {res.error}"
        echo(f"[{len(results)}/{len(paths)}] {res.notebook} {tail} ({res.seconds:.1f} s)")

    try:
        staging.mkdir()
        if jobs == 1:
            for nb in paths:
                echo(f"  running {nb.stem} ...")
                printer.start(nb.stem)
                done(execute_notebook(nb, staging / nb.stem, settings.get(nb.stem, {}),
                                      run_folder=staging, progress=printer))
        else:
            # separate processes: papermill changes the working directory while it runs; their
            # progress comes back through a queue that a thread here turns into lines
            context = multiprocessing.get_context("spawn")
            with context.Manager() as manager:
                workers = manager.list()
                pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                           initializer=_register_worker, initargs=(workers,))
                queue = manager.Queue()
                reader = threading.Thread(target=_forward, args=(queue, printer), daemon=True)
                reader.start()
                try:
                    futures = []
                    scheduled = longest_first(paths, root)
                    for nb in scheduled:
                        futures.append(pool.submit(execute_notebook, nb, staging / nb.stem,
                                                   settings.get(nb.stem, {}), run_folder=staging,
                                                   progress=queue.put))
                    echo(f"  running {jobs} at a time: " + ", ".join(nb.stem for nb in scheduled))
                    for future in as_completed(futures):
                        done(future.result())
                except BaseException:
                    # stopped (Ctrl-C, SIGTERM) or failed: a terminal's Ctrl-C reaches the workers
                    # too, a SIGTERM only this process, so stop them rather than wait for their
                    # notebooks; each kernel exits when its worker is gone
                    _stop_workers(pool, list(workers))
                    raise
                finally:
                    pool.shutdown(wait=True)
                    queue.put(None)
                    reader.join(timeout=5)
        order = [nb.stem for nb in paths]
        results.sort(key=lambda r: order.index(r.notebook))
    except BaseException:
        # An interrupted run is not a report: leave no folder that could pass for one.
        shutil.rmtree(staging, ignore_errors=True)
        raise
    metadata.update(run_id=run_id, started=started,
                    finished=dt.datetime.now().isoformat(timespec="seconds"),
                    config=str(Path(config) if config else REPORT_CONFIG))
    run = RunResult(run_id=run_id, folder=final, results=results, metadata=metadata)
    write_index(run, staging)
    staging.rename(final)
    if run.ok:
        _point_latest(root, run_id)
    echo(summary_table(results))
    return run


def _register_worker(workers) -> None:
    """Initializer of each worker process: record its process id for :func:`_stop_workers`."""
    workers.append(os.getpid())


def _stop_workers(pool: ProcessPoolExecutor, pids: list[int]) -> None:
    """Cancel the notebooks not started and terminate the workers running the others."""
    pool.shutdown(wait=False, cancel_futures=True)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:  # already finished
            pass


def longest_first(paths: list[Path], root: Path, looked_back: int = 20) -> list[Path]:
    """The notebooks in the order to start them on several workers: longest first, so that no
    long notebook starts last and runs alone at the end.

    Each notebook's time is its time in the newest of the last ``looked_back`` complete runs in
    ``root`` that ran it (a run of one notebook leaves the others' times as they were).
    Notebooks no run has timed go first; the rest keep their own order among equals.
    """
    seconds: dict[str, float] = {}
    wanted = {nb.stem for nb in paths}
    runs = sorted((p for p in root.glob("[0-9]*") if p.is_dir()), reverse=True) if root.is_dir() else []
    for folder in runs[:looked_back]:
        try:
            entries = json.loads((folder / "run.json").read_text())["notebooks"]
            timed = {e["notebook"]: float(e["seconds"]) for e in entries if e.get("status", "ok") == "ok"}
        except (OSError, ValueError, KeyError, TypeError):  # not a run this can read
            continue
        for name, value in timed.items():
            seconds.setdefault(name, value)
        if wanted <= seconds.keys():
            break
    return sorted(paths, key=lambda nb: -seconds.get(nb.stem, float("inf")))


def _forward(queue, printer: ProgressPrinter) -> None:
    """Hand the workers' progress reports to the printer until ``None`` arrives."""
    while (report := queue.get()) is not None:
        printer(report)


def _point_latest(root: Path, run_id: str) -> None:
    """Make ``root/latest`` point at the newest complete run (a relative symlink)."""
    link = root / "latest"
    tmp = root / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    try:
        tmp.symlink_to(run_id, target_is_directory=True)
        os.replace(tmp, link)
    except OSError:  # file systems without symlinks get a pointer file instead
        (root / "latest.txt").write_text(run_id + "\n")
