"""Widgets that redraw: every cell run after a report's controls is a section drawn again on each change.

A report notebook reads as a sequence of cells (load, compute, show). When it
runs interactively (JupyterLab, Voilà), `Sections` records each cell executed
after `bi_workbench.reports.controls` and draws its outputs into an
``ipywidgets.Output`` of its own; when a parameter widget changes, the
parameters are written back into the notebook's globals and every recorded cell
runs again, in order, into its own Output: numbers, tables and figures below
the controls change in place. A cell the analyst runs again by hand replaces
its recorded version (matched by the frontend's cell id, else by its source).
In a batch run (papermill, nbval, the renderer) nothing is recorded: each cell
runs once, as now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The sections of this kernel's report (one report's controls per kernel).
_current: "Sections | None" = None


@dataclass
class _Cell:
    key: str
    source: str
    output: Any


@dataclass
class Sections:
    """The cells recorded after the controls of a report, each with its Output widget."""

    shell: Any
    widgets: dict = field(default_factory=dict)
    cells: list[_Cell] = field(default_factory=list)
    _open: _Cell | None = None
    _replaying: bool = False

    def start(self) -> "Sections":
        """Begin recording the cells executed from now on; return self."""
        self.shell.events.register("pre_run_cell", self._before)
        self.shell.events.register("post_run_cell", self._after)
        return self

    def stop(self) -> None:
        """Stop recording (the next controls of this kernel replace these)."""
        for event, hook in (("pre_run_cell", self._before), ("post_run_cell", self._after)):
            try:
                self.shell.events.unregister(event, hook)
            except ValueError:
                pass

    def redraw(self) -> None:
        """Run every recorded cell again, each into its own (cleared) Output widget."""
        self._replaying = True
        try:
            for cell in list(self.cells):
                cell.output.clear_output(wait=True)
                with cell.output:
                    self.shell.run_cell(cell.source, store_history=False)
        finally:
            self._replaying = False

    def _before(self, info) -> None:
        if self._replaying or _is_controls_cell(info.raw_cell):
            return
        import ipywidgets as w
        from IPython.display import display

        key = getattr(info, "cell_id", None) or info.raw_cell
        known = next((c for c in self.cells if c.key == key), None)
        output = w.Output()
        display(output)
        cell = _Cell(key, info.raw_cell, output)
        if known is not None:
            self.cells[self.cells.index(known)] = cell
        else:
            self.cells.append(cell)
        self._open = cell
        output.__enter__()

    def _after(self, _result) -> None:
        if self._replaying or self._open is None:
            return
        self._open.output.__exit__(None, None, None)
        self._open = None


def _is_controls_cell(source: str) -> bool:
    return "reports.controls(" in source or "reports.setup(" in source


def record(shell, widgets: dict) -> Sections:
    """Start recording the sections of the report whose parameter ``widgets`` were just shown; return them."""
    global _current
    if _current is not None:
        _current.stop()
    _current = Sections(shell, widgets).start()
    return _current


def current() -> Sections | None:
    """Return the sections of this kernel's report (None before its controls were shown)."""
    return _current
