"""Two example reports for the tests, declared as a plug-in catalog (BI_WORKBENCH_REPORT_CATALOGS).

Their notebooks are in ``tests/reports/notebooks/``: ``example_users`` (a plotly
figure from a tiny query, a table with contact details, a switch to fail) and
``example_counts`` (no figure; a switch to sleep, for the time limits).
"""

from pathlib import Path

from bi_workbench.reports.catalog import AS_OF, COMMON, COMMON_CHECKS, MASK_CONTACTS, Parameter, Report, register

NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"

EXAMPLE_USERS = register(Report(
    "example_users", "example_users.ipynb", "Example: users by industry",
    COMMON + (Parameter("fail", "bool", False, "raise an error after loading the data (to test failures)"),),
    description="A tiny report over the users table.", checks=COMMON_CHECKS,
))

EXAMPLE_COUNTS = register(Report(
    "example_counts", "example_counts.ipynb", "Example: row counts",
    (AS_OF, MASK_CONTACTS, Parameter("sleep_seconds", "float", 0.0, "wait this long in a cell (to test time limits)",
                                     minimum=0.0)),
    description="Row counts of a few tables.", checks=COMMON_CHECKS,
))
