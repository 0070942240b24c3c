"""Report notebooks and their declaration: the parameters cell, checking it, a skeleton for a new report."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat

from .catalog import Report

PARAMETERS_TAG = "parameters"


def parameters_cell_source(report: Report) -> str:
    """Return the source of ``report``'s parameters cell: one assignment per declared default, with its help."""
    lines = [f"# Parameters of {report.name}, declared in the report catalog (bi_workbench.reports.catalog): keep them equal."]
    lines += [f"{p.name} = {p.default!r}  # {p.type}{' or None' if p.nullable else ''}: {p.help}" for p in report.parameters]
    return "\n".join(lines) + "\n"


def parameters_cell(nb) -> Any | None:
    """Return the cell of ``nb`` tagged ``parameters``, or None if it has none."""
    for cell in nb.cells:
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def cell_assignments(source: str) -> dict[str, Any]:
    """Return {name: literal value} of the plain assignments in ``source`` (a parameters cell)."""
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            values[node.target.id] = ast.literal_eval(node.value)
        else:
            raise ValueError(f"line {node.lineno} is not a plain `name = literal` assignment")
    return values


def parameter_differences(report: Report, notebook_path: Path | str) -> list[str]:
    """Return how the notebook's parameters cell differs from ``report``'s declared defaults (empty if it does not)."""
    nb = nbformat.read(str(notebook_path), as_version=4)
    cell = parameters_cell(nb)
    if cell is None:
        return [f"{notebook_path}: no cell is tagged {PARAMETERS_TAG!r}"]
    try:
        found = cell_assignments(cell.source)
    except (SyntaxError, ValueError) as exc:
        return [f"{notebook_path}: the parameters cell is not plain assignments of literals ({exc})"]
    declared = report.defaults()
    problems = [f"{name}: declared, not in the parameters cell" for name in declared if name not in found]
    problems += [f"{name}: in the parameters cell, not declared" for name in found if name not in declared]
    problems += [
        f"{name}: the cell holds {found[name]!r}, the declaration {declared[name]!r}"
        for name in declared if name in found and (found[name] != declared[name] or type(found[name]) is not type(declared[name]))
    ]
    if not problems and list(found) != list(declared):
        problems.append(f"the parameters are in another order than declared: {', '.join(declared)}")
    return problems


def scaffold(report: Report) -> Any:
    """Return a new notebook for ``report``: title, parameters cell, setup, a body to fill in, provenance."""
    cells = [
        nbformat.v4.new_markdown_cell(f"# {report.title}\n\n{report.description}".strip()),
        nbformat.v4.new_code_cell(parameters_cell_source(report), metadata={"tags": [PARAMETERS_TAG]}),
        nbformat.v4.new_code_cell(f'from bi_workbench import reports\n\nparams = reports.setup("{report.name}", globals())'),
        nbformat.v4.new_code_cell(
            "def draw(params):\n"
            '    """The report body: load with bi_workbench\'s loaders, compute with its domain functions, show figures."""\n'
            "    print(params)\n\n\n"
            f'reports.controls("{report.name}", globals(), draw)'
        ),
        nbformat.v4.new_code_cell("reports.provenance(params)"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb
