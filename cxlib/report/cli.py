"""The ``cx`` command.

::

    cx report [--config FILE] [--out DIR] [--only NOTEBOOK ...]
    cx run NOTEBOOK [-p NAME VALUE]... [-f params.yaml] [--out DIR]
    cx data synth --customers N --seed S --out DIR [--format csv|parquet]
    cx params NOTEBOOK
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
from pathlib import Path

import yaml

from ..core import REPORTS_DIR, SEED, DataError
from .progress import ProgressPrinter, summary_table
from .runner import (ReportError, execute_notebook, find_notebook, new_run_id, plain_values,
                     run_report)


def _cmd_report(args) -> int:
    run = run_report(args.config, args.out, args.only or None, jobs=args.jobs)
    print(f"Index: {run.index}")
    if not run.ok:
        failed = [r.notebook for r in run.results if r.status != "ok"]
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}. "
              "The previous complete run (reports/latest) is unchanged.", file=sys.stderr)
        return 1
    print(f"Latest complete run: {Path(run.folder).parent / 'latest'}")
    return 0


def _read_param_file(path: str) -> dict:
    try:
        values = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ReportError(f"cannot read parameter file {path}: {exc}") from exc
    if not isinstance(values, dict):
        raise ReportError(f"parameter file {path}: expected a mapping NAME: VALUE")
    return values


def _cmd_run(args) -> int:
    nb = find_notebook(args.notebook)
    params: dict = {}
    for f in args.file or []:
        params.update(plain_values(_read_param_file(f)))
    for name, value in args.param or []:
        params[name] = plain_values(yaml.safe_load(value))  # YAML: lists, numbers, null work
    out = Path(args.out) if args.out else REPORTS_DIR / "runs" / f"{new_run_id()}_{nb.stem}"
    if out.exists() and any(out.iterdir()):
        if not args.replace:
            raise ReportError(f"{out} is not empty; choose another --out, or add --replace to "
                              "replace its contents whole (old tables and figures would otherwise "
                              "sit beside the new run's)")
        shutil.rmtree(out)
    print(f"Running {nb.stem} into {out} ...")
    res = execute_notebook(nb, out, params, progress=ProgressPrinter(print))
    print(summary_table([res]))
    if res.status != "ok":
        print(f"{nb.stem} failed: {res.error}\nThe executed notebook with the error: "
              f"{out / nb.name}", file=sys.stderr)
        return 1
    print(f"{nb.stem} ok ({res.seconds:.1f} s). Report: {out / (nb.stem + '.html')}")
    return 0


def _cmd_params(args) -> int:
    import papermill as pm

    nb = find_notebook(args.notebook)
    for name, spec in pm.inspect_notebook(str(nb)).items():
        help_ = f"  # {spec['help']}" if spec.get("help") else ""
        print(f"{name}: {spec['inferred_type_name']} = {spec['default']}{help_}")
    return 0


def _cmd_synth(args) -> int:
    from ..synth import make_world

    world = make_world(n_customers=args.customers, seed=args.seed)
    paths = world.write(args.out, fmt=args.format)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cx", description="CX Research Kit command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("report", help="execute every notebook into a dated report folder")
    p.add_argument("--config", help="YAML with one section of parameters per notebook "
                   "(default notebooks/reports.yaml)")
    p.add_argument("--out", help="folder holding the run folders (default reports/)")
    p.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these notebooks")
    p.add_argument("--jobs", type=int, help="notebooks executed at once (default 2)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("run", help="execute one notebook")
    p.add_argument("notebook", help="a name such as 01_churn_survival, or a path")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="parameter value, read as YAML (so [a, b] is a list)")
    p.add_argument("-f", "--file", action="append", help="YAML file of parameters")
    p.add_argument("--out", help="folder for the executed notebook and its artifacts")
    p.add_argument("--replace", action="store_true",
                   help="empty a non-empty --out folder first (otherwise it is refused)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("params", help="list a notebook's parameters with their defaults")
    p.add_argument("notebook")
    p.set_defaults(func=_cmd_params)

    p = sub.add_parser("data", help="data utilities")
    dsub = p.add_subparsers(dest="data_command", required=True)
    s = dsub.add_parser("synth", help="generate the synthetic CX world and its truth file")
    s.add_argument("--customers", type=int, default=5000)
    s.add_argument("--seed", type=int, default=SEED)
    s.add_argument("--out", required=True)
    s.add_argument("--format", choices=["csv", "parquet"], default="csv")
    s.set_defaults(func=_cmd_synth)
    return parser


def _stop_on_sigterm(signum, frame):
    # a terminated run unwinds like Ctrl-C, so the runner removes its staging folder
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        return args.func(args)
    except (ReportError, DataError) as exc:
        print(f"cx: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cx: stopped; the unfinished run was removed and the last complete report is "
              "unchanged", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
