"""The store protocol's wire format: message validation and the binary transform frames.

Text frames are JSON objects with a `type`; `parse` checks one against `SCHEMAS` and raises
`ProtocolError(code, message)` naming what is wrong. Binary frames carry shoppers' transforms,
quantised: see `encode_transforms` and docs/protocol.md. No I/O here.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024  # larger frames close the connection with 1009
MAX_STRING = 200
MAX_BLOB = 60_000  # characters of one base64 upload chunk (a frame stays under MAX_FRAME_BYTES)

#: Binary frame: kind u8, version u8, count u16, tick u32, server time f64 (unix seconds);
#: then per shopper: slot u16, x i16 (cm), z i16 (cm), heading i16 (centidegrees, -18000..17999).
HEADER = struct.Struct("<BBHId")
ENTRY = struct.Struct("<Hhhh")
DELTA, KEYFRAME = 1, 2


class ProtocolError(Exception):
    """A message the server cannot act on; `fatal` ones close the connection (code 1008)."""

    def __init__(self, code: str, message: str, fatal: bool = False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fatal = fatal

    def as_message(self) -> dict[str, str]:
        return {"type": "error", "code": self.code, "message": self.message}


# field -> (kind, required); kinds: str, int, num (finite), obj
Schema = dict[str, tuple[str, bool]]
PRODUCT: Schema = {"product": ("str", True)}
PRODUCT_SIZE: Schema = {"product": ("str", True), "size": ("str", True)}
SCHEMAS: dict[str, Schema] = {
    "join": {"protocol": ("int", False), "name": ("str", False), "shopper_id": ("str", False),
             "secret": ("str", False), "measurements": ("obj", False), "fit_preference": ("str", False),
             "designer_token": ("str", False)},
    "leave": {},
    "move": {"x": ("num", True), "z": ("num", True), "heading": ("num", True)},
    "pick": PRODUCT,
    "ask_size": PRODUCT,
    "choose_size": PRODUCT_SIZE,
    "try_on": {"product": ("str", False), "size": ("str", False), "garment": ("str", False)},
    "feedback": {**PRODUCT_SIZE, "verdict": ("str", True), "region": ("str", False)},
    "cart_add": {**PRODUCT_SIZE, "quantity": ("int", False)},
    "cart_remove": PRODUCT_SIZE,
    "buy": {},
    "recommend": {"k": ("int", False), "category": ("str", False), "max_price": ("num", False)},
    "ping": {"t": ("num", False)},
    "restock": {**PRODUCT_SIZE, "count": ("int", True)},
    "upload_garment": {"name": ("str", True), "format": ("str", True), "bytes": ("int", True),
                       "category": ("str", True), "size": ("str", False), "fabric": ("str", False)},
    "upload_chunk": {"upload": ("str", True), "index": ("int", True), "data": ("blob", True)},
}


def _check(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str) and 0 < len(value) <= MAX_STRING
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**31
    if kind == "blob":
        return isinstance(value, str) and 0 < len(value) <= MAX_BLOB
    if kind == "num":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, dict)


def parse(data: str | bytes) -> dict[str, Any]:
    """A validated client message; unknown fields are ignored so newer clients still talk to us."""
    if isinstance(data, bytes):
        raise ProtocolError("binary_not_accepted", "clients send text frames of JSON")
    if len(data) > MAX_FRAME_BYTES:
        raise ProtocolError("too_big", f"messages are at most {MAX_FRAME_BYTES} bytes", fatal=True)
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json", "the message is not valid JSON") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("bad_message", 'a message is a JSON object with a "type" string')
    kind = message["type"]
    if kind not in SCHEMAS:
        raise ProtocolError("unknown_type", f"unknown message type {kind[:40]!r}; types: {sorted(SCHEMAS)}")
    for field, (expected, required) in SCHEMAS[kind].items():
        if field not in message or message[field] is None:
            if required:
                raise ProtocolError("bad_field", f"{kind}: field {field!r} is required")
            continue
        if not _check(expected, message[field]):
            words = {"str": f"a non-empty string of at most {MAX_STRING} characters", "int": "an integer",
                     "num": "a finite number", "obj": "a JSON object",
                     "blob": f"a non-empty string of at most {MAX_BLOB} characters"}[expected]
            raise ProtocolError("bad_field", f"{kind}: field {field!r} must be {words}")
    return message


def dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class Transform:
    x_cm: int
    z_cm: int
    heading_cdeg: int


def quantise(x: float, z: float, heading_deg: float) -> Transform:
    """Centimetres and centidegrees (heading wrapped to [-180, 180))."""
    heading = round(((heading_deg + 180.0) % 360.0 - 180.0) * 100)
    return Transform(round(x * 100), round(z * 100), heading - 36000 if heading >= 18000 else heading)


def encode_transforms(kind: int, tick: int, sent_at: float, entries: dict[int, Transform]) -> bytes:
    """One binary frame of shoppers' transforms by slot."""
    parts = [HEADER.pack(kind, PROTOCOL_VERSION, len(entries), tick & 0xFFFFFFFF, sent_at)]
    parts.extend(ENTRY.pack(slot, t.x_cm, t.z_cm, t.heading_cdeg) for slot, t in entries.items())
    return b"".join(parts)


def decode_transforms(frame: bytes) -> tuple[int, int, float, dict[int, tuple[float, float, float]]]:
    """(kind, tick, server time, {slot: (x m, z m, heading deg)}) of a binary frame."""
    if len(frame) < HEADER.size:
        raise ProtocolError("bad_frame", f"binary frame of {len(frame)} bytes is shorter than its header")
    kind, version, count, tick, sent_at = HEADER.unpack_from(frame)
    if version != PROTOCOL_VERSION or len(frame) != HEADER.size + count * ENTRY.size:
        raise ProtocolError("bad_frame", "binary frame of another protocol version or truncated")
    entries = {}
    for slot, x, z, h in ENTRY.iter_unpack(frame[HEADER.size:]):
        entries[slot] = (x / 100.0, z / 100.0, h / 100.0)
    return kind, tick, sent_at, entries
