"""Every message of the store protocol as a type: what clients send and what the server answers.

Client messages are `msgspec` structs tagged by `type`, so one decode checks a frame's JSON,
its fields, their types and their ranges together (`server.protocol.parse`). Defaults live here;
an absent optional field is `UNSET`, and null is an error unless a field's type admits `None`.
Unknown fields are ignored so newer clients still talk to older servers. Server messages are
structs too, encoded by the same library; docs/protocol.md's reference section is generated
from this module (`scripts/protocol_doc.py`) and a test keeps the two equal.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from engine.garments.charts import CATEGORIES
from store.ledger import PREFERENCES, VERDICTS
from store.shop import MAX_QUANTITY

PROTOCOL_VERSION = 1
MAX_STRING = 200
MAX_BLOB = 60_000  # characters of one base64 upload chunk (a frame stays under the frame limit)
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_STOCK = 100_000
MAX_FLOOR_M = 1_000.0  # positions beyond this are refused, not clamped: no floor is a kilometre wide
FORMATS = ("glb", "obj", "ply", "dxf")

Text = Annotated[str, Meta(min_length=1, max_length=MAX_STRING, description="1-200 characters")]
Blob = Annotated[str, Meta(min_length=1, max_length=MAX_BLOB, description="base64, 1-60000 characters")]
SeamsJson = Annotated[str, Meta(min_length=2, max_length=MAX_BLOB, description="a JSON seams sidecar, 2-60000 characters")]
Metres = Annotated[float, Meta(ge=-MAX_FLOOR_M, le=MAX_FLOOR_M, description="metres")]
Degrees = Annotated[float, Meta(ge=-36_000.0, le=36_000.0, description="degrees")]
Category = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]
MeasurementValue = float | str | None  # None: "not given"; the values are checked by BodyMeasurements
Measurements = Annotated[dict[Annotated[str, Meta(max_length=40)], MeasurementValue], Meta(max_length=40)]


class ClientMessage(Struct, tag_field="type", frozen=True):
    """A message a client sends (one JSON text frame)."""


class Join(ClientMessage, tag="join"):
    protocol: Annotated[int, Meta(ge=0, le=1000)] = PROTOCOL_VERSION  # another version: error protocol_version
    name: Text | UnsetType = UNSET
    shopper_id: Text | UnsetType = UNSET
    secret: Text | UnsetType = UNSET
    measurements: Measurements | UnsetType = UNSET
    fit_preference: Literal[PREFERENCES] = "regular"  # type: ignore[valid-type]
    designer_token: Text | UnsetType = UNSET
    operator_token: Text | UnsetType = UNSET  # stock alerts, approving reorders, setting prices


class Leave(ClientMessage, tag="leave"):
    pass


class Move(ClientMessage, tag="move"):
    x: Metres
    z: Metres
    heading: Degrees


class Pick(ClientMessage, tag="pick"):
    product: Text


class AskSize(ClientMessage, tag="ask_size"):
    product: Text


class ChooseSize(ClientMessage, tag="choose_size"):
    product: Text
    size: Text


class TryOn(ClientMessage, tag="try_on"):
    product: Text | UnsetType = UNSET
    size: Text | UnsetType = UNSET
    garment: Text | UnsetType = UNSET


class Feedback(ClientMessage, tag="feedback"):
    product: Text
    size: Text
    verdict: Literal[VERDICTS]  # type: ignore[valid-type]
    region: Text | UnsetType = UNSET


class CartAdd(ClientMessage, tag="cart_add"):
    product: Text
    size: Text
    quantity: Annotated[int, Meta(ge=1, le=MAX_QUANTITY)] = 1


class CartRemove(ClientMessage, tag="cart_remove"):
    product: Text
    size: Text


class Buy(ClientMessage, tag="buy"):
    pass


class Recommend(ClientMessage, tag="recommend"):
    k: Annotated[int, Meta(ge=1, le=50)] = 8
    category: Category | UnsetType = UNSET
    max_price: Annotated[float, Meta(gt=0.0, le=1e7)] | UnsetType = UNSET


class Ping(ClientMessage, tag="ping"):
    t: Annotated[float, Meta(ge=-1e15, le=1e15)] | UnsetType = UNSET


class Restock(ClientMessage, tag="restock"):
    product: Text
    size: Text
    count: Annotated[int, Meta(ge=0, le=MAX_STOCK)]


class UploadGarment(ClientMessage, tag="upload_garment"):
    name: Text
    format: Literal[FORMATS]  # type: ignore[valid-type]
    bytes: Annotated[int, Meta(ge=1, le=2**31)]  # over MAX_UPLOAD_BYTES: the error too_big (server.uploads)
    category: Category
    size: Text = "custom"
    fabric: Text | UnsetType = UNSET
    seams: SeamsJson | UnsetType = UNSET  # DXF patterns only: the sidecar naming pieces, edges or seams


class UploadPhoto(ClientMessage, tag="upload_photo"):
    """A full-body front photo of you (JPEG or PNG), its bytes sent as `upload_chunk`s. Your measurements are
    read off it for your stated height (cm) and sex; then `body_updated` (with `from_photo`) and your avatar."""

    bytes: Annotated[int, Meta(ge=1, le=2**31)]  # over MAX_UPLOAD_BYTES: the error too_big (server.uploads)
    stature: float  # checked as at join
    sex: Literal["female", "male"] | UnsetType = UNSET


class UploadChunk(ClientMessage, tag="upload_chunk"):
    upload: Text
    index: Annotated[int, Meta(ge=0, le=MAX_UPLOAD_BYTES)]
    data: Blob


class Ask(ClientMessage, tag="ask"):
    """A question to the shopping guide, in Chinese or English."""

    text: Annotated[str, Meta(min_length=1, max_length=500, description="1-500 characters")]
    k: Annotated[int, Meta(ge=1, le=20)] = 6


class UpdateBody(ClientMessage, tag="update_body"):
    """Your measurements as you know them (cm/kg, as at join): the rest is filled from the population."""

    measurements: Measurements


class PersonaRequest(ClientMessage, tag="persona"):
    """What the store's events say about you (your persona)."""


