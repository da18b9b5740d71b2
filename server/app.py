"""The store server's I/O: websockets on `/ws`, static HTTP for the web client and try-on files, one port.

The sans-I/O `StoreCore` decides; this module moves bytes. Every send is `broadcast()` (it never
waits on a slow socket); at each tick a client whose write buffer is still full is skipped, so
its next delta carries the changes coalesced, and one past `SLOW_CLIENT_BYTES` is dropped.
Try-ons run in a process pool fed by a queue, with progress messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import mimetypes
import os
import secrets
import time
import urllib.parse
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from server import thumbnails
from server.actions import Close, Job, JobKind, Send
from server.core import StoreCore, TooManyConnections
from server.files import Retention, collect
from server.protocol import MAX_FRAME_BYTES
from server.worker import (
    WORKER_THREAD_ENV,
    build_avatar,
    init_worker,
    measure_photo,
    run_try_on,
    validate_garment,
)

log = logging.getLogger("fitroom.server")
WEB_ROOT = Path(__file__).resolve().parent / "web"
READY_BYTES = 64 * 1024  # a client with more than this unsent gets no frame this tick
SLOW_CLIENT_BYTES = 4 * 1024 * 1024  # a client this far behind is dropped
#: job kind -> (work, folder of its files)
JOBS = {JobKind.TRY_ON: (run_try_on, "tryon"), JobKind.VALIDATE_GARMENT: (validate_garment, "garments"),
        JobKind.AVATAR: (build_avatar, "avatars"), JobKind.PHOTO_BODY: (measure_photo, "photos")}
WEB_FILES = (".html", ".js", ".css", ".png", ".json", ".glb", ".svg")
COLLECTED = ("tryon", "avatars")  # folders of results that can be made again; never "garments"
MAX_PATH = 1024  # longer request paths name no file of ours
IDLE_SHOPPER_SECONDS = 24 * 3600.0  # a shopper who did nothing is forgotten a day after joining


@dataclass
class Stats:
    """What the server measures about itself (served at /stats; `?window=S` for the last S seconds only)."""

    tick_seconds: deque = field(default_factory=lambda: deque(maxlen=20_000))  # (at, the tick's own work)
    gap_seconds: deque = field(default_factory=lambda: deque(maxlen=20_000))  # (at, start to start: what clients see)
    last_tick: float | None = None
    bytes_sent: int = 0
    frames_sent: int = 0
    started: float = field(default_factory=time.time)

    def ticked(self, started: float, finished: float) -> None:
        if self.last_tick is not None:
            self.gap_seconds.append((started, started - self.last_tick))
        self.last_tick = started
        self.tick_seconds.append((started, finished - started))

    def as_dict(self, core: StoreCore, window_seconds: float | None = None) -> dict[str, Any]:
        since = -np.inf if window_seconds is None else time.perf_counter() - window_seconds

        def figures(name: str, samples: deque) -> dict[str, float | None]:
            ms = 1000.0 * np.array([value for at, value in samples if at >= since])
            figure = (lambda f: round(float(f(ms)), 3)) if len(ms) else (lambda f: None)
            return {f"{name}_p50": figure(np.median), f"{name}_p99": figure(lambda a: np.percentile(a, 99)),
                    f"{name}_mean": figure(np.mean)}

        return {"clients": len(core.clients), "shoppers": len(core.shoppers), "tick": core.tick_no,
                **figures("tick_ms", self.tick_seconds), **figures("tick_gap_ms", self.gap_seconds),
                "jobs_waiting": len(core.queue),
                "bytes_sent": self.bytes_sent, "frames_sent": self.frames_sent,
                "uptime_s": round(time.time() - self.started, 1)}


class StoreServer:
    def __init__(self, core: StoreCore, files_dir: Path, *, workers: int = 1, web_root: Path = WEB_ROOT,
                 retention: Retention = Retention()) -> None:
        self.core = core
        self.files_dir = files_dir
        self.web_root = web_root
        self.workers = workers
        self.connections: dict[int, ServerConnection] = {}
        self.stats = Stats()
        self.work_waiting = asyncio.Event()  # set when the core's job queue has something
        self.pool: ProcessPoolExecutor | None = None
        self.retention = retention
        self.fanout = None  # set by server.redis_fanout when several processes share the store
        self.thumbnails_dir = thumbnails.cache_dir()

    # --- HTTP ------------------------------------------------------------------------------------
    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.method not in ("GET", "HEAD"):
            response = self._response(HTTPStatus.METHOD_NOT_ALLOWED, b"only GET and HEAD\n", "text/plain")
            response.headers["Allow"] = "GET, HEAD"
            return response
        response = self._route(connection, request)
        if response is not None and request.method == "HEAD":
            response = Response(response.status_code, response.reason_phrase, response.headers, b"")  # same headers
        return response

    def _route(self, connection: ServerConnection, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0]
        if len(path) > MAX_PATH:
            return self._response(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
        if path == "/ws":
            if not self.core.budgets.admits(self._address(connection)):
                return self._response(HTTPStatus.TOO_MANY_REQUESTS, b"too many connections from your address",
                                      "text/plain")
            return None
        if path == "/stats":
            query = urllib.parse.parse_qs(request.path.partition("?")[2])
            try:
                window = float(query["window"][0]) if "window" in query else None
            except ValueError:
                return self._response(HTTPStatus.BAD_REQUEST, b"window is a number of seconds", "text/plain")
            stats = self.stats.as_dict(self.core, window if window is None or math.isfinite(window) else None)
            return self._response(HTTPStatus.OK, json.dumps(stats).encode(), "application/json")
        if path in ("/ops", "/ops/data"):
            return self._operations(request, path)
        if path == "/":
            path = "/index.html"
        if path.startswith("/files/"):
            return self._file(self.files_dir, path[len("/files/"):], immutable=True)
        if path.startswith("/thumbnails/") and path.endswith(".png"):  # /thumbnails/<product id>.png
            product = self.core.catalog.products.get(path[len("/thumbnails/"):-len(".png")])
            if product is None:
                return self._response(HTTPStatus.NOT_FOUND, b"no such product", "text/plain")
            return self._file(self.thumbnails_dir, thumbnails.file_name(product))
        if path.startswith("/node_modules/") and not path.startswith("/node_modules/three/"):
            return self._response(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
        return self._file(self.web_root, path.lstrip("/"))

    def _operations(self, request: Request, path: str) -> Response:
        """The operator's dashboard (`/ops`) and its figures (`/ops/data`), for the operator token only:
        `?token=` or `Authorization: Bearer`."""
        query = urllib.parse.parse_qs(request.path.partition("?")[2])
        bearer = request.headers.get("Authorization", "")
        given = query["token"][0] if "token" in query else bearer.removeprefix("Bearer ").strip()
        wanted = self.core.operator_token
        if self.core.operations is None or wanted is None or not secrets.compare_digest(
                given.encode(errors="replace"), wanted.encode()):
            response = self._response(HTTPStatus.UNAUTHORIZED, b"the operator token is needed: /ops?token=...\n",
                                      "text/plain")
            response.headers["WWW-Authenticate"] = 'Bearer realm="fitroom operations"'
            return response
        if path == "/ops":
            return self._file(self.web_root, "ops.html")
        return self._response(HTTPStatus.OK, json.dumps(self.core.operations.dashboard()).encode(), "application/json")

    def _file(self, root: Path, relative: str, immutable: bool = False) -> Response:
        """A file under `root` (never outside it: no '..', no absolute paths, no symlinks out)."""
        root = root.resolve()
        target = (root / relative).resolve()
        if ".." in Path(relative).parts or not target.is_relative_to(root):
            return self._response(HTTPStatus.FORBIDDEN, b"forbidden", "text/plain")
        if target.suffix not in WEB_FILES or not target.is_file():
            return self._response(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if target.suffix == ".js":
            kind = "text/javascript"
        cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
        return self._response(HTTPStatus.OK, target.read_bytes(), kind, cache)

    @staticmethod
    def _response(status: HTTPStatus, body: bytes, kind: str, cache: str = "no-store") -> Response:
        headers = Headers({"Content-Type": kind, "Content-Length": str(len(body)), "Cache-Control": cache,
                           "X-Content-Type-Options": "nosniff"})
        return Response(status.value, status.phrase, headers, body)

    # --- websockets ------------------------------------------------------------------------------
    @staticmethod
    def _address(connection: ServerConnection) -> str:
        peer = connection.remote_address
        return str(peer[0]) if peer else "unknown"

    async def handle(self, connection: ServerConnection) -> None:
        try:
            client = self.core.connect(self._address(connection))
        except TooManyConnections as exc:
            await connection.close(1008, str(exc))
            return
        self.connections[client] = connection
        try:
            async for frame in connection:
                self.dispatch(self.core.receive(client, frame))
        except ConnectionClosed:
            pass
        finally:
            self.connections.pop(client, None)
            self.dispatch(self.core.disconnect(client))

    def dispatch(self, actions: list, local_only: bool = False) -> None:
        """Carry out the core's actions: sends (never waiting), closes, and jobs for the pool.

        With Redis, what other processes need (shared events, orders, jobs) is published too,
        unless the actions came from another process (`local_only`).
        """
        for action in actions:
            if isinstance(action, Send):
                if action.to is None:
                    targets = [c for cid, c in self.connections.items()
                               if cid != action.exclude and self.core.clients.get(cid) and self.core.clients[cid].shopper]
                else:
                    targets = [self.connections[cid] for cid in action.to if cid in self.connections]
                broadcast(targets, action.data)
                self.stats.bytes_sent += len(action.data) * len(targets)
                self.stats.frames_sent += len(targets)
                if self.fanout is not None and not local_only and action.shared is not None:
                    self.fanout.publish_event(action.shared)  # floor events and orders: what other processes need
            elif isinstance(action, Close):
                connection = self.connections.get(action.client)
                if connection is not None:
                    asyncio.ensure_future(connection.close(action.code, action.reason))
            elif isinstance(action, Job):  # queued by the core already
                if action.kind is JobKind.TRY_ON and self.fanout is not None:
                    self.core.queue.remove(action.id)
                    self.fanout.submit(action)  # any process's workers may drape it
                    continue
                self.work_waiting.set()

    async def tick_loop(self) -> None:
        period = 1.0 / self.core.tick_hz
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += period
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            started = time.perf_counter()
            ready = []
            for cid, connection in list(self.connections.items()):
                buffered = connection.transport.get_write_buffer_size() if connection.transport else 0
                if buffered > SLOW_CLIENT_BYTES:
                    asyncio.ensure_future(connection.close(1008, "client too slow to keep up"))
                elif buffered <= READY_BYTES:
                    ready.append(cid)
            if self.fanout is not None:
                self.fanout.publish_transforms()
            self.dispatch(self.core.tick(ready))
            self.stats.ticked(started, time.perf_counter())
            if loop.time() > next_at + 5 * period:  # far behind: skip rather than burst
                next_at = loop.time()

    async def execute(self, job: Job) -> tuple[dict | None, str | None]:
        """Run a job in the worker pool: (result, None), or (None, why it failed); never raises."""
        work, folder = JOBS[job.kind]
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.pool, work, job.id, job.payload, str(self.files_dir / folder)), None
        except Exception as exc:  # a failed job must not take the server down
            log.warning("%s %s failed: %s", job.kind, job.id, exc)
            return None, str(exc)

    async def job_loop(self) -> None:
        """One worker's share of the core's fair queue."""
        while True:
            job = self.core.queue.pop()
            if job is None:
                self.work_waiting.clear()
                await self.work_waiting.wait()
                continue
            if job.client not in self.core.clients:
                self.dispatch(self.core.job_done(job.id, None, "the shopper left"))
                continue
            self.dispatch(self.core.job_started(job))
            self.dispatch(self.core.job_done(job.id, *await self.execute(job)))

    async def retrain_loop(self, every_seconds: float = 120.0) -> None:
        """Refit the recommender on what shoppers did, when they did something since the last fit."""
        seen = None
        while True:
            await asyncio.sleep(every_seconds)
            recommender = self.core.recommender
            if recommender is None:
                continue
            latest = recommender.store.activity_mark()
            if latest != seen:  # trained in a thread (numpy and SQLite let go of the GIL); ticks go on
                self.core.recommender = await asyncio.to_thread(recommender.retrained)
                seen = latest

    async def ops_loop(self) -> None:
        """Operations every quarter of a demand day (at most every 5 minutes): forecast, alerts, prices."""
        operations = self.core.operations
        if operations is None:
            return
        every_seconds = min(operations.settings.day_seconds / 4, 300.0)
        while True:
            self.dispatch(self.core.replan())  # SQLite's connection lives on this thread
            await asyncio.sleep(every_seconds)

    async def collect_loop(self, every_seconds: float = 60.0) -> None:
        """Delete old try-on results (by age and total size) and shoppers who came and did nothing."""
        while True:
            forgotten = self.core.shop.forget_idle_shoppers(time.time() - IDLE_SHOPPER_SECONDS, set(self.core.shoppers))
            if forgotten:
                log.info("forgot %d shoppers who joined and did nothing", forgotten)
            for folder in COLLECTED:
                removed, freed = await asyncio.to_thread(collect, self.files_dir / folder, self.retention)
                if removed:
                    log.info("collected %d old files (%.1f MB) from %s", removed, freed / 1e6, folder)
            await asyncio.sleep(every_seconds)

    async def paint_thumbnails(self) -> None:
        """Draw the catalogue pictures still missing, in a low-priority process of their own (server.thumbnails)."""
        products = list(self.core.catalog.products.values())
        if not thumbnails.missing(products, self.thumbnails_dir):
            return
        painter = ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=thumbnails.init_painter,
                                      initargs=(os.getpid(),))
        try:
            made = await asyncio.get_running_loop().run_in_executor(
                painter, thumbnails.make_thumbnails, products, self.thumbnails_dir)
            log.info("catalogue pictures: %d drawn into %s", made, self.thumbnails_dir)
        except Exception:  # pictures are a nicety: the store stays open without them
            log.exception("catalogue pictures could not be drawn")
        finally:
            painter.shutdown(wait=False, cancel_futures=True)

    async def run_bots(self, url: str, count: int) -> None:
        """Simulated shoppers in this store for as long as it is open (demos)."""
        from server.bots import simulate

        await simulate(url, count, minutes=1e6, seed=1, try_on_rate=0.02)

    async def run(self, host: str, port: int, bots: int = 0) -> None:
        for name, value in WORKER_THREAD_ENV.items():  # inherited by the spawned workers (see WORKER_THREAD_ENV)
            os.environ.setdefault(name, value)
        self.pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=init_worker,
                                        initargs=(os.getpid(),))
        tasks = [asyncio.ensure_future(self.tick_loop()), asyncio.ensure_future(self.retrain_loop()),
                 asyncio.ensure_future(self.collect_loop()), asyncio.ensure_future(self.ops_loop()),
                 asyncio.ensure_future(self.paint_thumbnails())]
        tasks += [asyncio.ensure_future(self.job_loop()) for _ in range(self.workers)]
        if self.fanout is not None:
            tasks.append(asyncio.ensure_future(self.fanout.listen()))
            tasks += [asyncio.ensure_future(self.fanout.work()) for _ in range(self.workers)]
        try:
            async with serve(self.handle, host, port, process_request=self.process_request,
                             max_size=MAX_FRAME_BYTES, max_queue=64, ping_interval=20, ping_timeout=20,
                             compression=None) as server:  # deflating every 20 Hz frame per client costs more CPU than it saves
                log.info("store open at http://%s:%d (websocket ws://%s:%d/ws)", host, port, host, port)
                if bots:
                    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
                    tasks.append(asyncio.ensure_future(self.run_bots(f"ws://{local}:{port}/ws", bots)))
                await server.serve_forever()
        finally:
            for task in tasks:
                task.cancel()
            self.pool.shutdown(wait=False, cancel_futures=True)
