"""bi-workbench: the analysts' side of the BI platform.

The public API that notebooks import::

    from bi_workbench import get_engine, load, count_by_period, score_assessments, simulate
"""

import sys
from importlib.metadata import PackageNotFoundError, version

# jsonschema (under nbformat, papermill, nbconvert) imports the optional IRI format checker rfc3987_syntax
# when it is installed (jupyter-events asks for it), and that compiles 38 grammars on import: 3.3 s of
# every process that renders or reads a notebook here. Nothing of ours validates IRIs; without it,
# jsonschema leaves that one format unchecked. A process that imported it first keeps it.
sys.modules.setdefault("rfc3987_syntax", None)

try:
    __version__ = version("bi-workbench")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

from .database import get_engine  # noqa: E402
from .database.tenancy import tenant_engine  # noqa: E402
from .domain import (  # noqa: E402
    compare_scenarios, compare_with_legacy, explain, prioritize_levers, progress_rollup, score_assessments,
    sensitivity, simulate,
)
from .loaders import count_by, count_by_industry, count_by_period, iter_load, load  # noqa: E402
from .loaders.partitioned import load_partitioned  # noqa: E402,F401 - public (dask)
from .schema import init_schema  # noqa: E402
from . import metrics  # noqa: E402



def load_ipython_extension(ipython) -> None:
    """``%load_ext bi_workbench``: SQL cells (JupySQL) on the workbench's engine; see `bi_workbench.sqlcells`."""
    from .sqlcells import load_ipython_extension as load

    load(ipython)


__all__ = [
    "__version__", "compare_scenarios", "compare_with_legacy", "count_by", "count_by_industry", "count_by_period",
    "explain", "get_engine", "init_schema", "iter_load", "load", "metrics", "prioritize_levers", "progress_rollup",
    "score_assessments", "sensitivity", "simulate", "tenant_engine",
]
