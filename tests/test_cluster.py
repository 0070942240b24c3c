"""Connecting to a Dask scheduler by address: malformed addresses, a port that is no scheduler, a scheduler
without workers: each one InvalidParameterError naming the address, within the time limits."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bi_workbench import cluster
from bi_workbench.errors import InvalidParameterError
from tests.conftest import free_port


@pytest.mark.parametrize("value", ["", "  ", None, 42, "http://x:8786", "garbage", "inproc://x", "tls://h:8786",
                                   "ucx://h:1", "tcp://h:99999", "tcp://h:", "tcp://:8786"])
def test_a_malformed_address_is_named(value):
    with pytest.raises(InvalidParameterError, match=r"is not a Dask scheduler address; write it as tcp://HOST:8786"):
        cluster.scheduler_address(value)


def test_a_bare_host_and_port_is_tcp():
    assert cluster.scheduler_address(" 10.0.0.5:8786 ") == "tcp://10.0.0.5:8786"
    assert cluster.scheduler_address("tcp://[::1]:8786") == "tcp://[::1]:8786"


def test_a_port_that_accepts_but_is_no_scheduler_fails_within_the_time_limit(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)
    with socket.socket() as silent:   # like a scheduler's dashboard port: it accepts and never speaks Dask
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        accepted = []
        threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        began = time.monotonic()
        with pytest.raises(InvalidParameterError, match=f"cannot reach the Dask scheduler at {address}: "
                                                        "no answer as a Dask scheduler"):
            cluster.connect(address)
        assert time.monotonic() - began < 10


def test_nothing_listening_is_named(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 2)  # refused at once, but Dask tries again until the timeout
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(InvalidParameterError, match=f"cannot reach the Dask scheduler at {address}"):
        cluster.connect(address)


def test_a_scheduler_without_workers_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(cluster, "WORKERS_TIMEOUT", 3)
    port = free_port()
    dask = Path(sys.executable).parent / "dask"
    with open(tmp_path / "scheduler.log", "w") as log:
        scheduler = subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                      "--dashboard-address", ":0", "--no-show"], stdout=log, stderr=log)
    try:
        address = f"tcp://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        with pytest.raises(InvalidParameterError, match=f"the Dask scheduler at {address} has no worker"):
            cluster.connect(address)
    finally:
        scheduler.terminate()
        scheduler.wait(30)
