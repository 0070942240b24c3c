"""Render one report on whichever machine runs the task: `render_task` (a Dask task) and its process.

`render_task` is what the executor (`bi_workbench.reports.executor`) sends to a
Dask worker. It needs only the package installed there: the job carries the
notebook's text and the environment of the kernel (database URL, tenant,
plug-in catalogs). It renders in a process of its own,
``python -m bi_workbench.reports.worker JOB.json``, so that a run can be
stopped as a whole when it passes its overall time limit, and so that the
process and its kernel die with the Dask worker (Linux: parent-death signal;
the kernel exits when its parent does). That process executes the notebook with
papermill into the job's work folder, masks contact details, writes
``<stem>.ipynb``, ``<stem>.html`` and ``<stem>.json`` (its headline numbers) (success) or ``failed.ipynb`` (failure),
and ``result.json`` with the status and a one-line error.

The task returns the files' bytes instead of writing them anywhere shared: the
client publishes them (`bi_workbench.reports.outputs`), so outputs are the same
whichever machine rendered, and a task re-run after its worker died publishes
once. Its work folder, under `work_root`, is removed when it ends; the folders
of runs killed outright are removed by the next command on that machine
(`bi_workbench.reports.lease.recover`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

EXECUTING = "executing.ipynb"
FAILED = "failed.ipynb"
RESULT = "result.json"
#: File of a work folder naming the process that renders in it (`lease.owner_id`).
OWNER = "owner"
#: Seconds a kernel may take to start (a loaded machine needs more than papermill's 60).
KERNEL_START_TIMEOUT = 180


def work_root() -> Path:
    """Return this user's folder of the work folders of running renders (``$TMPDIR/bi-workbench-runs-<uid>``)."""
    return Path(tempfile.gettempdir()) / f"bi-workbench-runs-{os.getuid()}"


def work_prefix(run_id: int, folder: str | os.PathLike) -> str:
    """Return the name prefix of the work folders of run ``run_id`` whose output folder is ``folder``.

    Run ids are per database; the output folder's path (unique to one run of one
    database) tells apart two databases' runs with the same id on one machine.
    """
    key = hashlib.sha1(str(Path(folder).absolute()).encode()).hexdigest()[:12]
    return f"run-{run_id}-{key}-"


def render_task(job: dict) -> dict:
    """Render ``job`` (see `bi_workbench.reports.render.build_job`); return status, error, {file name: bytes}
    and ``started_at`` (aware UTC datetime: when this worker began it).

    Never raises for a failure of the report: a failed notebook, a time limit
    or a crashed rendering process are a ``failed`` status with a one-line error.
    """
    started = datetime.now(timezone.utc)
    root = work_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=work_prefix(job["run_id"], job["folder"]), dir=root))
    try:
        from .lease import owner_id

        (work / OWNER).write_text(owner_id())  # a worker killed mid-render leaves it: the next command sweeps it
        notebook = work / "input.ipynb"
        notebook.write_text(job["notebook_source"], encoding="utf-8")
        spec = {**job, "notebook": str(notebook), "workdir": str(work)}
        (work / "job.json").write_text(json.dumps(spec))
        outcome = _run_process(spec, work)
        if outcome["status"] != "succeeded" and not (work / FAILED).exists() and (work / EXECUTING).exists():
            _keep_failed(spec, work / EXECUTING)  # stopped mid-run: keep what had executed, masked like any output
        names = [f"{job['stem']}{suffix}" for suffix in (".ipynb", ".html", ".json")] \
            if outcome["status"] == "succeeded" else [FAILED]
        outcome["files"] = {name: (work / name).read_bytes() for name in names if (work / name).exists()}
        outcome["started_at"] = started  # when rendering began, not when the run was queued
        return outcome
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_process(job: dict, work: Path) -> dict:
    env = {**os.environ, **job["environment"]}
    try:
        done = subprocess.run([sys.executable, "-m", "bi_workbench.reports.worker", str(work / "job.json")],
                              env=env, capture_output=True, text=True, timeout=job["run_timeout"],
                              stdin=subprocess.DEVNULL, cwd=str(work), preexec_fn=_die_with_parent)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "error": f"stopped after the overall time limit of {job['run_timeout']} s"}
    try:
        return json.loads((work / RESULT).read_text())
    except (OSError, ValueError):
        last = (done.stderr or "").strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return {"status": "failed", "error": f"the rendering process died: {last[0][:300]}"}


def _die_with_parent() -> None:
    # Linux: the rendering process gets SIGKILL when the Dask worker that started it dies.
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


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
            progress_bar=False, cwd=job["workdir"], execution_timeout=job["cell_timeout"],
            kernel_manager_class=_kernel_manager_class(), start_timeout=KERNEL_START_TIMEOUT,
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
    from .kernel import skip_iri_grammar

    skip_iri_grammar()
    job_path = Path((argv or sys.argv[1:])[0])
    job = json.loads(job_path.read_text())
    result = execute(job)
    (Path(job["workdir"]) / RESULT).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
