"""What a report notebook calls, inside its kernel: `setup`, `controls`, `provenance`.

A report notebook looks like this (``bi_workbench.reports.notebooks.scaffold``
writes one)::

    # parameters  (a cell tagged "parameters": exactly the declared defaults)
    organization_id = None
    ...
    mask_contacts = True

    from bi_workbench import reports
    params = reports.setup("01_users_orgs", globals())   # typed, validated

    def draw(params): ...                                  # the report body
    reports.controls("01_users_orgs", globals(), draw)     # widgets in JupyterLab, one call of draw otherwise

    reports.provenance(params)                             # the last cell

The notebook runs the same under `bi-workbench report run`, the plain
``papermill`` command, nbval and JupyterLab; only interactive sessions get widgets.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from .. import __version__
from . import catalog
from .parameters import check_database, from_namespace, to_notebook, validate

#: Set (to anything) by the renderer for the kernels it starts: a batch run, no widgets.
BATCH_ENV = "BI_WORKBENCH_BATCH"
#: Set (to anything) to make a kernel interactive whatever started it (Voilà apps, tests of the widgets).
INTERACTIVE_ENV = "BI_WORKBENCH_INTERACTIVE"
#: Parent processes whose kernels are batch runs, never interactive.
_BATCH_PARENTS = re.compile(r"papermill|pytest|py\.test|nbval|nbconvert|nbclient")
PLOTLY_RENDERER = "plotly_mimetype"


class ReportParameters(dict):
    """The typed parameters of one report run (a dict); ``.report`` is the report's declaration."""

    def __init__(self, report: catalog.Report, values: dict[str, Any]):
        super().__init__(values)
        self.report = report


def setup(report_name: str, namespace: dict) -> ReportParameters:
    """Return the notebook's parameters, typed and validated against the catalog; configure plotly.

    Raises the same errors as `bi-workbench report run` would (unknown report,
    wrong type, future ``as_of``, an organization that does not exist).
    """
    report = catalog.get(report_name)
    typed = from_namespace(report, namespace)
    if any(p.exists_sql is not None and typed[p.name] is not None for p in report.parameters):
        from ..database import get_engine

        with get_engine().connect() as conn:
            check_database(report, typed, conn)
    configure_plotly()
    from .tables import configure_tables

    configure_tables()
    return ReportParameters(report, typed)


def configure_plotly(renderer: str = PLOTLY_RENDERER) -> None:
    """Make plotly figures display as their JSON (``application/vnd.plotly.v1+json``).

    JupyterLab draws that natively; the renderer turns it into interactive HTML
    with plotly.js embedded once per page; committed notebooks stay small and
    deterministic (no inline plotly.js, no random div ids) for nbval.
    """
    if is_batch():  # an analyst's own kernel keeps jsonschema whole
        skip_iri_grammar()
    import plotly.io as pio

    pio.renderers.default = renderer


