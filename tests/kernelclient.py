"""A real IPython kernel for tests: start one with an environment, run code, read what it sent back."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from jupyter_client.manager import start_new_kernel


@contextmanager
def kernel(**env):
    """Yield a client of a fresh python3 kernel whose environment adds ``env``; shut it down after."""
    environment = {**os.environ, **env}
    manager, client = start_new_kernel(kernel_name="python3", env=environment)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code: str) -> list[dict]:
    """Execute ``code``; return its iopub output messages (stream, display_data, execute_result); fail on error."""
    msg_id = client.execute(code)
    outputs = []
    while True:
        msg = client.get_iopub_msg(timeout=180)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "error":
            pytest.fail("\n".join(msg["content"]["traceback"]))
        if kind in ("stream", "display_data", "execute_result"):
            outputs.append(msg)
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            return outputs


def printed(outputs) -> str:
    """The text the outputs printed."""
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")


def data(outputs, mime: str) -> list:
    """The ``mime`` payloads of the outputs that carry one."""
    return [m["content"]["data"][mime] for m in outputs if mime in m["content"].get("data", {})]
