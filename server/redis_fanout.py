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
import logging
import uuid
from typing import TYPE_CHECKING, Any

import msgspec
import redis.asyncio as redis
from msgspec import UNSET, UnsetType

from server.actions import Job, JobKind
from server.errors import ServeError
from server.messages import Order, SharedEvent

if TYPE_CHECKING:
    from server.app import StoreServer

log = logging.getLogger("fitroom.redis")
EVENTS, TRANSFORMS, RESULTS = "fitroom:events", "fitroom:transforms", "fitroom:results"
ORDERS, TRYONS, WORKERS = "fitroom:orders", "fitroom:tryons", "workers"
STREAM_LENGTH = 100_000


class RemoteEvent(msgspec.Struct):
    origin: str
    event: SharedEvent


class OrderRecord(Order, tag="order"):
    """An order as appended to the orders stream: the shopper's `order` message and the process it came from."""

    origin: str


class RemoteTransforms(msgspec.Struct):
    origin: str
    shoppers: list[tuple[str, float, float, float]]  # id, x, z, heading


class RemoteJob(msgspec.Struct):
    origin: str
    job: str
    kind: JobKind
    client: int
    payload: dict[str, Any]


class RemoteResult(msgspec.Struct, omit_defaults=True, rename={"for_": "for"}):
    """A job's progress (`stage`) or its end (`result` or `error`), for the process that queued it."""

    for_: str
    job: str
    stage: str | UnsetType = UNSET
    result: dict[str, Any] | None = None
    error: str | None = None


ENCODER = msgspec.json.Encoder()
DECODERS = {EVENTS.encode(): msgspec.json.Decoder(RemoteEvent), TRANSFORMS.encode(): msgspec.json.Decoder(RemoteTransforms),
            RESULTS.encode(): msgspec.json.Decoder(RemoteResult)}
JOB_DECODER = msgspec.json.Decoder(RemoteJob)


def check_redis(url: str) -> None:
    """Fail now, with the reason, if Redis at `url` does not answer (not later, silently)."""
    import redis as sync_redis

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
        self.outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(maxsize=10_000)

    def _queue(self, channel: str, message: msgspec.Struct) -> None:
        try:
            self.outbox.put_nowait((channel, ENCODER.encode(message)))
        except asyncio.QueueFull:
            log.warning("Redis is not keeping up; dropping a message for %s", channel)

    def publish_event(self, message: msgspec.Struct) -> None:
        """A floor event or an order of this process, for the others (and the orders stream)."""
        if isinstance(message, Order):
            self._queue(ORDERS, OrderRecord(message.id, message.total, message.lines, self.origin))
        else:
            self._queue(EVENTS, RemoteEvent(self.origin, message))

    def submit(self, job: Job) -> None:
        """A try-on for whichever process's workers are free."""
        self._queue(TRYONS, RemoteJob(self.origin, job.id, job.kind, job.client, job.payload))

    async def work(self) -> None:
        """One worker's share of the try-on stream: take a job, drape it, send the result to its process."""
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
                    message = JOB_DECODER.decode(fields[b"message"])
                    job = Job(message.job, message.kind, message.client, message.payload)
                    self._queue(RESULTS, RemoteResult(message.origin, job.id, stage="draping"))
                    result, error = await self.server.execute(job)
                    self._queue(RESULTS, RemoteResult(message.origin, job.id, result=result, error=error))
                    await self.redis.xack(TRYONS, WORKERS, entry_id)

    def publish_transforms(self) -> None:
        core = self.server.core
        keyframe = core.tick_no % core.keyframe_ticks == 0
        current = {row[0]: row for row in core.local_transforms()}
        changed = [row for sid, row in current.items() if keyframe or self.last_sent.get(sid) != row]
        self.last_sent = current
        if changed:
            self._queue(TRANSFORMS, RemoteTransforms(self.origin, changed))

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
                data = DECODERS[message["channel"]].decode(message["data"])
                core = self.server.core
                if isinstance(data, RemoteResult):
                    if data.for_ == self.origin:  # one of our shoppers' try-ons, draped by some process
                        self.server.dispatch(core.job_progress(data.job, data.stage) if data.stage is not UNSET
                                             else core.job_done(data.job, data.result, data.error))
                elif data.origin == self.origin:
                    continue
                elif isinstance(data, RemoteTransforms):
                    core.apply_remote_transforms(data.shoppers)
                else:
                    self.server.dispatch(core.apply_remote(data.event), local_only=True)
        finally:
            writer.cancel()
            await pubsub.aclose()
            await self.redis.aclose()