def skip_iri_grammar() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in this process, if jsonschema is not imported yet.

    nbformat (which plotly's renderers and papermill import) imports jsonschema, which
    imports ``rfc3987_syntax`` when installed (jupyter-events' format extras install it)
    only to check the "iri" formats, and that module compiles a Lark grammar on import:
    about 1 s per process. Notebook schemas use no iri format, so nothing is lost.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None: `import rfc3987_syntax` raises ImportError


def kernel_environment(tenant: tuple[str, str] | None) -> dict[str, str]:
    """Return the environment that makes a report's kernel read as ``tenant`` (organization id, user id).

    The one place that knows how a kernel becomes a tenant: today the variable
    ``BI_WORKBENCH_TENANT=ORGANIZATION_ID:USER_ID`` that `bi_workbench.settings`
    reads, so every engine of the kernel is a tenant engine. None gives {} (the
    kernel reads as the command's own settings do).
    """
    if tenant is None:
        return {}
    from ..settings import TENANT_ENV

    organization, user = tenant
    return {TENANT_ENV: f"{organization}:{user}"}


def is_batch() -> bool:
    """Return True when the kernel runs unattended (renderer, papermill, nbval), False in an interactive session."""
    if os.environ.get(BATCH_ENV):
        return True
    if os.environ.get(INTERACTIVE_ENV):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return True
    shell = get_ipython()
    if shell is None or _parameters_were_injected(shell):
        return True
    return _parent_is_batch_runner()


def _parameters_were_injected(shell) -> bool:
    # papermill injects a cell that starts with this comment when given parameters.
    return any(str(source).startswith("# Parameters\n") for source in shell.user_ns.get("In", []))


def _parent_is_batch_runner() -> bool:
    pid = os.environ.get("JPY_PARENT_PID") or str(os.getppid())
    try:
        import psutil

        command = " ".join(psutil.Process(int(pid)).cmdline())
    except Exception:  # noqa: BLE001 - no psutil, no such process, no permission: not known to be batch
        return False
    return bool(_BATCH_PARENTS.search(command))


def controls(report_name: str, namespace: dict, callback: Callable[[ReportParameters], Any] | None = None) -> None:
    """Show widgets for the report's parameters, bound to ``namespace``; return None.

    Interactively: one control per declared parameter; a change validates the
    values, writes them into ``namespace`` (the notebook's globals, as the
    parameters cell holds them), calls ``callback(params)`` again in the
    output area below the controls, and redraws every cell run after this one
    in place (`bi_workbench.reports.redraw`). In a batch run (renderer, papermill,
    nbval) no widget is shown: ``callback`` is called once with the current
    parameters, so the notebook's output is the same as a rendered report's.
    """
    report = catalog.get(report_name)
    if is_batch():
        if callback is not None:
            callback(ReportParameters(report, from_namespace(report, namespace)))
        return None
    from IPython.display import display

    from IPython import get_ipython

    from . import redraw

    sections: list = []

    def draw(params):
        if callback is not None:
            callback(params)
        for recorded in sections:
            recorded.redraw()

    box, widgets, _output = build_controls(report, namespace, draw)
    display(box)
    sections.append(redraw.record(get_ipython(), widgets))
    return None


def build_controls(report: catalog.Report, namespace: dict, callback=None):
    """Return (box, {name: widget}, output) of the controls of ``report``, already drawn once."""
    import ipywidgets as w

    widgets = {p.name: _widget(p, namespace.get(p.name, p.default)) for p in report.parameters}
    output = w.Output()

    def redraw(_change=None):
        """Validate the widgets' values, write them into the namespace, call the callback again."""
        with output:
            output.clear_output(wait=True)
            try:
                typed = validate(report, {name: _read(widget) for name, widget in widgets.items()})
            except ValueError as exc:  # InvalidParameterError is a ValueError
                print(f"error: {exc}")
                return
            namespace.update({name: to_notebook(value) for name, value in typed.items()})
            params = ReportParameters(report, typed)
            if isinstance(namespace.get("params"), dict):
                namespace["params"] = params  # the cells below read `params`, as reports.setup named it
            if callback is not None:
                callback(params)

    for widget in widgets.values():
        widget.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox(list(widgets.values()), layout=w.Layout(flex_flow="row wrap")), output]), widgets, output


def _widget(parameter: catalog.Parameter, value):
    import ipywidgets as w

    common = {"description": parameter.name, "tooltip": parameter.help, "style": {"description_width": "initial"}}
    options = _options(parameter)
    if parameter.type == "bool":
        return w.Checkbox(value=bool(value), **common)
    if options is not None:
        keep = value if value in [v for _, v in options] else options[0][1]
        return w.Dropdown(options=options, value=keep, **common)
    if parameter.type == "date":
        return w.DatePicker(value=date.fromisoformat(value) if isinstance(value, str) else value, **common)
    if parameter.type in ("int", "float"):
        return _number_widget(parameter, value, common)
    return w.Text(value="" if value is None else str(value), placeholder="(all)" if parameter.nullable else "", **common)


