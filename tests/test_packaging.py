"""The conda environment and the pip metadata declare the same dependencies."""

import fnmatch
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names a few packages differently from PyPI.
CONDA_NAMES = {"psycopg[binary]": "psycopg"}


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", requirement.strip())
    name, spec = match.group(1).lower(), match.group(2).replace(" ", "")
    return CONDA_NAMES.get(name, name), spec


def _pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return dict(_name_and_spec(r) for r in requirements)


def _environment_requirements() -> dict[str, str]:
    found = {}
    text = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    for line in text.splitlines():
        item = line.strip()
        if not item.startswith("- ") or item.endswith(":"):
            continue
        requirement = item[2:].split("#")[0].strip()
        if requirement in ("pip", "-e .") or requirement.startswith("python"):
            continue
        name, spec = _name_and_spec(requirement)
        found[name] = spec
    return found


def test_environment_yml_declares_the_same_dependencies_as_pyproject():
    assert _environment_requirements() == _pyproject_requirements()


def test_every_sql_file_and_migration_is_shipped_as_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["bi_workbench"]
    assert "**/*.sql" in config
    assert "schema/migrations/versions/*.py" in config


def test_the_apps_voila_template_is_shipped_as_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["bi_workbench"]
    package = ROOT / "bi_workbench"
    files = [p.relative_to(package).as_posix() for p in (package / "jupyter_data").rglob("*") if p.is_file()]
    assert files and all(any(fnmatch.fnmatch(f, glob) for glob in config) for f in files), files
