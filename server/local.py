"""Start `fitroom serve` (and a redis-server) in child processes on free ports (for `fitroom simulate`, benchmarks, tests)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
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


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A throwaway redis-server on a free port (no persistence), answering pings: its URL."""
    import redis

    port = free_port()
    process = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                                "--save", "", "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


#: Debian's Chromium, headless, drawing WebGL in software (SwiftShader), with nothing reaching the network
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def launch_chromium(playwright):
    """The system's Chromium through Playwright (no browser download): web tests, benchmarks, screenshots."""
    return playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                      args=CHROMIUM_ARGS)
