"""Several server processes, one store: state fan-out over Redis pub/sub, orders and try-ons in streams.

Each process publishes its own shoppers' transforms every tick (changed ones; all of them at each
keyframe, which doubles as a heartbeat) and every event it broadcasts to its clients (joins,
leaves, what shoppers hold and wear, stock). The other processes apply them to their copy of the
floor (`StoreCore.apply_remote`) and tell their clients. Stock, carts and orders live in the shared
SQLite file, whose transactions keep them consistent; each order and each try-on job is also
appended to the Redis stream `fitroom:orders` for fulfilment and analytics. Try-ons go into the
stream `fitroom:tryons`, read by every process's workers as one consumer group, so whichever
process is free drapes it; its progress and result come back to the shopper's process on
`fitroom:results` (the try-on files land in the shared `--data` folder).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

import redis.asyncio as redis

if TYPE_CHECKING:
    from server.app import StoreServer
    from server.core import Job

log = logging.getLogger("fitroom.redis")
EVENTS, TRANSFORMS, RESULTS = "fitroom:events", "fitroom:transforms", "fitroom:results"
ORDERS, TRYONS, WORKERS = "fitroom:orders", "fitroom:tryons", "workers"
STREAM_LENGTH = 100_000
SHARED_EVENTS = ("shopper_joined", "shopper_left", "shopper", "stock")


def check_redis(url: str) -> None:
    """Fail now, with the reason, if Redis at `url` does not answer (not later, silently)."""
    import redis as sync_redis

    from server.serve import ServeError

    try:
        sync_redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except (sync_redis.RedisError, ValueError) as exc:
        raise ServeError(f"Redis at {url} does not answer: {exc}") from exc


class RedisFanout:
    def __init__(self, url: str, server: StoreServer) -> None:
        self.redis = redis.Redis.from_url(url)
        self.server = server
        self.origin = uuid.uuid4().hex
        self.last_sent: dict[str, list] = {}
        self.outbox: asyncio.Queue[tuple[str, str]] = asyncio.Queue(maxsize=10_000)

    def _queue(self, channel: str, payload: dict[str, Any]) -> None:
        try:
            self.outbox.put_nowait((channel, json.dumps({"origin": self.origin, **payload}, separators=(",", ":"))))
        except asyncio.QueueFull:
            log.warning("Redis is not keeping up; dropping a message for %s", channel)

    def publish_event(self, data: str) -> None:
        """A text message broadcast to this process's clients: share it if other processes need it."""
        message = json.loads(data)
        if message["type"] in SHARED_EVENTS:
            self._queue(EVENTS, message)
        elif message["type"] == "order":
            self._queue(ORDERS, message)

    def submit(self, job: "Job") -> None:
        """A try-on for whichever process's workers are free."""
        self._queue(TRYONS, {"job": job.id, "kind": job.kind, "client": job.client, "payload": job.payload})

    async def work(self) -> None:
        """One worker's share of the try-on stream: take a job, drape it, send the result to its process."""
        from server.core import Job

        try:
            await self.redis.xgroup_create(TRYONS, WORKERS, id="0", mkstream=True)
        except redis.ResponseError:
            pass  # another process made the group already
        consumer = f"{self.origin}-{uuid.uuid4().hex[:6]}"
        while True:
            try:
                batch = await self.redis.xreadgroup(WORKERS, consumer, {TRYONS: ">"}, count=1, block=1000)
            except redis.RedisError as exc:
                log.warning("reading try-on jobs failed (%s)", exc)
                await asyncio.sleep(1.0)
                continue
            for _, entries in batch or []:
                for entry_id, fields in entries:
                    message = json.loads(fields[b"message"])
                    job = Job(message["job"], message["kind"], message["client"], message["payload"])
                    self._queue(RESULTS, {"for": message["origin"], "job": job.id, "stage": "draping"})
                    result, error = await self.server.execute(job)
                    self._queue(RESULTS, {"for": message["origin"], "job": job.id, "result": result, "error": error})
                    await self.redis.xack(TRYONS, WORKERS, entry_id)

    def publish_transforms(self) -> None:
        core = self.server.core
        keyframe = core.tick_no % core.keyframe_ticks == 0
        current = {row[0]: row for row in core.local_transforms()}
        changed = [row for sid, row in current.items() if keyframe or self.last_sent.get(sid) != row]
        self.last_sent = current
        if changed:
            self._queue(TRANSFORMS, {"type": "transforms", "shoppers": changed})

    async def _writer(self) -> None:
        while True:
            channel, text = await self.outbox.get()
            try:
                if channel in (ORDERS, TRYONS):
                    await self.redis.xadd(channel, {"message": text}, maxlen=STREAM_LENGTH, approximate=True)
                else:
                    await self.redis.publish(channel, text)
            except redis.RedisError as exc:
                log.warning("Redis write failed (%s); the other processes miss one update", exc)

    async def listen(self) -> None:
        """Apply what the other processes publish; runs for the server's life."""
        writer = asyncio.ensure_future(self._writer())
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(EVENTS, TRANSFORMS, RESULTS)
        try:
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    self.server.dispatch(self.server.core.drop_stale_remotes())
                    continue
                data = json.loads(message["data"])
                if message["channel"] == RESULTS.encode():
                    if data["for"] == self.origin:  # one of our shoppers' try-ons, draped by some process
                        core = self.server.core
                        self.server.dispatch(core.job_progress(data["job"], data["stage"]) if "stage" in data
                                             else core.job_done(data["job"], data["result"], data["error"]))
                    continue
                if data.pop("origin") == self.origin:
                    continue
                self.server.dispatch(self.server.core.apply_remote(data), local_only=True)
        finally:
            writer.cancel()
            await pubsub.aclose()
            await self.redis.aclose()
