"""Connecting to a Dask scheduler given by address: one check for reports, partitioned loads and simulations.

An address is ``tcp://HOST:PORT`` (a bare ``HOST:PORT`` means tcp). Before a
`distributed.Client` is made, the address is checked and the scheduler must
answer Dask's handshake within `CONNECT_TIMEOUT` seconds (a port that accepts
connections but is no scheduler, such as its dashboard's, would otherwise hang
the client), and a worker must be there within `WORKERS_TIMEOUT` seconds.
Every failure is an InvalidParameterError naming the address.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from .errors import InvalidParameterError

#: Seconds a scheduler has to answer the handshake.
CONNECT_TIMEOUT = 10
#: Seconds to wait for the scheduler to have a worker.
WORKERS_TIMEOUT = 60


def scheduler_address(value: object) -> str:
    """Return ``value`` as a scheduler address ``tcp://HOST:PORT``; raise InvalidParameterError naming it otherwise."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidParameterError(f"cluster={value!r} is not a Dask scheduler address; write it as tcp://HOST:8786")
    address = text if "://" in text else f"tcp://{text}"
    scheme, _, location = address.partition("://")
    host, _, port = location.rpartition(":")
    if scheme != "tcp" or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidParameterError(f"cluster={value!r} is not a Dask scheduler address; write it as tcp://HOST:8786 "
                                    "(only tcp is supported)")
    return address


def connect(value: object, *, as_default: bool = False):
    """Return a `distributed.Client` on the scheduler at ``value``, with a worker; ``as_default``: the
    process's default client from now on (dask computes there).

    Raises InvalidParameterError when the address is malformed, nothing answers
    as a Dask scheduler within CONNECT_TIMEOUT s, or no worker joins within WORKERS_TIMEOUT s.
    """
    from distributed import Client

    address = scheduler_address(value)
    _handshake(address)
    with quiet_dask_logs():
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=as_default)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InvalidParameterError(f"cannot reach the Dask scheduler at {address}: {_first_line(exc)}") from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except TimeoutError:
        client.close()
        raise InvalidParameterError(f"the Dask scheduler at {address} has no worker (waited {WORKERS_TIMEOUT} s); "
                                    "start one with `dask worker " + address + "`") from None
    return client


@contextmanager
def client_for(cluster):
    """Yield ``cluster`` if it is a `distributed.Client`, else a Client `connect` made for it, closed afterwards."""
    from distributed import Client

    if isinstance(cluster, Client):
        yield cluster
        return
    client = connect(cluster)
    try:
        yield client
    finally:
        client.close()


def _handshake(address: str) -> None:
    """Open and close one Dask connection to ``address``; raise InvalidParameterError if it fails or hangs."""
    from distributed.comm import connect as open_comm

    async def probe():
        comm = await asyncio.wait_for(open_comm(address, timeout=CONNECT_TIMEOUT), CONNECT_TIMEOUT)
        await comm.close()

    # In a thread of its own: a notebook kernel's thread already runs an event loop.
    with quiet_dask_logs(), ThreadPoolExecutor(max_workers=1) as thread:
        try:
            thread.submit(asyncio.run, probe()).result()
        except (OSError, TimeoutError, asyncio.TimeoutError, ValueError) as exc:
            why = "no answer as a Dask scheduler" if isinstance(exc, (TimeoutError, asyncio.TimeoutError)) \
                else _first_line(exc)
            raise InvalidParameterError(f"cannot reach the Dask scheduler at {address}: {why} "
                                        f"(within {CONNECT_TIMEOUT} s)") from None


@contextmanager
def quiet_dask_logs():
    """Silence Dask's own logging below CRITICAL inside the block: the workbench reports each failure
    (a lost scheduler, a failed connection) in one line of its own; Dask would add tracebacks."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
