"""Where reports render: a Dask cluster, local or given (`distributed`, the PyData cluster engine).

Without an address, a `distributed.LocalCluster` of ``workers`` processes (one
thread each: a render is one process and its kernel) is started for the
command and closed after it. With ``tcp://HOST:8786``, the workers of that
running scheduler render; they need the package installed and the database
reachable, nothing else (the job carries the notebook and the kernel's
environment). Dask re-runs the task of a worker that dies on another worker
(``distributed.scheduler.allowed-failures`` times); the outputs are published
once by the client (`bi_workbench.reports.outputs`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..cluster import client_for, quiet_dask_logs


@contextmanager
def dask_client(cluster: str | None, workers: int) -> Iterator:
    """Yield a `distributed.Client` on scheduler ``cluster``, or on a `local_cluster` of ``workers`` processes.

    Raises InvalidParameterError (one line) if ``cluster`` is no reachable scheduler with a worker
    (`bi_workbench.cluster.connect`).
    """
    from distributed import Client

    with quiet_dask_logs():
        if cluster is not None:
            with client_for(cluster) as client:
                yield client
            return
        with local_cluster(workers) as local, Client(local, set_as_default=False) as client:
            yield client


def local_cluster(workers: int):
    """Return a `distributed.LocalCluster` of ``workers`` processes of one thread each (a context manager).

    It has no memory limit (a render's memory is in its own process, not the
    worker's) and its dashboard on a free port.
    """
    from distributed import LocalCluster

    return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                        memory_limit=0, silence_logs=40)

