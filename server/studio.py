"""The designers' studio: restocking, garment uploads in chunks, and the uploaded garments kept in SQLite.

A mixin of `server.core.StoreCore` (which holds the state); sans-I/O like the rest of the core.
Designers are clients that joined with the designer token.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from server.actions import Action, Job, JobKind
from server.messages import Restock, UploadChunk, UploadGarment, UploadProgress
from server.protocol import ProtocolError
from server.uploads import UploadKind

if TYPE_CHECKING:
    from server.core import Client, StoreCore


class StudioHandlers:
    @staticmethod
    def _designer_only(client: Client, what: str) -> None:
        if not client.designer:
            raise ProtocolError("forbidden", f"{what} needs a designer token at join")

    def _on_restock(self: StoreCore, client: Client, message: Restock) -> list[Action]:
        self._designer_only(client, "restocking")
        self.shop.set_stock(message.product, message.size, message.count)
        return [self._stock(message.product)] + self.stock_changed([(message.product, message.size)])

    def _on_upload_garment(self: StoreCore, client: Client, message: UploadGarment) -> list[Action]:
        """A designer announces a garment file; its bytes follow as base64 `upload_chunk` messages."""
        self._designer_only(client, "uploading garments")
        return self._reply(client, self.uploads.begin(client.id, message))

    def _on_upload_chunk(self: StoreCore, client: Client, message: UploadChunk) -> list[Action]:
        done = self.uploads.add(client.id, message)
        if done is None:
            return []
        upload_id, payload = done
        if payload["kind"] is UploadKind.PHOTO:  # a shopper's photo: measured in a worker (server.worker.measure_photo)
            job = self._enqueue(Job("P" + upload_id[1:], JobKind.PHOTO_BODY, client.id, payload, client.shopper,
                                    address=client.address))
            return self._reply(client, UploadProgress(upload_id, "measuring")) + [job]
        job = self._enqueue(Job("G" + upload_id[1:], JobKind.VALIDATE_GARMENT, client.id, payload, client.shopper,
                                upload_id, payload["size"], client.address))
        return self._reply(client, UploadProgress(upload_id, "validating")) + [job]

    def remember_garment(self: StoreCore, garment_id: str, record: dict[str, Any]) -> None:
        """A checked upload, kept in SQLite so its id outlives this process."""
        self.shop.store.add_garment(garment_id, record)
        self.garments[garment_id] = record

    def load_garments(self: StoreCore) -> None:
        """The garments uploaded before this process started (their files still on disk)."""
        self.garments.update({garment_id: record for garment_id, record in self.shop.store.garments().items()
                              if Path(record["file"]).is_file()})
