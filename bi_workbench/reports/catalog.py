"""Every report, declared once: its notebook, its title and its parameters.

This declaration is the single source of a report's parameters. It drives:

- validation before any cell runs (`bi_workbench.reports.parameters.validate`);
- ``bi-workbench report run NAME -p KEY VALUE`` (strings coerced to the declared type);
- ``bi-workbench report list`` (types, defaults, allowed values, help);
- the ipywidgets controls of interactive use (`bi_workbench.reports.controls`);
- the notebook's ``parameters`` cell, which must hold exactly the declared
  defaults (`bi_workbench.reports.notebooks.parameters_cell_source` writes it,
  ``tests/reports/test_catalog.py`` checks every notebook against it).

Defaults are written as the notebook holds them: dates as ISO strings
(``"2024-01-31"``), UUIDs as strings, ``None`` for "all" / "unbounded", since
papermill passes parameters as plain literals. The notebook's call to
`bi_workbench.reports.setup` turns them into typed values.

More reports can be declared outside the package: a module named in the
environment variable ``BI_WORKBENCH_REPORT_CATALOGS`` (comma-separated module
names) that calls `register` when imported. The tests declare their example
notebooks that way.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import ConfigurationError, UnknownIdentifierError

CATALOGS_ENV = "BI_WORKBENCH_REPORT_CATALOGS"

#: The declared types and the Python type of their values after validation.
TYPES = ("str", "int", "float", "bool", "date", "uuid")


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a report.

    ``type`` is one of `TYPES`; ``default`` is the notebook's literal; ``choices``
    lists the allowed values (None: any value of the type); ``nullable`` allows
    None; ``minimum``/``maximum`` bound numbers; ``validator`` receives the typed
    value and returns an error message or None; ``exists_sql`` is a query with a
    ``:value`` placeholder that must return true for a non-None value (checked
    against the database before rendering); ``options_sql`` is a query whose
    rows (value, label) fill the interactive drop-down.
    """

    name: str
    type: str
    default: Any
    help: str
    choices: tuple | None = None
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    validator: Callable[[Any], str | None] | None = None
    exists_sql: str | None = None
    options_sql: str | None = None

    def describe(self) -> str:
        """Return a one-line description: name, type, default, allowed values and help."""
        kind = f"{self.type} or None" if self.nullable else self.type
        allowed = ""
        if self.choices:
            allowed = f"; one of {', '.join(map(str, self.choices))}"
        elif self.minimum is not None or self.maximum is not None:
            allowed = f"; from {_bound(self.minimum)} to {_bound(self.maximum)}"
        return f"{self.name} ({kind}, default {self.default!r}{allowed}): {self.help}"


@dataclass(frozen=True)
class Report:
    """A report: its name, notebook file (relative to the notebooks folder), title and parameters.

    ``checks`` are functions of the typed values (a dict) that return an error
    message or None, for rules that involve more than one parameter.
    """

    name: str
    notebook: str
    title: str
    parameters: tuple[Parameter, ...]
    description: str = ""
    checks: tuple[Callable[[Mapping[str, Any]], str | None], ...] = field(default=())
    #: It reads the platform's own records (event store internals, audit trail, migration bookkeeping),
    #: which no organization's analyst may read: it never renders as a tenant.
    platform_only: bool = False

    def parameter(self, name: str) -> Parameter:
        """Return the declared parameter ``name``, or raise UnknownIdentifierError naming the known ones."""
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        known = ", ".join(p.name for p in self.parameters)
        raise UnknownIdentifierError(f"report {self.name!r} has no parameter {name!r}; its parameters are: {known}.")

    def defaults(self) -> dict[str, Any]:
        """Return {parameter name: default} in declaration order, as the notebook's parameters cell holds them."""
        return {p.name: p.default for p in self.parameters}


def _bound(value) -> str:
    return "any" if value is None else f"{value:g}"


def _not_after_today(value) -> str | None:
    if value is not None and value > date.today():
        return f"{value} is in the future (today is {date.today()}); a report describes data that exists."
    return None


def _since_before_until(values: Mapping[str, Any]) -> str | None:
    since, until = values.get("since"), values.get("until")
    if since is not None and until is not None and since > until:
        return f"since ({since}) is after until ({until}); give a date range that runs forward."
    return None


# --- the common parameters ----------------------------------------------------

