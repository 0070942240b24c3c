"""bi-workbench: the analysts' side of the BI platform.

The public API that notebooks import::

    from bi_workbench import get_engine, init_schema
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bi-workbench")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

from .database import get_engine  # noqa: E402
from .schema import init_schema  # noqa: E402

__all__ = ["__version__", "get_engine", "init_schema"]
