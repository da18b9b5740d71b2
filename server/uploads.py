"""Uploads over the socket (designers' garments, shoppers' photos): announced, sent in base64 chunks, capped, reassembled.

Sans-I/O like the core: `begin` checks the announcement, `add` takes one chunk and returns the
whole file once the last one arrives. Nothing the client sends becomes a file name.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from server.messages import (
    MAX_BLOB,
    MAX_UPLOAD_BYTES,
    UploadChunk,
    UploadGarment,
    UploadPhoto,
    UploadReady,
)
from server.protocol import ProtocolError

CHUNK_BYTES = MAX_BLOB // 4 * 3  # raw bytes that fit one base64 chunk


class UploadKind(Enum):
    GARMENT = "garment"  # a designer's garment or pattern file
    PHOTO = "photo"  # a shopper's full-body photo


@dataclass
class Upload:
    client: int
    meta: dict[str, Any]  # name, format, bytes, category, size, fabric
    chunks: int
    parts: list[bytes] = field(default_factory=list)
    received: int = 0


class Uploads:
    def __init__(self) -> None:
        self.open: dict[str, Upload] = {}

    def begin(self, client: int, message: UploadGarment | UploadPhoto) -> UploadReady:
        """Accept an `upload_garment` or `upload_photo` announcement (its fields checked by their types and the
        caller); the meta's `kind` says which."""
        what = "photos" if isinstance(message, UploadPhoto) else "garment files"
        if message.bytes > MAX_UPLOAD_BYTES:
            raise ProtocolError("too_big", f"{what} are at most {MAX_UPLOAD_BYTES // 2**20} MiB")
        if any(u.client == client for u in self.open.values()):
            raise ProtocolError("busy", "finish (or abandon by reconnecting) your current upload first")
        upload_id = "U" + secrets.token_hex(6)
        if isinstance(message, UploadPhoto):
            meta = {"kind": UploadKind.PHOTO, "bytes": message.bytes, "stature": message.stature,
                    "sex": message.sex or None}
        else:
            meta = {"kind": UploadKind.GARMENT, "name": message.name, "format": message.format, "bytes": message.bytes,
                    "category": message.category, "size": message.size, "fabric": message.fabric or None,
                    "seams": message.seams or None}
        self.open[upload_id] = Upload(client, meta, -(-message.bytes // CHUNK_BYTES))
        return UploadReady(upload_id, self.open[upload_id].chunks, CHUNK_BYTES)

    def add(self, client: int, message: UploadChunk) -> tuple[str, dict[str, Any]] | None:
        """Take one `upload_chunk`; after the last, (upload id, meta with the file's `data`)."""
        upload_id = message.upload
        upload = self.open.get(upload_id)
        if upload is None or upload.client != client:
            raise ProtocolError("unknown_upload", "no upload of yours by that id")
        if message.index != len(upload.parts):
            raise ProtocolError("bad_field", f"upload_chunk: expected index {len(upload.parts)}")
        try:
            part = base64.b64decode(message.data, validate=True)
        except binascii.Error:
            raise ProtocolError("bad_field", "upload_chunk: data must be base64") from None
        upload.parts.append(part)
        upload.received += len(part)
        if upload.received > upload.meta["bytes"]:
            del self.open[upload_id]
            raise ProtocolError("too_big", "more bytes arrived than the upload announced; upload abandoned")
        if len(upload.parts) < upload.chunks:
            return None
        del self.open[upload_id]
        if upload.received != upload.meta["bytes"]:
            raise ProtocolError("bad_field", "the upload ended short of the bytes it announced; upload abandoned")
        return upload_id, {**upload.meta, "data": b"".join(upload.parts)}

    def drop(self, client: int) -> None:
        """An unfinished upload goes with its connection."""
        for upload_id in [u for u, upload in self.open.items() if upload.client == client]:
            del self.open[upload_id]