ORGANIZATION_ID = Parameter(
    "organization_id", "uuid", None, "the organization to report on; None reports on all of them",
    nullable=True, exists_sql="SELECT EXISTS (SELECT 1 FROM organizations WHERE id = CAST(:value AS uuid))",
    options_sql="SELECT id::text, name FROM organizations ORDER BY name, id LIMIT 1000",
)
INDUSTRY = Parameter(
    "industry", "str", None, "only users and insights of this industry; None for every industry",
    nullable=True,
    options_sql="SELECT DISTINCT industry, industry FROM users WHERE industry IS NOT NULL AND industry <> '' ORDER BY 1 LIMIT 200",
)
SINCE = Parameter("since", "date", None, "first day of the period (inclusive); None for no lower bound", nullable=True)
UNTIL = Parameter("until", "date", None, "last day of the period (inclusive); None for no upper bound", nullable=True)
AS_OF = Parameter(
    "as_of", "date", None, "the date the report describes the data as of (not after today); None for the latest date in the data",
    nullable=True, validator=_not_after_today,
)
MASK_CONTACTS = Parameter(
    "mask_contacts", "bool", True, "mask emails and phone numbers in the rendered outputs",
)

COMMON = (ORGANIZATION_ID, INDUSTRY, SINCE, UNTIL, AS_OF, MASK_CONTACTS)
COMMON_CHECKS = (_since_before_until,)


def report(name: str, title: str, *extra: Parameter, description: str = "", common=COMMON,
           platform_only: bool = False) -> Report:
    """Return a Report on notebook ``<name>.ipynb`` with the common parameters followed by ``extra``."""
    return Report(name, f"{name}.ipynb", title, tuple(common) + extra, description, COMMON_CHECKS, platform_only)


# --- the domain reports ---------------------------------------------------------

_DECLARED = (
    report(
        "01_users_orgs", "Users and organizations",
        Parameter("top_n", "int", 10, "how many organizations to list in the rankings", minimum=1, maximum=100),
        description="Sign-ups, membership and subscriptions by organization and industry.",
    ),
    report(
        "02_assessments", "Assessments and scores",
        Parameter("bracket", "str", None, "only scores in this bracket; None for all",
                  choices=("emerging", "developing", "scaling", "leading"), nullable=True),
        description="Assessment volumes, score distributions by bracket and category, confidence.",
    ),
    report(
        "03_market_intelligence", "Market intelligence",
        Parameter("min_confidence", "float", 0.0, "leave out insights below this confidence score",
                  minimum=0.0, maximum=1.0),
        description="Market insights, business trends and engagement intelligence by industry.",
    ),
    report(
        "04_growth", "Growth levers and simulations",
        Parameter("horizon_months", "int", 12, "months simulated ahead", minimum=1, maximum=60),
        Parameter("simulation_paths", "int", 2000, "Monte Carlo paths per scenario", minimum=100, maximum=100_000),
        Parameter("seed", "int", 42, "random seed of the simulations (same seed, same figures)", minimum=0),
        description="Lever prioritisation (RICE), progress, and simulated MRR paths.",
    ),
    report(
        "05_events_audit", "Event store and audit trail",
        Parameter("aggregate_type", "str", None, "only streams of this aggregate type; None for all", nullable=True),
        description="Event volumes per aggregate, replay consistency, and the audit trail.",
        platform_only=True,
    ),
    report(
        "06_dashboard_analytics", "Dashboard analytics",
        Parameter("granularity", "str", "week", "time bucket of the activity series", choices=("day", "week", "month")),
        description="Sessions, analytics events and widget usage over time.",
    ),
    report(
        "07_notifications", "Notifications and messaging",
        Parameter("granularity", "str", "week", "time bucket of the series", choices=("day", "week", "month")),
        description="Notifications sent and read, team messages, email subscriptions.",
    ),
    report(
        "90_migration_checks", "Legacy migration checks",
        Parameter("sample_rows", "int", 20, "quarantined rows shown per reason", minimum=0, maximum=1000),
        common=(AS_OF, MASK_CONTACTS),
        description="Reconciliation of every legacy row: migrated, merged or quarantined, with the reasons.",
        platform_only=True,
    ),
)

_REGISTRY: dict[str, Report] = {r.name: r for r in _DECLARED}
_loaded_plugins: set[str] = set()


def register(new: Report) -> Report:
    """Add ``new`` to the catalog (replacing a report of the same name); return it."""
    _REGISTRY[new.name] = new
    return new


def _load_plugins() -> None:
    modules = [m.strip() for m in os.environ.get(CATALOGS_ENV, "").split(",") if m.strip()]
    if modules and os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())  # plug-in catalogs import from where the command runs
    for module in modules:
        if module not in _loaded_plugins:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise ConfigurationError(f"{CATALOGS_ENV} names {module!r}, which cannot be imported: {exc}.") from None
            _loaded_plugins.add(module)


def reports() -> list[Report]:
    """Return every declared report (the package's and the plug-in catalogs'), sorted by name."""
    _load_plugins()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def get(name: str) -> Report:
    """Return the report declared as ``name``, or raise UnknownIdentifierError listing the known ones."""
    _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownIdentifierError(f"no report named {name!r}; the reports are: {known}.") from None