def _number_widget(parameter: catalog.Parameter, value, common: dict):
    import ipywidgets as w

    bounded = parameter.minimum is not None and parameter.maximum is not None
    kind = {("int", True): w.BoundedIntText, ("int", False): w.IntText,
            ("float", True): w.BoundedFloatText, ("float", False): w.FloatText}[(parameter.type, bounded)]
    extra = {"min": parameter.minimum, "max": parameter.maximum} if bounded else {}
    return kind(value=value, **extra, **common)


def _options(parameter: catalog.Parameter) -> list[tuple[str, Any]] | None:
    values = None
    if parameter.choices is not None:
        values = [(str(c), c) for c in parameter.choices]
    elif parameter.options_sql is not None:
        values = _database_options(parameter.options_sql)
    if values is not None and parameter.nullable:
        values = [("(all)", None)] + values
    return values


def _database_options(sql: str) -> list[tuple[str, Any]] | None:
    import sqlalchemy as sa

    from ..database import get_engine

    try:
        with get_engine().connect() as conn:
            return [(str(label), str(value)) for value, label in conn.execute(sa.text(sql))]
    except Exception:  # noqa: BLE001 - no database at hand: a text box instead of a list
        return None


def _read(widget):
    value = widget.value
    return None if value == "" else value


# --- provenance ---------------------------------------------------------------


class Provenance(dict):
    """Where a report came from (a dict); displays itself as a small table at the end of the report."""

    def _lines(self) -> list[tuple[str, str]]:
        return [(key.replace("_", " "), str(value)) for key, value in self.items()]

    def _repr_markdown_(self) -> str:
        rows = "\n".join(f"| {_markdown_cell(k)} | {_markdown_cell(v)} |" for k, v in self._lines())
        return f"#### Provenance\n\n| | |\n|---|---|\n{rows}\n"

    def __repr__(self) -> str:
        return "Provenance\n" + "\n".join(f"  {k}: {v}" for k, v in self._lines())


def _markdown_cell(value: str) -> str:
    """``value`` as the text of a markdown table cell: HTML escaped (shown, never run), no ``|`` or line break."""
    import html

    return html.escape(value, quote=False).replace("|", "&#124;").replace("\n", " ")


def provenance(params: ReportParameters | dict, data_as_of: date | datetime | str | None = None) -> Provenance:
    """Return the report's provenance: report, parameters, data as of, database, package version and commit, time.

    Make it the notebook's last cell; it displays itself.
    """
    report = getattr(params, "report", None)
    as_of = data_as_of or params.get("as_of") or _latest_data_date()
    return Provenance(
        report=f"{report.name}: {report.title}" if report else "(not a catalog report)",
        parameters=", ".join(f"{k}={to_notebook(v)!r}" for k, v in params.items()) or "(none)",
        data_as_of=str(as_of),
        database=database_label(),
        package=f"bi-workbench {__version__}",
        git_commit=git_commit(),
        rendered_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


def _latest_data_date() -> str:
    """The data's latest date (what ``as_of=None`` means), or 'unknown' if the database cannot say."""
    from ..database import get_engine
    from ..domain.analytics import data_as_of

    try:
        with get_engine().connect() as conn:
            latest = data_as_of(conn)
    except Exception:  # noqa: BLE001 - provenance must never stop a report
        return "unknown"
    return latest.date().isoformat() if latest is not None else "no data"


def database_label() -> str:
    """Return the URL of the database in force without its password (the embedded server's if none is set)."""
    from ..database.connection import normalize_url, resolve_url
    from ..settings import load_settings

    try:
        settings = load_settings()
        url = normalize_url(settings.database_url) if settings.database_url else resolve_url(settings, start=False)
        return url.render_as_string(hide_password=True)
    except Exception as exc:  # noqa: BLE001 - provenance must never stop a report
        return f"unknown ({exc})"


@lru_cache(maxsize=1)
def git_commit() -> str:
    """Return the git commit of the package's source tree (``+dirty`` if changed), or ``unknown``."""
    where = Path(__file__).resolve().parents[1]
    try:
        head = _git(where, "rev-parse", "--short=12", "HEAD")
        dirty = _git(where, "status", "--porcelain", "--untracked-files=no", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _git(where: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True, timeout=10, check=True)
    return done.stdout.strip()
