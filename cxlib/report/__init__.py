"""Reports: what a notebook writes (:class:`Artifacts`), how it shows computed sentences
(:func:`show`), the papermill runner behind ``cx report`` and ``cx run``, the index page, and the
``cx`` command itself.
"""

from .artifacts import FINDINGS_FILE, METRICS_FILE, Artifacts, read_findings, read_metrics
from .display import as_markdown, show, show_list
from .index import format_value, write_index
from .runner import (NotebookResult, ReportError, RunResult, execute_notebook, find_notebook,
                     list_notebooks, load_config, new_run_id, notebook_defaults, plain_values,
                     run_metadata, run_report)

__all__ = ["FINDINGS_FILE", "METRICS_FILE", "Artifacts", "read_findings", "read_metrics",
           "show", "show_list", "as_markdown", "format_value", "write_index",
           "NotebookResult", "ReportError", "RunResult", "execute_notebook", "find_notebook",
           "list_notebooks", "load_config", "new_run_id", "notebook_defaults", "plain_values",
           "run_metadata", "run_report"]
