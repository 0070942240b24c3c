"""The reports folder's own record (``<report>/latest.json``) and its front page, ``index.html``.

Each report folder keeps a small manifest: for every parameter set the report
was rendered with, its last run (whatever the outcome) and its last successful
run, each linking that run's own folder (`bi_workbench.reports.outputs`).
``index.html`` is rebuilt from these manifests after every rendering, so it
always matches the files beside it: every report of the catalog, one row per
parameter set with its last run, status, parameters and links, and for a
failed run the error, the error notebook and the last good report of the same
parameters. A run with other parameters (a typo, another organization) gets a
row of its own and never replaces the published one.

Manifests are updated under an exclusive file lock, so concurrent commands
writing into one output folder do not lose each other's runs.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import catalog

MANIFEST = "latest.json"
INDEX = "index.html"
_LOCK = ".latest.lock"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def parameter_key(parameters: dict[str, Any]) -> str:
    """Return the key of a parameter set: its canonical JSON (sorted keys), the same for equal parameters."""
    return json.dumps(parameters, sort_keys=True, default=str)


def read_manifest(report_dir: Path) -> dict[str, Any]:
    """Return the manifest of a report folder ({} if it has none or it is unreadable)."""
    try:
        manifest = json.loads((report_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest.get("parameter_sets"), dict) else {}


@contextmanager
def _locked(report_dir: Path):
    report_dir.mkdir(parents=True, exist_ok=True)
    with open(report_dir / _LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def record_run(report_dir: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Store ``entry`` as the last run of its parameter set (and last success if it succeeded); return the manifest."""
    with _locked(report_dir):
        manifest = read_manifest(report_dir) or {"parameter_sets": {}}
        slot = manifest["parameter_sets"].setdefault(parameter_key(entry.get("parameters", {})), {})
        if _newer(entry, slot.get("last_run")):
            slot["last_run"] = entry
        if entry.get("status") == "succeeded" and _newer(entry, slot.get("last_success")):
            slot["last_success"] = entry
        write_atomically(report_dir / MANIFEST, json.dumps(manifest, indent=2, default=str))
    return manifest


def _newer(entry: dict, current: dict | None) -> bool:
    # Runs may finish out of order (parallel renders): the latest start wins, then the higher run id.
    if current is None:
        return True
    return (entry.get("started_at") or "", entry.get("run_id") or 0) >= (current.get("started_at") or "", current.get("run_id") or 0)


def _manifests(output_dir: Path) -> dict[str, dict]:
    found = {r.name: {"title": r.title} for r in catalog.reports()}
    if output_dir.is_dir():
        for folder in sorted(p for p in output_dir.iterdir() if (p / MANIFEST).is_file()):
            found.setdefault(folder.name, {"title": folder.name})
            found[folder.name].update(read_manifest(folder))
    return found


def latest_runs(output_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Return {report: [{"last_run", "last_success"} per parameter set, latest run first]} for every report."""
    latest = {}
    for name, manifest in sorted(_manifests(Path(output_dir)).items()):
        sets = list(manifest.get("parameter_sets", {}).values())
        latest[name] = sorted(sets, key=lambda s: (s["last_run"].get("started_at") or "", s["last_run"].get("run_id") or 0),
                              reverse=True)
    return latest


def write_index(output_dir: Path) -> Path:
    """(Re)write ``output_dir/index.html`` from the report manifests; return its path."""
    output_dir = Path(output_dir)
    manifests = _manifests(output_dir)
    rows = "\n".join(_report_rows(name, manifests[name].get("title", name), sets)
                     for name, sets in latest_runs(output_dir).items())
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = _PAGE.format(rows=rows, stamp=html.escape(stamp))
    path = output_dir / INDEX
    from .glossary import write_glossary

    output_dir.mkdir(parents=True, exist_ok=True)
    write_glossary(output_dir)
    write_atomically(path, page)
    return path


def _link(href: str | None, label: str) -> str:
    # Links point at report files beside the index: a scheme (javascript:, http:) is never one of them.
    if not href or urlsplit(str(href)).scheme:
        return ""
    return f'<a href="{html.escape(str(href))}">{html.escape(label)}</a>'


def _parameters(values: dict) -> str:
    items = "".join(f"<li><code>{html.escape(k)}={html.escape(json.dumps(v))}</code></li>" for k, v in values.items())
    return f'<ul class="params">{items}</ul>' if items else ""


def _report_rows(name: str, title: str, sets: list[dict]) -> str:
    label = f'<strong>{html.escape(title)}</strong><br><code>{html.escape(name)}</code>'
    if not sets:
        return f'<tr class="never"><td>{label}</td><td colspan="4">never run</td></tr>'
    return "\n".join(_row(label if i == 0 else "", s["last_run"], s.get("last_success")) for i, s in enumerate(sets))


def _row(label: str, last: dict, good: dict | None) -> str:
    status = html.escape(last["status"])
    when = html.escape(str(last.get("started_at", ""))[:19].replace("T", " "))
    when += f'<br><small>run #{html.escape(str(last.get("run_id")))}</small>'
    if last.get("schedule"):
        when += f'<br><small>schedule {html.escape(last["schedule"])}</small>'
    links = " · ".join(filter(None, [_link(last.get("html"), "report"), _link(last.get("ipynb"), "notebook"),
                                     _link(last.get("json"), "headline numbers")]))
    if status != "succeeded":
        links = _link(last.get("error_notebook"), "error notebook")
        if good:
            links += f'<br>last good ({html.escape(str(good.get("started_at", ""))[:10])}, run #{good.get("run_id")}): '
            links += " · ".join(filter(None, [_link(good.get("html"), "report"), _link(good.get("ipynb"), "notebook")]))
        links += f'<br><span class="error">{html.escape(last.get("error") or "")}</span>'
    return (f'<tr class="{status}"><td>{label}</td><td>{when}</td><td><span class="status {status}">{status}</span></td>'
            f"<td>{_parameters(last.get('parameters', {}))}</td><td>{links}</td></tr>")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>bi-workbench reports</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.5em; text-align: left; vertical-align: top; }}
.status {{ padding: 0.1em 0.5em; border-radius: 0.3em; color: white; }}
.status.succeeded {{ background: #2e7d32; }} .status.failed {{ background: #c62828; }}
.status.running {{ background: #f9a825; }} .never {{ color: #888; }}
.error {{ color: #c62828; }} ul.params {{ margin: 0; padding-left: 1em; }}
</style>
</head>
<body>
<h1>Reports</h1>
<p>Updated {stamp}. Every number is defined in the <a href="glossary.html">metrics glossary</a>.</p>
<table>
<thead><tr><th>Report</th><th>Last run (per parameter set)</th><th>Status</th><th>Parameters</th><th>Links</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
