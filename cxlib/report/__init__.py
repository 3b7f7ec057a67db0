"""Reports: what a notebook writes (:class:`Artifacts`), the papermill runner behind ``cx report``
and ``cx run``, the index page, and the ``cx`` command itself.
"""

from .artifacts import METRICS_FILE, Artifacts, read_metrics
from .index import format_value, write_index
from .runner import (NotebookResult, ReportError, RunResult, execute_notebook, find_notebook,
                     list_notebooks, load_config, new_run_id, notebook_defaults, plain_values,
                     run_metadata, run_report)

__all__ = ["METRICS_FILE", "Artifacts", "read_metrics", "format_value", "write_index",
           "NotebookResult", "ReportError", "RunResult", "execute_notebook", "find_notebook",
           "list_notebooks", "load_config", "new_run_id", "notebook_defaults", "plain_values",
           "run_metadata", "run_report"]
