"""Render one notebook in a process of its own: ``python -m bi_workbench.reports.worker JOB.json``.

The renderer starts one worker per report so that a run can be stopped as a
whole when it passes its overall time limit (the kernel, started by this
process, exits when its parent does). The worker executes the notebook with
papermill into the job's work folder, masks contact details, writes
``<stem>.ipynb``, ``<stem>.html`` and ``<stem>.json`` (its headline numbers) (success) or ``failed.ipynb`` (failure),
and ``result.json`` with the status and a one-line error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

EXECUTING = "executing.ipynb"
FAILED = "failed.ipynb"
RESULT = "result.json"


def _kernel_manager_class():
    """Return a KernelManager that runs ipykernel in this very Python, whatever kernelspecs the user has."""
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager

    class ThisPythonKernelManager(AsyncKernelManager):
        """Starts `sys.executable -m ipykernel_launcher`, never another environment's "python3"."""

        @property
        def kernel_spec(self):
            """Return ipykernel's own spec for this interpreter."""
            return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())

    return ThisPythonKernelManager


def execute(job: dict) -> dict:
    """Run the job's notebook and write its outputs into the job's work folder; return the result dict."""
    import papermill

    work = Path(job["workdir"])
    executing = work / EXECUTING
    try:
        papermill.execute_notebook(
            job["notebook"], str(executing), parameters=job["parameters"], kernel_name="python3",
            progress_bar=False, cwd=str(Path(job["notebook"]).parent), execution_timeout=job["cell_timeout"],
            kernel_manager_class=_kernel_manager_class(),
        )
    except Exception as exc:  # noqa: BLE001 - every failure of the notebook is reported, none is fatal here
        _keep_failed(job, executing)
        return {"status": "failed", "error": describe_error(exc)}
    try:
        _write_outputs(job, executing)
    except Exception as exc:  # noqa: BLE001 - a notebook that ran but cannot be exported is a failed report
        _keep_failed(job, executing)
        return {"status": "failed", "error": f"the notebook ran but could not be written out: {describe_error(exc)}"}
    return {"status": "succeeded", "error": None}


def describe_error(exc: BaseException) -> str:
    """Return one line saying what stopped the notebook (the cell's exception for a cell error)."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        cell = getattr(exc, "exec_count", None)
        where = f" in cell [{cell}]" if cell is not None else ""
        text = f"{ename}: {evalue}{where}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:500]


def _read(path: Path):
    import nbformat

    return nbformat.read(str(path), as_version=4)


def _write(nb, path: Path) -> None:
    import nbformat

    nbformat.write(nb, str(path))


def _keep_failed(job: dict, executing: Path) -> None:
    from .masking import mask_notebook

    if executing.exists():
        nb = _read(executing)
        _write(mask_notebook(nb) if job["mask_contacts"] else nb, executing.with_name(FAILED))


def _write_outputs(job: dict, executing: Path) -> None:
    from .html import notebook_to_html
    from .masking import mask_notebook

    nb = _read(executing)
    if job["mask_contacts"]:
        mask_notebook(nb)
    stem = executing.with_name(job["stem"])
    _write(nb, stem.with_suffix(".ipynb"))
    stem.with_suffix(".html").write_text(notebook_to_html(nb, job["title"], show_code=job["show_code"]), encoding="utf-8")
    _write_headlines(job, nb, stem.with_suffix(".json"))


def _write_headlines(job: dict, nb, path: Path) -> None:
    """Write the report's headline numbers (`bi_workbench.reports.headlines`) beside its HTML."""
    from .headlines import collect

    document = {"report": job["stem"], "parameters": job["parameters"], "headlines": collect(nb)}
    path.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the job file named on the command line; write result.json beside it; return 0."""
    job_path = Path((argv or sys.argv[1:])[0])
    job = json.loads(job_path.read_text())
    result = execute(job)
    (Path(job["workdir"]) / RESULT).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
