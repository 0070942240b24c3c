"""Running simulation chunks on a Dask cluster (``simulate(..., cluster=...)``).

The chunks are independent (each has its own ``SeedSequence`` child), so the
workers' results, put back in chunk order, are the single-machine result.
"""

from __future__ import annotations

from collections.abc import Callable

from ..cluster import client_for


def run_chunks(cluster, work: Callable, inputs, seed: int, chunks: list[tuple[int, int]]) -> list:
    """Return ``[work(inputs, seed, i, size) for i, size in chunks]``, computed on ``cluster``'s workers.

    Results come back in chunk order. Raises InvalidParameterError if ``cluster`` is neither a
    Client nor a reachable scheduler address. Example::

        >>> run_chunks("tcp://127.0.0.1:8786", simulate_chunk, inputs, 7, [(0, 25_000), (1, 5_000)])
    """
    with client_for(cluster) as client:
        futures = [client.submit(work, inputs, seed, i, size, pure=False) for i, size in chunks]
        return client.gather(futures)
