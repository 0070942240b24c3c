"""Each run's own output folder, published once: ``<output>/<report>/<YYYY-MM-DD>/run-<id>/``.

A run's files (``<report>.ipynb`` and ``<report>.html`` on success,
``failed.ipynb`` on failure) and its record ``run.json`` are written into a
staging folder beside the report's dated folders and moved into place with one
``rename``: readers see the whole folder or nothing, and publishing the same run
twice (a task re-run after its worker died) keeps the first copy. The folder is
named by the run id of the history table, so two runs never share one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

RUN_RECORD = "run.json"
FAILED_NOTEBOOK = "failed.ipynb"
_STAGING = ".staging-"


def run_folder(output_dir: Path, report: str, day, run_id: int) -> Path:
    """Return the absolute folder of run ``run_id`` of ``report``, filed under date ``day``."""
    return (Path(output_dir) / report / day.isoformat() / f"run-{run_id}").absolute()


def publish(folder: Path, files: dict[str, bytes], record: dict[str, Any]) -> bool:
    """Write ``files`` and ``record`` (as run.json) as ``folder``, atomically; return False if it existed already.

    Raises OSError (disk full, permissions) with nothing left behind.
    """
    from .html import write_assets

    folder = Path(folder)
    if folder.exists():
        return False
    folder.parent.mkdir(parents=True, exist_ok=True)
    write_assets(folder.parents[2])
    staging = Path(tempfile.mkdtemp(prefix=f"{_STAGING}{folder.name}-", dir=folder.parent.parent))
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        (staging / RUN_RECORD).write_text(json.dumps(record, indent=2, default=str), encoding="utf-8")
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, folder)
        except OSError:
            if folder.exists():  # published meanwhile by another attempt of the same run
                return False
            raise
        return True
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_record(folder: Path | str) -> dict[str, Any] | None:
    """Return the run.json of a published run folder, or None if the run never published."""
    try:
        return json.loads((Path(folder) / RUN_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def remove_staging(folder: Path | str) -> int:
    """Remove the staging folders left by a run that died while publishing ``folder``; return how many."""
    folder = Path(folder)
    report_dir = folder.parent.parent
    if not report_dir.is_dir():
        return 0
    found = list(report_dir.glob(f"{_STAGING}{folder.name}-*"))
    for path in found:
        shutil.rmtree(path, ignore_errors=True)
    return len(found)
