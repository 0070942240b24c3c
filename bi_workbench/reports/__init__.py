"""Reports: parameterized notebooks rendered by papermill on a Dask cluster, each run into its own folder, on demand or on a schedule.

In a notebook (see `bi_workbench.reports.kernel`)::

    from bi_workbench import reports
    params = reports.setup("01_users_orgs", globals())   # typed, validated parameters
    reports.controls("01_users_orgs", globals(), draw)   # widgets when interactive
    reports.key_findings(headline, conn, bounds, share=("users", "industry"))   # sentences with numbers
    sections = reports.prefetch(engine, {"mix": lambda conn: ...})   # sections computed ahead, two at a time
    reports.hide_contacts(frame, params["mask_contacts"])
    reports.provenance(params)                            # the last cell

From Python (the CLI's `bi-workbench report ...` is a thin layer over these)::

    from bi_workbench.reports import prepare, render, RenderOptions, load_schedules, run_due
    requests = prepare(engine, ["01_users_orgs"], {"as_of": "2024-01-31"})
    results = render(engine, requests, RenderOptions(output_dir=Path("reports")))

The parameters of every report are declared once, in `bi_workbench.reports.catalog`.
"""

from .catalog import Parameter, Report, get, register, reports
from .findings import key_findings
from .headlines import headlines
from .kernel import ReportParameters, configure_plotly, controls, is_batch, provenance, setup
from .masking import hide_contacts, mask_notebook, mask_text
from .prefetch import Prefetch, prefetch

_LAZY = {
    "prepare": "render", "render": "render", "RenderOptions": "render", "RunRequest": "render", "RunResult": "render",
    "Schedule": "schedule", "load_schedules": "schedule", "read_schedules": "schedule", "due": "schedule",
    "run_due": "schedule", "recover": "lease",
    "crontab_line": "schedule", "write_index": "index", "recent_runs": "history",
}


def __getattr__(name: str):
    """Import the rendering side (papermill, nbconvert, the database) only when it is asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Parameter", "Report", "ReportParameters", "configure_plotly", "controls", "get", "headlines", "hide_contacts", "is_batch", "key_findings",
    "mask_notebook", "mask_text", "Prefetch", "prefetch", "provenance", "register", "reports", "setup", *_LAZY,
]
