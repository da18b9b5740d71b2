"""The store protocol's wire format: client messages decoded into types, server messages encoded, binary frames.

Text frames are JSON objects with a `type`; `parse` decodes one into its `server.messages` type
in one step, or raises `ProtocolError(code, message)` naming the field and what was expected.
Binary frames carry shoppers' transforms, quantised: see `encode_transforms` and docs/protocol.md.
No I/O here.
"""

from __future__ import annotations

import re
import struct
from typing import Literal, get_args, get_origin

import msgspec
import numpy as np

from server.messages import (
    CLIENT_MESSAGES,
    PROTOCOL_VERSION,
    ClientMessage,
    ClientUnion,
    ServerMessage,
    tag,
)

MAX_FRAME_BYTES = 64 * 1024  # larger frames close the connection with 1009

#: Binary frame: kind u8, version u8, count u16, tick u32, server time f64 (unix seconds);
#: then per shopper: slot u16, x i16 (cm), z i16 (cm), heading i16 (centidegrees, -18000..17999).
HEADER = struct.Struct("<BBHId")
ENTRY = struct.Struct("<Hhhh")
DELTA, KEYFRAME = 1, 2
CM_PER_M = 100.0  # positions travel in centimetres
CDEG_PER_DEG = 100.0  # headings in centidegrees
TYPES = tuple(sorted(tag(t) for t in CLIENT_MESSAGES))


class ProtocolError(Exception):
    """A message the server cannot act on; `fatal` ones close the connection (code 1008)."""

    def __init__(self, code: str, message: str, fatal: bool = False):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fatal = fatal


class _Envelope(msgspec.Struct):
    type: str


_decoder = msgspec.json.Decoder(ClientUnion)
_envelope = msgspec.json.Decoder(_Envelope)
_encoder = msgspec.json.Encoder()
#: type -> field -> the values a Literal field admits, to name them in errors
def _literal_values(annotation: object) -> tuple:
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return next((v for a in get_args(annotation) if (v := _literal_values(a))), ())


_CHOICES = {tag(t): {f.name: _literal_values(f.type) for f in msgspec.structs.fields(t)} for t in CLIENT_MESSAGES}
_AT = re.compile(r"^(?P<what>.*) - at `\$\.?(?P<path>[^`]*)`$", re.S)


def parse(data: str | bytes) -> ClientMessage:
    """A validated client message; unknown fields are ignored so newer clients still talk to us."""
    if isinstance(data, bytes):
        raise ProtocolError("binary_not_accepted", "clients send text frames of JSON")
    if len(data) > MAX_FRAME_BYTES:
        raise ProtocolError("too_big", f"messages are at most {MAX_FRAME_BYTES} bytes", fatal=True)
    try:
        return _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise _explain(data, str(exc)) from None
    except msgspec.DecodeError:
        raise ProtocolError("bad_json", "the message is not valid JSON (or holds a string that is not valid "
                            "Unicode, such as a lone surrogate)") from None


def _explain(data: str, problem: str) -> ProtocolError:
    """The error for a frame that is JSON but not a valid message: which field, what was expected."""
    try:
        kind = _envelope.decode(data).type
    except msgspec.DecodeError:
        return ProtocolError("bad_message", 'a message is a JSON object with a "type" string')
    if kind not in TYPES:
        return ProtocolError("unknown_type", f"unknown message type {kind[:40]!r}; types: {list(TYPES)}")
    match = _AT.match(problem)
    if match is None:  # e.g. "Object missing required field `size`"
        return ProtocolError("bad_field", f"{kind}: {problem[:1].lower()}{problem[1:]}")
    path = match["path"].replace("[...]", "[key]")
    what = f"{match['what'][:1].lower()}{match['what'][1:]}"
    choices = _CHOICES[kind].get(path)
    return ProtocolError("bad_field", f"{kind}: field {path!r}: {what}" + (f"; one of {list(choices)}" if choices else ""))


def encode(message: ServerMessage) -> str:
    """One server message as the JSON text of a frame."""
    return _encoder.encode(message).decode()


#: One shopper's transform as numpy sees it: the layout of ENTRY, so rows.tobytes() is the wire format.
ENTRY_DTYPE = np.dtype([("slot", "<u2"), ("x", "<i2"), ("z", "<i2"), ("heading", "<i2")])
assert ENTRY_DTYPE.itemsize == ENTRY.size


def quantise(slots: np.ndarray, x_m: np.ndarray, z_m: np.ndarray, heading_deg: np.ndarray) -> np.ndarray:
    """Shoppers' transforms as ENTRY_DTYPE rows sorted by slot: centimetres, centidegrees in [-18000, 18000)."""
    rows = np.empty(len(slots), dtype=ENTRY_DTYPE)
    rows["slot"] = slots
    rows["x"] = np.rint(np.asarray(x_m) * CM_PER_M)
    rows["z"] = np.rint(np.asarray(z_m) * CM_PER_M)
    heading = np.rint(((np.asarray(heading_deg) + 180.0) % 360.0 - 180.0) * CDEG_PER_DEG)
    rows["heading"] = np.where(heading >= 18000, heading - 36000, heading)
    return rows[np.argsort(rows["slot"], kind="stable")]


def changed_mask(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Which rows of `now` `before` (both sorted by slot) lacks or holds differently."""
    if len(before) == 0:
        return np.ones(len(now), dtype=bool)
    at = np.minimum(np.searchsorted(before["slot"], now["slot"]), len(before) - 1)
    return before[at] != now


def encode_transforms(kind: int, tick: int, sent_at: float, rows: np.ndarray) -> bytes:
    """One binary frame of shoppers' transforms (ENTRY_DTYPE rows)."""
    return HEADER.pack(kind, PROTOCOL_VERSION, len(rows), tick & 0xFFFFFFFF, sent_at) + rows.tobytes()


def decode_transforms(frame: bytes) -> tuple[int, int, float, dict[int, tuple[float, float, float]]]:
    """(kind, tick, server time, {slot: (x m, z m, heading deg)}) of a binary frame."""
    if len(frame) < HEADER.size:
        raise ProtocolError("bad_frame", f"binary frame of {len(frame)} bytes is shorter than its header")
    kind, version, count, tick, sent_at = HEADER.unpack_from(frame)
    if version != PROTOCOL_VERSION or len(frame) != HEADER.size + count * ENTRY.size:
        raise ProtocolError("bad_frame", "binary frame of another protocol version or truncated")
    entries = {}
    for slot, x, z, h in ENTRY.iter_unpack(frame[HEADER.size:]):
        entries[slot] = (x / CM_PER_M, z / CM_PER_M, h / CDEG_PER_DEG)
    return kind, tick, sent_at, entries
