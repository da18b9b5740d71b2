"""The shop floor: shoppers joining, walking and leaving, transform ticks, and shoppers of other processes.

A mixin of `server.core.StoreCore` (which holds the state); sans-I/O like the rest of the core.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from msgspec import UNSET

from avatars.measurements import BodyMeasurements
from avatars.population import complete
from server.actions import Action, Close, Job, JobKind, Send, send
from server.messages import (
    PROTOCOL_VERSION,
    BodyUpdated,
    Join,
    Leave,
    Move,
    SharedEvent,
    ShopperChanged,
    ShopperJoined,
    ShopperLeft,
    ShopperPublic,
    Snapshot,
    State,
    UpdateBody,
    UploadPhoto,
    You,
)
from server.protocol import (
    CM_PER_M,
    DELTA,
    KEYFRAME,
    ProtocolError,
    changed_mask,
    encode,
    encode_transforms,
    quantise,
)

if TYPE_CHECKING:
    from server.core import Client, StoreCore

MAX_SLOTS = 65535
VIEW_CELL_M = 2.5  # in a crowd, deltas carry the shoppers within one such floor cell of a client's own
DEFAULT_BODY = {"stature": 170.0}
NAME_CHARACTERS = 40


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
    target: tuple[float, float, float] | None = None  # the last move asked for (x, z, heading), applied at the tick

    def public(self) -> ShopperPublic:
        """What every client may know about this shopper."""
        return ShopperPublic(self.id, self.name, self.slot, self.measurements.get("sex"), self.measurements["stature"],
                             round(self.x, 3), round(self.z, 3), round(self.heading, 2), self.holding, self.wearing,
                             self.avatar_url)


class FloorHandlers:
    @property
    def keyframe_ticks(self: StoreCore) -> int:
        return max(1, round(self.keyframe_seconds * self.tick_hz))

    def _on_join(self: StoreCore, client: Client, message: Join) -> list[Action]:
        if client.shopper is not None:
            raise ProtocolError("already_joined", "this connection has joined already")
        if message.protocol != PROTOCOL_VERSION:
            raise ProtocolError("protocol_version", f"this server speaks protocol {PROTOCOL_VERSION}", fatal=True)
        if not self.budgets.join(client.address, self.clock()):
            raise ProtocolError("rate_limited", f"more than {self.budgets.limits.joins_per_minute:g} joins a minute "
                                "from your address; come back in a minute", fatal=True)
        token = message.designer_token
        if token is not UNSET and (self.designer_token is None or not secrets.compare_digest(
                token.encode(errors="replace"), self.designer_token.encode())):
            raise ProtocolError("forbidden", "wrong designer token")
        operator = message.operator_token
        if operator is not UNSET and (self.operator_token is None or not secrets.compare_digest(
                operator.encode(errors="replace"), self.operator_token.encode())):
            raise ProtocolError("forbidden", "wrong operator token")
        secret = UNSET
        if message.shopper_id is not UNSET:
            shopper_id = message.shopper_id
            name = self.shop.authenticate(shopper_id, message.secret or "")
            if shopper_id in self.shoppers:
                raise ProtocolError("already_connected", f"shopper {shopper_id} is in the store on another connection")
            measurements = self.shop.store.shopper(shopper_id)["measurements"]
        else:
            given = DEFAULT_BODY if message.measurements is UNSET else message.measurements
            measurements = BodyMeasurements.from_dict(given).as_dict()
            shopper_id = "S" + secrets.token_hex(5)
            name = (message.name or f"Shopper {shopper_id[1:5]}")[:NAME_CHARACTERS]
            secret = self.shop.register(shopper_id, name, measurements, message.fit_preference)
        slot = self._free_slot()
        x, z = self.layout.clamp(self.layout.entrance[0] + 0.4 * ((slot % 9) - 4), self.layout.entrance[1] - 0.5)
        shopper = Shopper(shopper_id, name, slot, measurements, x, z, heading=180.0, client=client.id)
        self.shoppers[shopper_id] = shopper
        client.shopper, client.designer, client.acked_tick = shopper_id, token is not UNSET, -1
        client.operator = operator is not UNSET
        snapshot = Snapshot(PROTOCOL_VERSION, self.tick_no, self.tick_hz,
                            You(shopper_id, slot, client.designer, secret, client.operator),
                            self._layout_record(), self._product_records(shopper_id),
                            [s.public() for s in self.shoppers.values()], self.shop.cart(shopper_id))
        avatar = Job("A" + secrets.token_hex(6), JobKind.AVATAR, client.id, {"measurements": measurements},
                     shopper_id, address=client.address)  # the body everyone sees, built off the loop (cached)
        actions: list[Action] = [send(snapshot, (client.id,)), send(ShopperJoined(shopper.public()), exclude=client.id)]
        try:
            actions.append(self._enqueue(avatar))
        except ProtocolError:
            pass  # the workshop is full: this shopper keeps the stand-in body
        return actions

    def _free_slot(self: StoreCore) -> int:
        used = {s.slot for s in self.shoppers.values()}
        for slot in range(MAX_SLOTS):
            if slot not in used:
                return slot
        raise ProtocolError("store_full", "the store is full; try again later", fatal=True)

    def _leave_floor(self: StoreCore, shopper_id: str) -> list[Action]:
        shopper = self.shoppers.pop(shopper_id)
        return [send(ShopperLeft(shopper.id, shopper.slot))]

    def _on_update_body(self: StoreCore, client: Client, message: UpdateBody) -> list[Action]:
        """New measurements: checked as at join, stored, and a new avatar built for everyone to see."""
        return self.set_body(client, BodyMeasurements.from_dict(message.measurements))

    def _on_upload_photo(self: StoreCore, client: Client, message: UploadPhoto) -> list[Action]:
        """A shopper's photo is announced: height and sex checked as at join; its bytes follow as `upload_chunk`s."""
        BodyMeasurements.from_dict({"stature": message.stature, "sex": message.sex or None})
        return self._reply(client, self.uploads.begin(client.id, message))

    def set_body(self: StoreCore, client: Client, body: BodyMeasurements, from_photo: list[str] | None = None) -> list[Action]:
        """Store the shopper's body, tell them what was filled from the population, and build their new avatar."""
        measurements = body.as_dict()
        shopper = self.shoppers[client.shopper]
        self.shop.store.update_measurements(shopper.id, measurements)
        shopper.measurements = measurements
        if self.recommender is not None:
            self.recommender.body_changed(shopper.id)
        actions = self._reply(client, BodyUpdated(measurements, complete(body)[1], from_photo or []))
        try:
            actions.append(self._enqueue(Job("A" + secrets.token_hex(6), JobKind.AVATAR, client.id,
                                             {"measurements": measurements}, shopper.id, address=client.address)))
        except ProtocolError:
            pass  # the workshop is full: the old body stays until the next change
        return actions

    def _on_leave(self: StoreCore, client: Client, message: Leave) -> list[Action]:
        return [Close(client.id, 1000, "goodbye")]

    def _on_move(self: StoreCore, client: Client, message: Move) -> list[Action]:
        """Noted; the next tick places every shopper who moved at once (`_walk`)."""
        self.shoppers[client.shopper].target = (message.x, message.z, message.heading)
        return []

    def _walk(self: StoreCore) -> None:
        """Move the shoppers who asked to, all in one vectorised step: on the floor, clear of the racks."""
        movers = [s for s in self.shoppers.values() if s.target is not None]
        if not movers:
            return
        asked = np.array([s.target for s in movers])
        placed = self.layout.place(asked[:, :2]).tolist()
        headings = ((asked[:, 2] + 180.0) % 360.0 - 180.0).tolist()
        for shopper, (x, z), heading in zip(movers, placed, headings):
            shopper.x, shopper.z, shopper.heading, shopper.target = x, z, heading, None

    # --- shoppers of other server processes (server.redis_fanout) ------------------------------------
    def local_transforms(self: StoreCore) -> list[tuple[str, float, float, float]]:
        """(id, x, z, heading) of the shoppers connected here, for other processes."""
        return [(s.id, round(s.x, 3), round(s.z, 3), round(s.heading, 2)) for s in self.shoppers.values() if not s.remote]

    def apply_remote_transforms(self: StoreCore, rows: Iterable[tuple[str, float, float, float]]) -> None:
        """Where another process's shoppers are now."""
        now = self.clock()
        for shopper_id, x, z, heading in rows:
            shopper = self.shoppers.get(shopper_id)
            if shopper is not None and shopper.remote:
                shopper.x, shopper.z, shopper.heading, shopper.seen_at = x, z, heading, now

    def apply_remote(self: StoreCore, event: SharedEvent) -> list[Action]:
        """An event from another process: update our copy of the floor and tell our clients."""
        if isinstance(event, ShopperJoined):
            public = event.shopper
            if public.id in self.shoppers:
                return []
            shopper = Shopper(public.id, public.name, self._free_slot(), {"sex": public.sex, "stature": public.stature},
                              public.x, public.z, public.heading, public.holding, public.wearing, None, True,
                              self.clock(), public.avatar_url)
            self.shoppers[shopper.id] = shopper
            return [send(ShopperJoined(shopper.public()))]
        if not isinstance(event, (ShopperLeft, ShopperChanged)):  # stock: the database is shared, read it again
            self.shop.refresh_stock()
            return [send(event)]
        shopper = self.shoppers.get(event.id)
        if shopper is None or not shopper.remote:
            return []
        if isinstance(event, ShopperLeft):
            return self._leave_floor(shopper.id)
        for key in ("holding", "wearing", "avatar_url"):
            if getattr(event, key) is not UNSET:
                setattr(shopper, key, getattr(event, key))
        return [send(event)]

    def drop_stale_remotes(self: StoreCore, older_than_seconds: float = 10.0) -> list[Action]:
        """Forget shoppers of a process that stopped talking (it crashed or lost Redis)."""
        now = self.clock()
        stale = [s.id for s in self.shoppers.values() if s.remote and now - s.seen_at > older_than_seconds]
        return [action for shopper_id in stale for action in self._leave_floor(shopper_id)]

    # --- ticks ---------------------------------------------------------------------------------
    def tick(self: StoreCore, ready: Iterable[int] | None = None) -> list[Send]:
        """Advance one tick; transform frames for the ready clients (all joined ones by default)."""
        self.tick_no += 1
        now = self.clock()
        self._walk()
        joined = [c for c in self.clients.values() if c.shopper is not None]
        if self.naive:
            state = State(self.tick_no, now, [s.public() for s in self.shoppers.values()])
            return [Send(encode(state), tuple(c.id for c in joined))] if joined else []
        everyone = list(self.shoppers.values())
        transforms = quantise(*(np.fromiter((getattr(s, key) for s in everyone), float, len(everyone))
                                for key in ("slot", "x", "z", "heading")))
        self._history[self.tick_no] = transforms
        self._history.pop(self.tick_no - self.keyframe_ticks, None)
        keyframe_now = self.tick_no % self.keyframe_ticks == 0
        if keyframe_now:
            self.budgets.sweep(now)
        ready_ids = None if ready is None else set(ready)
        groups: dict[int, list[int]] = {}
        for client in joined:
            if ready_ids is None or client.id in ready_ids:
                base = -1 if keyframe_now or client.acked_tick not in self._history else client.acked_tick
                groups.setdefault(base, []).append(client.id)
                client.acked_tick = self.tick_no
        crowded = len(transforms) > self.crowd
        if crowded:
            cells = self._view_cells(transforms)
            cell_of_slot = {int(slot): (int(cx), int(cz)) for slot, (cx, cz) in zip(transforms["slot"], cells)}
        sends = []
        for base, members in groups.items():
            if base < 0:  # keyframes carry everyone
                sends.append(Send(encode_transforms(KEYFRAME, self.tick_no, now, transforms), tuple(members)))
                continue
            changed = changed_mask(transforms, self._history[base])
            if not crowded:
                if changed.any():
                    sends.append(Send(encode_transforms(DELTA, self.tick_no, now, transforms[changed]), tuple(members)))
                continue
            by_cell: dict[tuple[int, int], list[int]] = {}
            for member in members:
                by_cell.setdefault(cell_of_slot[self.shoppers[self.clients[member].shopper].slot], []).append(member)
            for (cx, cz), viewers in by_cell.items():  # a client sees its own cell and the 8 around it
                near = changed & (np.abs(cells[:, 0] - cx) <= 1) & (np.abs(cells[:, 1] - cz) <= 1)
                if near.any():
                    sends.append(Send(encode_transforms(DELTA, self.tick_no, now, transforms[near]), tuple(viewers)))
        return sends

    def _view_cells(self: StoreCore, transforms: np.ndarray) -> np.ndarray:
        """(column, row) of the VIEW_CELL_M floor cell each shopper stands in (cells counted from a far corner)."""
        metres = np.stack([transforms["x"], transforms["z"]], axis=1) / CM_PER_M
        return np.floor((metres + max(self.layout.width_m, self.layout.depth_m)) / VIEW_CELL_M).astype(np.int32)
