"""JupyterLab and Voilà on the report notebooks: where the notebooks are, and kernels wired to the workbench.

- `notebooks_dir`: the report notebooks, from any folder: ``BI_WORKBENCH_NOTEBOOKS_DIR``, else
  ``./notebooks`` when it holds them, else the copy shipped inside the package.
- `copy_notebooks`: ``bi-workbench notebooks init DIR`` (a folder of one's own to edit).
- `kernel_path`: a private Jupyter data folder whose ``python3`` kernel spec runs this Python with the
  ``bi_workbench`` IPython extension (SQL cells, `bi_workbench.sqlcells`), so every kernel JupyterLab or
  Voilà starts has ``%sql`` on the workbench's (or the tenant's) engine.
- `lab_command` / `app_command`: the commands `bi-workbench lab` and `bi-workbench app` run; Jupyter's own
  options pass through unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

import platformdirs

from .errors import ConfigurationError
from .reports import catalog

NOTEBOOKS_ENV = "BI_WORKBENCH_NOTEBOOKS_DIR"
JUPYTER_DATA = Path(__file__).parent / "jupyter_data"   # a Jupyter data folder shipped with the package
APP_TEMPLATE = "bi-workbench"                           # its Voilà template (voila/templates/bi-workbench)


def shipped_notebooks() -> Path:
    """Return the folder of the notebooks shipped inside the installed package."""
    return Path(str(resources.files("bi_workbench") / "notebooks"))


def notebooks_dir(explicit: str | Path | None = None) -> Path:
    """Return the folder of the report notebooks (see the module docstring); raise if none is there."""
    candidates = [Path(explicit)] if explicit else (
        [Path(os.environ[NOTEBOOKS_ENV])] if os.environ.get(NOTEBOOKS_ENV) else [Path("notebooks"),
                                                                                  shipped_notebooks()])
    for folder in candidates:
        if any((folder / report.notebook).is_file() for report in catalog.reports()):
            return folder.resolve()
    raise ConfigurationError(f"no report notebooks in {', '.join(str(c) for c in candidates)}; "
                             "run `bi-workbench notebooks init DIR` or set BI_WORKBENCH_NOTEBOOKS_DIR.")


def copy_notebooks(target: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Copy the shipped notebooks (and schedules.toml) into ``target``; return the files written.

    Raises ConfigurationError naming the first file that exists already, unless ``overwrite``.
    """
    source, target = shipped_notebooks(), Path(target)
    files = sorted(p for p in source.iterdir() if p.suffix in (".ipynb", ".toml", ".cfg"))
    clash = next((target / p.name for p in files if (target / p.name).exists()), None)
    if clash is not None and not overwrite:
        raise ConfigurationError(f"{clash} exists already; choose an empty folder or pass --overwrite.")
    target.mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy2(p, target / p.name)) for p in files]


def kernel_path() -> Path:
    """Write (idempotently) a Jupyter data folder whose python3 kernel loads the workbench; return it."""
    folder = Path(platformdirs.user_state_dir("bi-workbench")) / "jupyter"
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    kernel = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", "--ext", "bi_workbench"],
              "display_name": "Python 3 (bi-workbench)", "language": "python", "metadata": {"debugger": True}}
    (spec / "kernel.json").write_text(json.dumps(kernel, indent=1), encoding="utf-8")
    return folder


def kernel_environment(database_url: str, *, interactive: bool = False) -> dict[str, str]:
    """Return the environment of a Jupyter server whose kernels use ``database_url`` and load the workbench."""
    folders = [str(kernel_path()), str(JUPYTER_DATA), os.environ.get("JUPYTER_PATH")]
    env = {**os.environ, "BI_WORKBENCH_DATABASE_URL": database_url,
           "JUPYTER_PATH": os.pathsep.join(filter(None, folders))}
    if interactive:
        env["BI_WORKBENCH_INTERACTIVE"] = "1"
    env.pop("BI_WORKBENCH_BATCH", None)
    return env


def lab_command(folder: Path, jupyter_args=()) -> list[str]:
    """Return the JupyterLab command on ``folder``; raise ConfigurationError when JupyterLab is missing."""
    if shutil.which("jupyter-lab") is None and shutil.which("jupyter") is None:
        raise ConfigurationError("JupyterLab is not installed; run `python -m pip install -e '.[lab]'`.")
    return [sys.executable, "-m", "jupyterlab", "--notebook-dir", str(folder), *jupyter_args]


def app_command(folder: Path, name: str | None, port: int, voila_args=()) -> list[str]:
    """Return the Voilà command serving report ``name`` (every report when None) on 127.0.0.1:``port``.

    Voilà makes an access token (``--token``) and prints the address with it: another local user, who
    can reach 127.0.0.1 too, gets no page nor kernel (whose connection is the caller's) without it.
    The page is drawn by ``APP_TEMPLATE`` (found through ``kernel_environment``'s ``JUPYTER_PATH``),
    which loads nothing from outside the server, so it works offline.
    """
    try:
        import voila  # noqa: F401
    except ImportError:
        raise ConfigurationError("Voilà is not installed; run `python -m pip install -e '.[lab]'`.") from None
    target = folder if name is None else folder / catalog.get(name).notebook
    return [sys.executable, "-m", "voila", str(target), f"--port={port}", "--Voila.ip=127.0.0.1", "--no-browser",
            "--token", "--strip_sources=True", f"--template={APP_TEMPLATE}", f"--Voila.root_dir={folder}", *voila_args]
