"""The run's index page and ``run.json``, written from a template (``templates/index.html.j2``)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

__all__ = ["write_index", "format_value"]

_ENV = Environment(loader=PackageLoader("cxlib.report", "templates"),
                   autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


def format_value(value) -> str:
    """A metric or parameter value as the index shows it: floats to 4 significant digits,
    lists cut after 8 items."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value[:8]) + (", ..." if len(value) > 8 else "") + "]"
    return str(value)


_ENV.filters["value"] = format_value
_ENV.tests["list"] = lambda v: isinstance(v, list)  # lists are left out of the metric column


def write_index(run, folder: Path | None = None) -> Path:
    """Write ``run.json`` and ``index.html`` for a :class:`~cxlib.report.runner.RunResult`."""
    folder = Path(folder or run.folder)
    payload = {"metadata": run.metadata, "notebooks": [asdict(r) for r in run.results]}
    (folder / "run.json").write_text(json.dumps(payload, indent=2, default=str))
    meta = run.metadata
    page = _ENV.get_template("index.html.j2").render(
        run_id=run.run_id, results=run.results, meta=meta,
        n_ok=sum(r.status == "ok" for r in run.results),
        versions=", ".join(f"{k} {v}" for k, v in meta.get("packages", {}).items() if v))
    index = folder / "index.html"
    index.write_text(page)
    return index