class ForgetMe(ClientMessage, tag="forget_me"):
    """Delete your events, body measurements and persona; your orders stay, anonymised."""


class ApproveReorder(ClientMessage, tag="approve_reorder"):
    suggestion: Annotated[int, Meta(ge=1, le=2**62)]


class SetPrice(ClientMessage, tag="set_price"):
    product: Text
    price: Annotated[float, Meta(gt=0.0, le=1e7)]


CLIENT_MESSAGES: tuple[type[ClientMessage], ...] = (
    Join, Leave, Move, Pick, AskSize, ChooseSize, TryOn, Feedback, CartAdd, CartRemove, Buy, Recommend, Ping,
    Restock, UploadGarment, UploadChunk, ApproveReorder, SetPrice, Ask, PersonaRequest, ForgetMe, UpdateBody,
    UploadPhoto)
ClientUnion = Join | Leave | Move | Pick | AskSize | ChooseSize | TryOn | Feedback | CartAdd | CartRemove | Buy \
    | Recommend | Ping | Restock | UploadGarment | UploadChunk | ApproveReorder | SetPrice | Ask | PersonaRequest \
    | ForgetMe | UpdateBody | UploadPhoto


def tag(message_type: type[Struct]) -> str:
    """The `type` string of a message class."""
    return message_type.__struct_config__.tag


# --- what the server sends -----------------------------------------------------------------------
class ServerMessage(Struct, tag_field="type", omit_defaults=True):
    """A message the server sends; fields left UNSET are omitted from the JSON."""


class ShopperPublic(Struct):
    """What every client may know about a shopper."""

    id: str
    name: str
    slot: int
    sex: str | None
    stature: float
    x: float
    z: float
    heading: float
    holding: str | None = None
    wearing: dict[str, Any] | None = None
    avatar_url: str | None = None


class ProductRecord(Struct):
    id: str
    name: str
    category: str
    gender: str
    colours: list[str]
    hex: str
    price: float
    style: str
    stock: dict[str, int]
    placement: dict[str, Any] | None
    list_price: float  # `price` is what this shopper pays now; under it only when a price rule marked it down
    pattern: str = "solid"  # solid, stripe, check or print, drawn in `hex` and `accent_hex`
    accent_hex: str = "#ffffff"  # the second colour's


class You(Struct, omit_defaults=True):
    shopper_id: str
    slot: int
    designer: bool
    secret: str | UnsetType = UNSET  # only for a new shopper: keep it to come back
    operator: bool = False


class Snapshot(ServerMessage, tag="snapshot"):
    protocol: int
    tick: int
    tick_hz: float
    you: You
    store: dict[str, Any]
    products: list[ProductRecord]
    shoppers: list[ShopperPublic]
    cart: list[dict[str, Any]]


class ShopperJoined(ServerMessage, tag="shopper_joined"):
    shopper: ShopperPublic


class ShopperLeft(ServerMessage, tag="shopper_left"):
    id: str
    slot: int  # this process's slot for the shopper; other processes have their own


class ShopperChanged(ServerMessage, tag="shopper"):
    """What a shopper holds, wears or looks like changed; only the changed fields are sent."""

    id: str
    holding: str | None | UnsetType = UNSET
    wearing: dict[str, Any] | None | UnsetType = UNSET
    avatar_url: str | None | UnsetType = UNSET


class ProductInfo(ServerMessage, tag="product"):
    product: ProductRecord


class SizeAdvice(ServerMessage, tag="size_advice"):
    product: str
    size: str | None
    reason: str
    score: float
    regions: dict[str, Any]


