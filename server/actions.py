"""What the sans-I/O core asks the I/O layer to do: send, close, or run heavy work in a worker."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from server.messages import Order, ServerMessage, SharedEvent
from server.protocol import encode

#: Server messages other processes need (server.redis_fanout): the floor's events, and orders.
SHARED_TYPES = (*SharedEvent.__args__, Order)


@dataclass
class Send:
    """Data for some clients (`to`), or for every joined client but `exclude` when `to` is None.

    `shared` is the message itself when other server processes need it too.
    """

    data: str | bytes
    to: tuple[int, ...] | None = None
    exclude: int | None = None
    shared: ServerMessage | None = None


def send(message: ServerMessage, to: tuple[int, ...] | None = None, exclude: int | None = None) -> Send:
    """A typed message, encoded once, for its recipients."""
    shared = message if isinstance(message, SHARED_TYPES) else None
    return Send(encode(message), to, exclude, shared)


@dataclass
class Close:
    client: int
    code: int
    reason: str


class JobKind(Enum):
    """Heavy work the worker pool does (avatar builds wait behind the rest: server.job_queue)."""

    TRY_ON = "try_on"
    VALIDATE_GARMENT = "validate_garment"
    AVATAR = "avatar"
    PHOTO_BODY = "photo_body"  # measurements read off a shopper's photo


@dataclass
class Job:
    """Heavy work for the worker pool, for one client's shopper; answered by `StoreCore.job_done`."""

    id: str
    kind: JobKind
    client: int
    payload: dict[str, Any]
    shopper: str = ""
    product: str = ""  # the product, uploaded garment or upload the job is about
    size: str = ""
    address: str = ""  # the client's network address, for fair scheduling


Action = Send | Close | Job
