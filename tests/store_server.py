"""A real `fitroom serve` process on a free port, for tests that talk to it over sockets and HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import ROOT

FITROOM = Path(sys.executable).parent / "fitroom"
DESIGNER_TOKEN = "test-designer-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, data_dir: Path, port: int | None = None, *extra: str) -> None:
        self.port = port or free_port()
        self.data_dir = data_dir
        self.extra = extra
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 60.0) -> "ServerProcess":
        self.log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [str(FITROOM), "serve", "--port", str(self.port), "--data", str(self.data_dir),
             "--designer-token", DESIGNER_TOKEN, *self.extra], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                urllib.request.urlopen(self.url + "/stats", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.2)
        raise TimeoutError("server did not come up")

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush: what a crash looks like."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
