"""The fitting rooms: try-ons queued fairly for the worker pool, their progress, and their results.

A mixin of `server.core.StoreCore` (which holds the state and `queue`); sans-I/O like the rest of
the core. A job is queued here and returned as a `Job` action so the I/O layer wakes a worker.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from msgspec import UNSET

from avatars.measurements import BodyMeasurements
from server.actions import Action, Job, JobKind, send
from server.job_queue import QueueFull
from server.messages import (
    GarmentUploaded,
    ShopperChanged,
    TryOn,
    TryOnProgress,
    TryOnResult,
)
from server.protocol import ProtocolError

if TYPE_CHECKING:
    from server.core import Client, StoreCore

UPLOAD_HEX = "#5b7bd5"


class FittingHandlers:
    def _on_try_on(self: StoreCore, client: Client, message: TryOn) -> list[Action]:
        if message.garment is not UNSET:
            return self._try_on_upload(client, message.garment)
        if message.product is UNSET:
            raise ProtocolError("bad_field", "try_on: give a 'product' (or a designer's uploaded 'garment')")
        shopper = self.shoppers[client.shopper]
        product = self.catalog.get(message.product)
        size = message.size or self._size_advice(shopper, product.id).size
        if size is None:
            raise ProtocolError("sold_out", f"{product.id} is sold out in every size")
        self.catalog.check_size(product.id, size)
        payload = {"measurements": shopper.measurements, "category": product.category, "gender": product.gender,
                   "size": size, "product": product.id, "hex": product.hex,
                   "accent_hex": product.accent_hex, "print": product.pattern}
        actions = self._queue_try_on(client, product.id, size, payload)
        self.shop.store.record(shopper.id, product.id, "tryon", size)
        return actions

    def _try_on_upload(self: StoreCore, client: Client, garment_id: str) -> list[Action]:
        """A designer previews an uploaded garment on their own avatar."""
        if not client.designer:
            raise ProtocolError("forbidden", "trying on uploaded garments needs a designer token at join")
        garment = self.garments.get(garment_id)
        if garment is None:
            raise ProtocolError("unknown_garment", f"no uploaded garment {garment_id[:40]!r}")
        payload = {"measurements": self.shoppers[client.shopper].measurements, "garment_file": garment["file"],
                   "product": garment_id, "size": garment["size"], "hex": UPLOAD_HEX}
        return self._queue_try_on(client, garment_id, garment["size"], payload)

    def _queue_try_on(self: StoreCore, client: Client, product: str, size: str, payload: dict[str, Any]) -> list[Action]:
        if client.job is not None:
            raise ProtocolError("busy", "a try-on of yours is still running; wait for its result")
        job = self._enqueue(Job("J" + secrets.token_hex(6), JobKind.TRY_ON, client.id, payload, client.shopper, product,
                                size, client.address))
        client.job = job.id
        position = self.queue.position(job.id)
        progress = TryOnProgress(job.id, product, size, "queued", eta_s=self._eta(0)) if not position else \
            TryOnProgress(job.id, product, size, "waiting", position=position, eta_s=self._eta(position))
        return self._reply(client, progress) + [job]

    def _enqueue(self: StoreCore, job: Job) -> Job:
        """Queue work for the worker pool (ProtocolError queue_full, saying whose limit, when there is no room)."""
        try:
            self.queue.push(job)
        except QueueFull as exc:
            raise ProtocolError("queue_full", str(exc)) from None
        self._jobs[job.id] = job
        return job

    def job_started(self: StoreCore, job: Job) -> list[Action]:
        """A worker took `job`: tell its shopper, and everyone still waiting their new place."""
        if job.kind is JobKind.TRY_ON:
            self._drape_started[job.id] = self.clock()
        actions = self.job_progress(job.id, "draping", eta_s=self._eta(0)) if job.kind is JobKind.TRY_ON else []
        for ahead, waiting in enumerate(self.queue.waiting()):
            if waiting.kind is JobKind.TRY_ON:
                actions += self.job_progress(waiting.id, "waiting", position=ahead, eta_s=self._eta(ahead + 1))
        return actions

    def _eta(self: StoreCore, ahead: int) -> float:
        """Seconds until a try-on with `ahead` drapes before it is done, at this store's recent pace."""
        return round((ahead + 1) * self.drape_seconds, 1)

    def job_progress(self: StoreCore, job_id: str, stage: str, **details: Any) -> list[Action]:
        job = self._jobs.get(job_id)
        if job is None or job.client not in self.clients:
            return []
        return [send(TryOnProgress(job.id, job.product, job.size, stage, **details), (job.client,))]

    def job_done(self: StoreCore, job_id: str, result: dict[str, Any] | None, error: str | None = None) -> list[Action]:
        """The worker's answer: the try-on result to its shopper, what they wear to everyone."""
        job = self._jobs.pop(job_id, None)
        if job is None:
            return []
        started = self._drape_started.pop(job_id, None)
        if started is not None and result is not None:  # the pace the next estimates use
            self.drape_seconds = 0.7 * self.drape_seconds + 0.3 * (self.clock() - started)
        self.queue.remove(job_id)  # it may have been answered without running (the shopper left)
        client = self.clients.get(job.client)
        if client is not None and client.job == job_id:
            client.job = None
        if client is None or job.shopper not in self.shoppers:
            return []  # the shopper left mid-job: nobody to tell
        shopper = self.shoppers[job.shopper]
        if job.kind is JobKind.AVATAR:  # the shopper's body: everyone may now draw it
            if result is None:
                return []  # the capsule stays; nothing the shopper needs to hear
            shopper.avatar_url = result["avatar_url"]
            return [send(ShopperChanged(shopper.id, avatar_url=result["avatar_url"]))]
        if job.kind is JobKind.PHOTO_BODY:  # measurements read off the shopper's photo
            if result is None:
                return [self._error(job.client, "photo_rejected", error or "no body could be measured in the photo")]
            return self.set_body(client, BodyMeasurements.from_dict(result["measurements"]), result["from_photo"])
        if job.kind is JobKind.VALIDATE_GARMENT:  # a designer's garment was checked
            if result is None:
                return [self._error(job.client, "garment_rejected", error or "the garment file was refused")]
            self.remember_garment(job.id, result)
            return self._reply(client, GarmentUploaded(job.id, result["name"], result["category"], result["size"],
                                                       result["fabric"], result["url"], result["vertices"],
                                                       result["faces"], result.get("pieces")))
        if result is None:
            return [self._error(job.client, "try_on_failed", error or "the try-on failed")]
        shopper.wearing = {"product": job.product, "size": job.size, "garment_url": result["garment_url"]}
        return self._reply(client, TryOnResult(job.id, job.product, job.size, result["garment_url"],
                                               result["fit_map_url"], result["heatmap_url"], result["fit"])) + [
            send(ShopperChanged(shopper.id, wearing=shopper.wearing), exclude=job.client)]
