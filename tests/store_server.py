"""A real `fitroom serve` process for tests that talk to it over sockets and HTTP."""

from __future__ import annotations

from pathlib import Path

from server.local import LocalServer, free_port, start_local_server

DESIGNER_TOKEN = "test-designer-token"
OPERATOR_TOKEN = "test-operator-token"
__all__ = ["DESIGNER_TOKEN", "OPERATOR_TOKEN", "free_port", "serve"]


def serve(data_dir: Path, *extra: str, port: int | None = None) -> LocalServer:
    """A store server on `data_dir` (and `port`, to restart one where it was) with our designer and operator tokens."""
    return start_local_server(data_dir, "--designer-token", DESIGNER_TOKEN, "--operator-token", OPERATOR_TOKEN,
                              *extra, port=port,
                              log=data_dir.parent / f"server-{data_dir.name}.log")
