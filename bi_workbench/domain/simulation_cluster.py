"""Running simulation chunks on a Dask cluster (``simulate(..., cluster=...)``).

The chunks are independent (each has its own ``SeedSequence`` child), so the
workers' results, put back in chunk order, are the single-machine result.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from ..errors import InvalidParameterError

#: How long to wait for a scheduler given by address before giving up (seconds).
CONNECT_TIMEOUT_S = 10


@contextmanager
def _client(cluster):
    """Yield a distributed Client for ``cluster`` (a Client, used as is, or a scheduler address, connected here)."""
    from distributed import Client

    if isinstance(cluster, Client):
        yield cluster
        return
    if not isinstance(cluster, str) or not cluster.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        raise InvalidParameterError(
            f"cluster={cluster!r} must be a dask.distributed Client or a scheduler address such as 'tcp://host:8786'"
        )
    try:
        client = Client(cluster, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InvalidParameterError(f"cluster={cluster!r}: cannot reach the Dask scheduler ({exc})") from None
    try:
        yield client
    finally:
        client.close()


def run_chunks(cluster, work: Callable, inputs, seed: int, chunks: list[tuple[int, int]]) -> list:
    """Return ``[work(inputs, seed, i, size) for i, size in chunks]``, computed on ``cluster``'s workers.

    Results come back in chunk order. Raises InvalidParameterError if ``cluster`` is neither a
    Client nor a reachable scheduler address. Example::

        >>> run_chunks("tcp://127.0.0.1:8786", simulate_chunk, inputs, 7, [(0, 25_000), (1, 5_000)])
    """
    with _client(cluster) as client:
        futures = [client.submit(work, inputs, seed, i, size, pure=False) for i, size in chunks]
        return client.gather(futures)
