"""SQL cells: JupySQL's ``%sql`` / ``%%sql`` connected to the workbench's engine, results as DataFrames.

``%load_ext bi_workbench`` in any IPython kernel (and every kernel `bi-workbench lab`
or `bi-workbench app` starts, through their kernel spec) loads JupySQL and
connects it to `bi_workbench.get_engine()`: the same database rule as everywhere
(``--database-url``, ``BI_WORKBENCH_DATABASE_URL``, the embedded server) and,
under ``BI_WORKBENCH_TENANT``, the tenant's engine, so a SQL cell sees what that
organization's analyst may see and nothing else.
"""

from __future__ import annotations

#: The name the engine gets in the user's namespace and as JupySQL's connection alias.
ENGINE_NAME = "bi_workbench_engine"


def load_ipython_extension(ipython) -> None:
    """Load JupySQL into ``ipython`` and connect it to the workbench's engine (one line on failure)."""
    from .database import get_engine
    from .errors import WorkbenchError

    ipython.run_line_magic("load_ext", "sql")
    ipython.run_line_magic("config", "SqlMagic.autopandas = True")
    ipython.run_line_magic("config", "SqlMagic.displaycon = False")
    ipython.run_line_magic("config", "SqlMagic.feedback = 0")
    try:
        ipython.user_ns[ENGINE_NAME] = get_engine()
    except WorkbenchError as exc:
        print(f"bi-workbench: SQL cells are not connected: {exc}")
        return
    ipython.run_line_magic("sql", f"{ENGINE_NAME} --alias bi_workbench")
