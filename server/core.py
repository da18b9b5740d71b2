"""The store's sans-I/O core: shoppers, messages, ticks and jobs, with no sockets in sight.

`receive(client, frame)` validates and applies one client message and returns actions: `Send`
(text or binary to some clients, or all), `Close` (code and reason) and `Job` (heavy work, such as
a try-on, for the I/O layer's worker pool, answered by `job_done`). `tick(ready)` returns each
ready client's transform frame: a delta against what that client last received, so a client
skipped while its socket drains gets the changes coalesced next time, and a keyframe every
`keyframe_seconds`. Tests drive this class directly; `server.app` connects it to websockets.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from avatars.errors import MeasurementError
from avatars.measurements import BodyMeasurements
from engine.size import chart_ease
from engine.store_layout import StoreLayout
from recommender.catalog import COLOUR_HEX, Catalog, CatalogError
from recommender.recommender import Recommender
from recommender.shop import Shop
from recommender.store import PREFERENCES, VERDICTS, StoreError
from server.protocol import (
    DELTA,
    KEYFRAME,
    PROTOCOL_VERSION,
    ProtocolError,
    Transform,
    dumps,
    encode_transforms,
    parse,
    quantise,
)
from server.uploads import Uploads

MAX_SLOTS = 65535
FLOOD_STRIKES = 50  # rate-limited messages before the client is dropped (1008)
DEFAULT_BODY = {"stature": 170.0}


@dataclass
class Send:
    """Data for some clients (`to`), or for every joined client but `exclude` when `to` is None."""

    data: str | bytes
    to: tuple[int, ...] | None = None
    exclude: int | None = None


@dataclass
class Close:
    client: int
    code: int
    reason: str


@dataclass
class Job:
    """Heavy work for the worker pool: `kind` "try_on" with its payload."""

    id: str
    kind: str
    client: int
    payload: dict[str, Any]


Action = Send | Close | Job


@dataclass
class Shopper:
    id: str
    name: str
    slot: int
    measurements: dict[str, Any]
    x: float
    z: float
    heading: float = 0.0
    holding: str | None = None
    wearing: dict[str, Any] | None = None
    client: int | None = None
    remote: bool = False  # connected to another server process (see server.redis_fanout)
    seen_at: float = 0.0
    avatar_url: str | None = None  # the shopper's body as GLB, once a worker has built it

    def public(self) -> dict[str, Any]:
        """What every client may know about this shopper."""
        return {"id": self.id, "name": self.name, "slot": self.slot, "sex": self.measurements.get("sex"),
                "stature": self.measurements["stature"], "x": round(self.x, 3), "z": round(self.z, 3),
                "heading": round(self.heading, 2), "holding": self.holding, "wearing": self.wearing,
                "avatar_url": self.avatar_url}


@dataclass
class Client:
    id: int
    shopper: str | None = None
    designer: bool = False
    acked_tick: int = -1  # the tick whose transforms this client has; -1: needs a keyframe
    tokens: float = 0.0
    refilled: float = 0.0
    strikes: int = 0
    job: str | None = None


@dataclass
class StoreCore:
    layout: StoreLayout
    shop: Shop
    recommender: Recommender | None = None
    designer_token: str | None = None
    tick_hz: float = 20.0
    keyframe_seconds: float = 2.0
    rate_per_second: float = 40.0
    burst: float = 80.0
    naive: bool = False  # the benchmark's baseline: full JSON state to everyone every tick
    clock: Callable[[], float] = time.time
    clients: dict[int, Client] = field(default_factory=dict)
    shoppers: dict[str, Shopper] = field(default_factory=dict)
    tick_no: int = 0
    _history: dict[int, dict[int, Transform]] = field(default_factory=dict)
    _jobs: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)  # job -> client, shopper, product, size
    uploads: Uploads = field(default_factory=Uploads)
    garments: dict[str, dict[str, Any]] = field(default_factory=dict)  # uploaded garment id -> file, category, size
    _next_client: int = 0

    @property
    def catalog(self) -> Catalog:
        return self.shop.catalog

    @property
    def keyframe_ticks(self) -> int:
        return max(1, round(self.keyframe_seconds * self.tick_hz))

    # --- connections ---------------------------------------------------------------------------
    def connect(self) -> int:
        self._next_client += 1
        self.clients[self._next_client] = Client(self._next_client, tokens=self.burst, refilled=self.clock())
        return self._next_client

    def disconnect(self, client_id: int) -> list[Action]:
        client = self.clients.pop(client_id, None)
        self.uploads.drop(client_id)
        if client is None or client.shopper is None:
            return []
        shopper = self.shoppers.pop(client.shopper)
        return [Send(dumps({"type": "shopper_left", "id": shopper.id, "slot": shopper.slot}))]

    def receive(self, client_id: int, data: str | bytes) -> list[Action]:
        """Apply one frame from a client; errors become error messages (and a close when fatal)."""
        client = self.clients.get(client_id)
        if client is None:
            return []
        if not self._allow(client):
            client.strikes += 1
            if client.strikes > FLOOD_STRIKES:
                return [Close(client_id, 1008, f"flooding: more than {self.rate_per_second:g} messages per second")]
            return [self._error(client_id, "rate_limited", f"slow down: at most {self.rate_per_second:g} messages per second")]
        try:
            message = parse(data)
            if client.shopper is None and message["type"] != "join":
                raise ProtocolError("not_joined", 'the first message must be {"type": "join", ...}')
            return getattr(self, f"_on_{message['type']}")(client, message)
        except ProtocolError as exc:
            actions: list[Action] = [Send(dumps(exc.as_message()), (client_id,))]
            reason = exc.message.encode()[:120].decode(errors="ignore")  # a close reason fits in 123 bytes
            return actions + [Close(client_id, 1008, reason)] if exc.fatal else actions
        except CatalogError as exc:
            return [self._error(client_id, "unknown_product", str(exc))]
        except MeasurementError as exc:
            return [self._error(client_id, "bad_measurements", str(exc))]
        except StoreError as exc:
            return [self._error(client_id, "rejected", str(exc))]

    def _allow(self, client: Client) -> bool:
        """Token bucket: `rate_per_second` sustained, `burst` at once."""
        now = self.clock()
        client.tokens = min(self.burst, client.tokens + (now - client.refilled) * self.rate_per_second)
        client.refilled = now
        if client.tokens < 1.0:
            return False
        client.tokens -= 1.0
        return True

    @staticmethod
    def _error(client_id: int, code: str, message: str) -> Send:
        return Send(dumps({"type": "error", "code": code, "message": message}), (client_id,))

    @staticmethod
    def _reply(client: Client, message: dict[str, Any]) -> list[Action]:
        return [Send(dumps(message), (client.id,))]

    def _shopper(self, client: Client) -> Shopper:
        return self.shoppers[client.shopper]

    # --- messages ------------------------------------------------------------------------------
    def _on_join(self, client: Client, message: dict) -> list[Action]:
        if client.shopper is not None:
            raise ProtocolError("already_joined", "this connection has joined already")
        if message.get("protocol", PROTOCOL_VERSION) != PROTOCOL_VERSION:
            raise ProtocolError("protocol_version", f"this server speaks protocol {PROTOCOL_VERSION}", fatal=True)
        token = message.get("designer_token")
        if token is not None and (self.designer_token is None or not secrets.compare_digest(token, self.designer_token)):
            raise ProtocolError("forbidden", "wrong designer token")
        secret = None
        if message.get("shopper_id") is not None:
            shopper_id = message["shopper_id"]
            name = self.shop.authenticate(shopper_id, message.get("secret") or "")
            if shopper_id in self.shoppers:
                raise ProtocolError("already_connected", f"shopper {shopper_id} is in the store on another connection")
            profile = self.shop.store.shopper(shopper_id)
            measurements = profile["measurements"]
        else:
            preference = message.get("fit_preference", "regular")
            if preference not in PREFERENCES:
                raise ProtocolError("bad_field", f"join: fit_preference must be one of {list(PREFERENCES)}")
            measurements = BodyMeasurements.from_dict(message.get("measurements") or DEFAULT_BODY).as_dict()
            shopper_id = "S" + secrets.token_hex(5)
            name = (message.get("name") or f"Shopper {shopper_id[1:5]}")[:40]
            secret = self.shop.register(shopper_id, name, measurements, preference)
        slot = self._free_slot()
        x, z = self.layout.clamp(self.layout.entrance[0] + 0.4 * ((slot % 9) - 4), self.layout.entrance[1] - 0.5)
        shopper = Shopper(shopper_id, name, slot, measurements, x, z, heading=180.0, client=client.id)
        self.shoppers[shopper_id] = shopper
        client.shopper, client.designer, client.acked_tick = shopper_id, token is not None, -1
        you = {"shopper_id": shopper_id, "slot": slot, "designer": client.designer, **({"secret": secret} if secret else {})}
        snapshot = {
            "type": "snapshot", "protocol": PROTOCOL_VERSION, "tick": self.tick_no, "tick_hz": self.tick_hz,
            "you": you, "store": self.layout.as_dict(), "products": [self._product(p) for p in self.catalog.products],
            "shoppers": [s.public() for s in self.shoppers.values()], "cart": self.shop.cart(shopper_id),
        }
        avatar_job = "A" + secrets.token_hex(6)  # the body everyone sees, built off the loop (cached on disk)
        self._jobs[avatar_job] = (client.id, shopper_id, "", "")
        return [Send(dumps(snapshot), (client.id,)),
                Send(dumps({"type": "shopper_joined", "shopper": shopper.public()}), exclude=client.id),
                Job(avatar_job, "avatar", client.id, {"measurements": measurements})]

    def _free_slot(self) -> int:
        used = {s.slot for s in self.shoppers.values()}
        for slot in range(MAX_SLOTS):
            if slot not in used:
                return slot
        raise ProtocolError("store_full", "the store is full; try again later", fatal=True)

    def _product(self, product_id: str) -> dict[str, Any]:
        p = self.catalog.get(product_id)
        return {"id": p.id, "name": p.name, "category": p.category, "gender": p.gender, "colours": list(p.colours),
                "hex": COLOUR_HEX.get(p.colours[0], "#888888"),
                "price": p.price, "style": p.style, "stock": dict(p.sizes),
                "placement": self.layout.placements.get(p.id)}

    def _on_leave(self, client: Client, message: dict) -> list[Action]:
        return [Close(client.id, 1000, "goodbye")]

    def _on_move(self, client: Client, message: dict) -> list[Action]:
        shopper = self._shopper(client)
        shopper.x, shopper.z = self.layout.step_aside(*self.layout.clamp(message["x"], message["z"]))
        shopper.heading = (float(message["heading"]) + 180.0) % 360.0 - 180.0
        return []

    def _on_pick(self, client: Client, message: dict) -> list[Action]:
        product = self.catalog.get(message["product"])
        shopper = self._shopper(client)
        shopper.holding = product.id
        self.shop.store.record(shopper.id, product.id, "view")
        return self._reply(client, {"type": "product", "product": self._product(product.id)}) + [
            Send(dumps({"type": "shopper", "id": shopper.id, "holding": product.id}), exclude=client.id)]

    def _size_advice(self, shopper: Shopper, product_id: str) -> dict[str, Any]:
        if self.recommender is None:
            raise ProtocolError("unavailable", "size advice is not available in this store")
        advice = self.recommender.size_for(shopper.id, product_id)
        product = self.catalog.get(product_id)
        regions = {} if advice.size is None else chart_ease(
            product.category, product.gender, advice.size, self.recommender.body_cm(shopper.id))
        return {"type": "size_advice", "product": product_id, "size": advice.size, "reason": advice.reason,
                "score": round(advice.score, 3), "regions": regions}

    def _on_ask_size(self, client: Client, message: dict) -> list[Action]:
        self.catalog.get(message["product"])
        return self._reply(client, self._size_advice(self._shopper(client), message["product"]))

    def _on_choose_size(self, client: Client, message: dict) -> list[Action]:
        product = self.catalog.check_size(message["product"], message["size"])
        return self._reply(client, {"type": "size_chosen", "product": product.id, "size": message["size"],
                                    "in_stock": product.in_stock(message["size"])})

    def _on_try_on(self, client: Client, message: dict) -> list[Action]:
        if message.get("garment") is not None:
            return self._try_on_upload(client, message["garment"])
        if message.get("product") is None:
            raise ProtocolError("bad_field", "try_on: give a 'product' (or a designer's uploaded 'garment')")
        shopper = self._shopper(client)
        product = self.catalog.get(message["product"])
        size = message.get("size") or self._size_advice(shopper, product.id)["size"]
        if size is None:
            raise ProtocolError("sold_out", f"{product.id} is sold out in every size")
        self.catalog.check_size(product.id, size)
        if client.job is not None:
            raise ProtocolError("busy", "a try-on of yours is still running; wait for its result")
        job = "J" + secrets.token_hex(6)
        client.job = job
        self._jobs[job] = (client.id, shopper.id, product.id, size)
        self.shop.store.record(shopper.id, product.id, "tryon", size)
        payload = {"measurements": shopper.measurements, "category": product.category, "gender": product.gender,
                   "size": size, "product": product.id, "hex": COLOUR_HEX.get(product.colours[0], "#888888")}
        return self._reply(client, {"type": "try_on_progress", "job": job, "product": product.id, "size": size,
                                    "stage": "queued"}) + [Job(job, "try_on", client.id, payload)]

    def _try_on_upload(self, client: Client, garment_id: str) -> list[Action]:
        """A designer previews an uploaded garment on their own avatar."""
        if not client.designer:
            raise ProtocolError("forbidden", "trying on uploaded garments needs a designer token at join")
        garment = self.garments.get(garment_id)
        if garment is None:
            raise ProtocolError("unknown_garment", f"no uploaded garment {garment_id[:40]!r}")
        if client.job is not None:
            raise ProtocolError("busy", "a try-on of yours is still running; wait for its result")
        shopper = self._shopper(client)
        job = "J" + secrets.token_hex(6)
        client.job = job
        self._jobs[job] = (client.id, shopper.id, garment_id, garment["size"])
        payload = {"measurements": shopper.measurements, "garment_file": garment["file"], "product": garment_id,
                   "size": garment["size"], "hex": "#5b7bd5"}
        return self._reply(client, {"type": "try_on_progress", "job": job, "product": garment_id,
                                    "size": garment["size"], "stage": "queued"}) + [Job(job, "try_on", client.id, payload)]

    def _on_upload_garment(self, client: Client, message: dict) -> list[Action]:
        """A designer announces a garment file; its bytes follow as base64 `upload_chunk` messages."""
        if not client.designer:
            raise ProtocolError("forbidden", "garment uploads need a designer token at join")
        return self._reply(client, self.uploads.begin(client.id, message))

    def _on_upload_chunk(self, client: Client, message: dict) -> list[Action]:
        done = self.uploads.add(client.id, message)
        if done is None:
            return []
        upload_id, payload = done
        job = "G" + upload_id[1:]
        self._jobs[job] = (client.id, client.shopper, upload_id, payload["size"])
        return self._reply(client, {"type": "upload_progress", "upload": upload_id, "stage": "validating"}) + [
            Job(job, "validate_garment", client.id, payload)]

    def _on_feedback(self, client: Client, message: dict) -> list[Action]:
        if message["verdict"] not in VERDICTS:
            raise ProtocolError("bad_field", f"feedback: verdict must be one of {list(VERDICTS)}")
        self.catalog.check_size(message["product"], message["size"])
        self.shop.store.feedback(client.shopper, message["product"], message["size"], message["verdict"],
                                 message.get("region"))
        return self._reply(client, {"type": "feedback_saved", "product": message["product"], "size": message["size"]})

    def _on_cart_add(self, client: Client, message: dict) -> list[Action]:
        self.catalog.check_size(message["product"], message["size"])
        lines = self.shop.add_to_cart(client.shopper, message["product"], message["size"], message.get("quantity", 1))
        return self._reply(client, {"type": "cart", "lines": lines})

    def _on_cart_remove(self, client: Client, message: dict) -> list[Action]:
        return self._reply(client, {"type": "cart", "lines": self.shop.remove_from_cart(
            client.shopper, message["product"], message["size"])})

    def _on_buy(self, client: Client, message: dict) -> list[Action]:
        order = self.shop.buy(client.shopper)
        actions = self._reply(client, {"type": "order", "id": order.id, "total": order.total, "lines": order.lines})
        actions += self._reply(client, {"type": "cart", "lines": []})
        for product in sorted({line["product"] for line in order.lines}):
            sold_out = [size for p, size in order.sold_out if p == product]
            actions.append(Send(dumps({"type": "stock", "product": product, "stock": dict(self.catalog.get(product).sizes),
                                       "sold_out": sold_out})))
        return actions

    def _on_recommend(self, client: Client, message: dict) -> list[Action]:
        if self.recommender is None:
            raise ProtocolError("unavailable", "recommendations are not available in this store")
        k = message.get("k", 8)
        if not 1 <= k <= 50:
            raise ProtocolError("bad_field", "recommend: k must be 1 to 50")
        price = (0.0, float(message["max_price"])) if "max_price" in message else None
        items = self.recommender.recommend(client.shopper, k, message.get("category"), price)
        return self._reply(client, {"type": "recommendations", "items": [r.as_dict() for r in items]})

    def _on_ping(self, client: Client, message: dict) -> list[Action]:
        return self._reply(client, {"type": "pong", "t": message.get("t"), "server_time": self.clock()})

    def _on_restock(self, client: Client, message: dict) -> list[Action]:
        if not client.designer:
            raise ProtocolError("forbidden", "restocking needs a designer token at join")
        self.shop.set_stock(message["product"], message["size"], message["count"])
        product = self.catalog.get(message["product"])
        return [Send(dumps({"type": "stock", "product": product.id, "stock": dict(product.sizes),
                            "sold_out": [s for s, n in product.sizes.items() if n == 0]}))]

    # --- heavy work ----------------------------------------------------------------------------
    def job_progress(self, job: str, stage: str, **details: Any) -> list[Action]:
        if job not in self._jobs:
            return []
        client, _, product, size = self._jobs[job]
        if client not in self.clients:
            return []
        return [Send(dumps({"type": "try_on_progress", "job": job, "product": product, "size": size,
                            "stage": stage, **details}), (client,))]

    def job_done(self, job: str, result: dict[str, Any] | None, error: str | None = None) -> list[Action]:
        """The worker's answer: the try-on result to its shopper, what they wear to everyone."""
        client_id, shopper_id, product, size = self._jobs.pop(job, (None, None, None, None))
        client = self.clients.get(client_id)
        if client is None or shopper_id not in self.shoppers:
            return []  # the shopper left mid-try-on: nobody to tell
        if job.startswith("A"):  # the shopper's body: everyone may now draw it
            if result is None:
                return []  # the capsule stays; nothing the shopper needs to hear
            self.shoppers[shopper_id].avatar_url = result["avatar_url"]
            return [Send(dumps({"type": "shopper", "id": shopper_id, "avatar_url": result["avatar_url"]}))]
        if job.startswith("G"):  # a designer's garment was checked
            if result is None:
                return [self._error(client_id, "garment_rejected", error or "the garment file was refused")]
            self.garments[job] = {"file": result.pop("file"), "category": result["category"], "size": result["size"]}
            return [Send(dumps({"type": "garment_uploaded", "garment": job, **result}), (client_id,))]
        client.job = None
        if result is None:
            return [self._error(client_id, "try_on_failed", error or "the try-on failed")]
        shopper = self.shoppers[shopper_id]
        shopper.wearing = {"product": product, "size": size, "garment_url": result["garment_url"]}
        return [Send(dumps({"type": "try_on_result", "job": job, "product": product, "size": size, **result}), (client_id,)),
                Send(dumps({"type": "shopper", "id": shopper_id, "wearing": shopper.wearing}), exclude=client_id)]

    # --- shoppers of other server processes (server.redis_fanout) ------------------------------------
    def local_transforms(self) -> list[list]:
        """[id, x, z, heading] of the shoppers connected here, for other processes."""
        return [[s.id, round(s.x, 3), round(s.z, 3), round(s.heading, 2)] for s in self.shoppers.values() if not s.remote]

    def apply_remote(self, message: dict[str, Any]) -> list[Action]:
        """An event or transforms from another process: update our copy and tell our clients."""
        kind = message.get("type")
        if kind == "transforms":
            now = self.clock()
            for shopper_id, x, z, heading in message["shoppers"]:
                shopper = self.shoppers.get(shopper_id)
                if shopper is not None and shopper.remote:
                    shopper.x, shopper.z, shopper.heading, shopper.seen_at = x, z, heading, now
            return []
        if kind == "shopper_joined":
            public = message["shopper"]
            if public["id"] in self.shoppers:
                return []
            shopper = Shopper(public["id"], public["name"], self._free_slot(),
                              {"sex": public.get("sex"), "stature": public["stature"]}, public["x"], public["z"],
                              public["heading"], public.get("holding"), public.get("wearing"), None, True, self.clock(),
                              public.get("avatar_url"))
            self.shoppers[shopper.id] = shopper
            return [Send(dumps({"type": "shopper_joined", "shopper": shopper.public()}))]
        shopper = self.shoppers.get(message.get("id", ""))
        if kind == "shopper_left" and shopper is not None and shopper.remote:
            del self.shoppers[shopper.id]
            return [Send(dumps({"type": "shopper_left", "id": shopper.id, "slot": shopper.slot}))]
        if kind == "shopper" and shopper is not None and shopper.remote:
            for key in ("holding", "wearing", "avatar_url"):
                if key in message:
                    setattr(shopper, key, message[key])
            return [Send(dumps(message))]
        if kind == "stock":
            self.shop.refresh_stock()  # the database is shared: read what the other process wrote
            return [Send(dumps(message))]
        return []

    def drop_stale_remotes(self, older_than_seconds: float = 10.0) -> list[Action]:
        """Forget shoppers of a process that stopped talking (it crashed or lost Redis)."""
        now = self.clock()
        stale = [s for s in self.shoppers.values() if s.remote and now - s.seen_at > older_than_seconds]
        actions: list[Action] = []
        for shopper in stale:
            actions += self.apply_remote({"type": "shopper_left", "id": shopper.id})
        return actions

    # --- ticks ---------------------------------------------------------------------------------
    def tick(self, ready: Iterable[int] | None = None) -> list[Send]:
        """Advance one tick; transform frames for the ready clients (all joined ones by default)."""
        self.tick_no += 1
        now = self.clock()
        joined = [c for c in self.clients.values() if c.shopper is not None]
        if self.naive:
            state = {"type": "state", "tick": self.tick_no, "t": now, "shoppers": [s.public() for s in self.shoppers.values()]}
            return [Send(dumps(state), tuple(c.id for c in joined))] if joined else []
        state = {s.slot: quantise(s.x, s.z, s.heading) for s in self.shoppers.values()}
        self._history[self.tick_no] = state
        self._history.pop(self.tick_no - self.keyframe_ticks, None)
        keyframe_now = self.tick_no % self.keyframe_ticks == 0
        ready_ids = None if ready is None else set(ready)
        groups: dict[int, list[int]] = {}
        for client in joined:
            if ready_ids is None or client.id in ready_ids:
                base = -1 if keyframe_now or client.acked_tick not in self._history else client.acked_tick
                groups.setdefault(base, []).append(client.id)
                client.acked_tick = self.tick_no
        sends = []
        for base, members in groups.items():
            if base < 0:
                frame = encode_transforms(KEYFRAME, self.tick_no, now, state)
            else:
                old = self._history[base]
                changed = {slot: t for slot, t in state.items() if old.get(slot) != t}
                if not changed:
                    continue
                frame = encode_transforms(DELTA, self.tick_no, now, changed)
            sends.append(Send(frame, tuple(members)))
        return sends
