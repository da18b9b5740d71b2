"""Start `fitroom serve` in a child process on a free port (for `fitroom simulate` and benchmarks)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalServer:
    process: subprocess.Popen
    port: int
    log: Path | None = None  # where the server's output goes

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush: what a crash looks like."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def start_local_server(data_dir: Path, *extra: str, port: int | None = None, timeout: float = 120.0,
                       log: Path | None = None) -> LocalServer:
    """A store server process serving `data_dir`, once it answers on /stats."""
    port = port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    out = open(log or data_dir / "server.log", "ab")  # noqa: SIM115 - the child writes to it for its life
    command = [sys.executable, "-m", "fitroom.cli", "serve", "--port", str(port), "--data", str(data_dir), *extra]
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    server = LocalServer(process, port, Path(out.name))
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the store server exited with code {process.returncode}; see {out.name}")
        try:
            urllib.request.urlopen(server.url + "/stats", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise TimeoutError(f"the store server did not answer within {timeout:.0f} s; see {out.name}")