class SizeChosen(ServerMessage, tag="size_chosen"):
    product: str
    size: str
    in_stock: bool


class TryOnProgress(ServerMessage, tag="try_on_progress"):
    job: str
    product: str
    size: str
    stage: Literal["queued", "waiting", "draping"]
    position: int | UnsetType = UNSET  # try-ons ahead of this one, while waiting
    eta_s: float | UnsetType = UNSET  # about how long until the result, from this store's recent drapes


class TryOnResult(ServerMessage, tag="try_on_result"):
    job: str
    product: str
    size: str
    garment_url: str
    fit_map_url: str
    heatmap_url: str
    fit: dict[str, Any]


class FeedbackSaved(ServerMessage, tag="feedback_saved"):
    product: str
    size: str


class Cart(ServerMessage, tag="cart"):
    lines: list[dict[str, Any]]


class Order(ServerMessage, tag="order"):
    id: int
    total: float
    lines: list[dict[str, Any]]


class Stock(ServerMessage, tag="stock"):
    product: str
    stock: dict[str, int]
    sold_out: list[str]


class Price(ServerMessage, tag="price"):
    """A product's price changed for you (a price rule or an operator; never above its list price)."""

    product: str
    list_price: float
    price: float
    rule: str


class StockAlert(ServerMessage, tag="stock_alert"):
    """Operators only: a size crossed its reorder point (once per crossing)."""

    product: str
    size: str
    stock: int
    reorder_point: float


class ReorderSuggested(ServerMessage, tag="reorder_suggested"):
    """Operators only: units to order for a size that is low; approve it with `approve_reorder`."""

    suggestion: int
    product: str
    size: str
    quantity: int


class ReorderApproved(ServerMessage, tag="reorder_approved"):
    suggestion: int
    product: str
    size: str
    quantity: int
    stock: int


class GuideAnswer(ServerMessage, tag="answer"):
    """The shopping guide's answer: what it understood, products in your size, an outfit, and words."""

    intent: dict[str, Any]
    items: list[dict[str, Any]]  # product, size, price, reason
    outfit: list[dict[str, Any]]  # product, size, reason
    message: str
    emptied_by: str | None  # the constraint that left nothing (gender, category, exclude_colours, price, size)
    alternatives: list[dict[str, Any]]


class BodyUpdated(ServerMessage, tag="body_updated"):
    """Your body as the store now knows it; `filled`: the measurements it took from the population
    (for your height and sex), not from you. Your avatar follows as a `shopper` message."""

    measurements: dict[str, Any]
    filled: list[str]
    from_photo: list[str] = []  # the measurements read off your photo (`upload_photo`)


class PersonaInfo(ServerMessage, tag="persona"):
    """Your persona: affinities (share of your event weight) to categories, colours and styles, the
    price index (1 = category median prices), price sensitivity, typical price and segment."""

    persona: dict[str, Any]


class Forgotten(ServerMessage, tag="forgotten"):
    """Your data is deleted (how many rows of each kind); the connection closes after this."""

    deleted: dict[str, int]


class Recommendations(ServerMessage, tag="recommendations"):
    items: list[dict[str, Any]]


class Pong(ServerMessage, tag="pong"):
    t: float | None  # the client's `t`, echoed
    server_time: float


class UploadReady(ServerMessage, tag="upload_ready"):
    upload: str
    chunks: int
    chunk_bytes: int


class UploadProgress(ServerMessage, tag="upload_progress"):
    upload: str
    stage: Literal["validating", "measuring"]  # a garment being checked, a photo being measured


class GarmentUploaded(ServerMessage, tag="garment_uploaded"):
    garment: str
    name: str
    category: str
    size: str
    fabric: str | None
    url: str | None  # the GLB to look at; null for OBJ, PLY and DXF uploads
    vertices: int  # 0 for a DXF pattern, which is meshed when sewn
    faces: int
    pieces: list[str] | None = None  # a DXF pattern's pieces


class Error(ServerMessage, tag="error"):
    code: str
    message: str


class State(ServerMessage, tag="state"):
    """The benchmark's naive baseline: every shopper as JSON to everyone, every tick."""

    tick: int
    t: float
    shoppers: list[ShopperPublic]


SERVER_MESSAGES: tuple[type[ServerMessage], ...] = (
    Snapshot, ShopperJoined, ShopperLeft, ShopperChanged, ProductInfo, SizeAdvice, SizeChosen, TryOnProgress,
    TryOnResult, FeedbackSaved, Cart, Order, Stock, Price, StockAlert, ReorderSuggested, ReorderApproved,
    GuideAnswer, BodyUpdated, PersonaInfo, Forgotten, Recommendations, Pong, UploadReady, UploadProgress, GarmentUploaded, Error, State)
#: Events one server process shares with the others over Redis (server.redis_fanout).
SharedEvent = ShopperJoined | ShopperLeft | ShopperChanged | Stock
