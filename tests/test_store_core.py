"""The sans-I/O store core, driven without sockets: join, deltas, keyframes, coalescing, errors, commerce."""

from __future__ import annotations

import json

import pytest

from recommender.recommender import Recommender
from server.core import Close, Job, Send, StoreCore
from server.protocol import DELTA, KEYFRAME, decode_transforms
from store.catalog import Catalog
from store.layout import LayoutError, StoreLayout
from store.ledger import Ledger
from store.shop import Shop


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def core(tmp_path):
    catalog = Catalog.load()
    store = Ledger(tmp_path / "store.sqlite", catalog)
    shop = Shop(store)
    return StoreCore(StoreLayout.load(catalog), shop, Recommender(store, catalog), designer_token="let-me-design",
                     clock=Clock())


def texts(actions, client=None):
    """JSON messages among the actions (for one client, when given)."""
    out = []
    for a in actions:
        if isinstance(a, Send) and isinstance(a.data, str):
            if client is None or (a.to is not None and client in a.to) or (a.to is None and a.exclude != client):
                out.append(json.loads(a.data))
    return out


def join(core, **fields):
    client = core.connect()
    snapshot = texts(core.receive(client, json.dumps({"type": "join", **fields})), client)[0]
    assert snapshot["type"] == "snapshot"
    return client, snapshot


def frame_for(sends, client):
    frames = [s.data for s in sends if isinstance(s.data, bytes) and client in s.to]
    return decode_transforms(frames[0]) if frames else None


def test_join_gives_a_snapshot_and_others_hear_of_it(core):
    a, snap = join(core, name="Ada", measurements={"stature": 165, "sex": "female"})
    assert snap["protocol"] == 1 and snap["you"]["secret"] and len(snap["products"]) == 240
    assert snap["store"]["racks"] and snap["products"][0]["placement"]["position"][1] > 1.0
    b = core.connect()
    actions = core.receive(b, json.dumps({"type": "join", "name": "Bo"}))
    joined = [m for m in texts(actions, a) if m["type"] == "shopper_joined"]
    assert joined and joined[0]["shopper"]["name"] == "Bo"
    assert {s["name"] for s in texts(actions, b)[0]["shoppers"]} == {"Ada", "Bo"}


def test_deltas_carry_changed_transforms_only_and_keyframes_resync(core):
    a, _ = join(core)
    b, snap_b = join(core)
    first = frame_for(core.tick(), a)
    assert first[0] == KEYFRAME and len(first[3]) == 2  # a new client starts from a keyframe
    assert frame_for(core.tick(), a) is None  # nobody moved: nothing sent
    core.receive(b, json.dumps({"type": "move", "x": 1.234, "z": -2.5, "heading": 190.0}))
    kind, _, _, entries = frame_for(core.tick(), a)
    slot = snap_b["you"]["slot"]
    assert kind == DELTA and list(entries) == [slot]
    assert entries[slot] == pytest.approx((1.23, -2.5, -170.0))  # cm, wrapped heading
    # a slow client skipped for two ticks gets both moves coalesced into one delta
    core.receive(b, json.dumps({"type": "move", "x": 2.0, "z": 0.0, "heading": 0.0}))
    core.tick(ready=[b])
    core.receive(b, json.dumps({"type": "move", "x": 3.0, "z": 0.5, "heading": 10.0}))
    core.tick(ready=[b])
    kind, _, _, entries = frame_for(core.tick(ready=[a, b]), a)
    assert kind == DELTA and entries[slot] == pytest.approx((3.0, 0.5, 10.0))
    while core.tick_no % core.keyframe_ticks != core.keyframe_ticks - 1:
        core.tick()
    kind, _, _, entries = frame_for(core.tick(), a)
    assert kind == KEYFRAME and len(entries) == 2
    # moves stay on the floor, and out of the racks
    core.receive(b, json.dumps({"type": "move", "x": 500.0, "z": 0.0, "heading": 0.0}))
    core.tick()  # moves are applied at the tick, all at once
    assert core.shoppers[snap_b["you"]["shopper_id"]].x == core.layout.width_m / 2
    rack = core.layout.racks[0]
    core.receive(b, json.dumps({"type": "move", "x": rack.position[0], "z": rack.position[1] + 0.1, "heading": 0.0}))
    core.tick()
    me = core.shoppers[snap_b["you"]["shopper_id"]]
    assert me.x == pytest.approx(rack.position[0]) and me.z == pytest.approx(rack.position[1] + 0.5)


@pytest.mark.parametrize("frame, code", [
    ("{not json", "bad_json"),
    ("[1, 2]", "bad_message"),
    ('{"type": "teleport"}', "unknown_type"),
    ('{"type": "move", "x": "left", "z": 0, "heading": 0}', "bad_field"),
    ('{"type": "move", "x": 1e999, "z": 0, "heading": 0}', "bad_field"),
    ('{"type": "pick", "product": "P9999"}', "unknown_product"),
    ('{"type": "cart_add", "product": "P0001", "size": "XXXL"}', "unknown_product"),
    ('{"type": "feedback", "product": "P0001", "size": "M", "verdict": "meh"}', "bad_field"),
    ('{"type": "restock", "product": "P0001", "size": "M", "count": 5}', "forbidden"),
    ('{"type": "join"}', "already_joined"),
])
def test_bad_messages_get_an_error_and_keep_the_connection(core, frame, code):
    a, _ = join(core)
    actions = core.receive(a, frame)
    assert texts(actions, a)[0] == {"type": "error", "code": code, "message": texts(actions, a)[0]["message"]}
    assert not any(isinstance(x, Close) for x in actions) and a in core.clients


def test_first_message_must_be_join_and_floods_are_dropped(core):
    c = core.connect()
    assert texts(core.receive(c, '{"type": "ping"}'), c)[0]["code"] == "not_joined"
    a, _ = join(core)
    codes, closed = [], None
    for _ in range(200):  # the clock stands still: no refill
        for action in core.receive(a, '{"type": "ping"}'):
            if isinstance(action, Close):
                closed = action
            else:
                codes.append(json.loads(action.data).get("code"))
    assert "rate_limited" in codes and closed is not None and closed.code == 1008
    assert texts(core.receive(c, json.dumps({"type": "join", "protocol": 99})), c)[0]["code"] == "protocol_version"


def test_buying_decrements_stock_atomically_and_sold_out_is_broadcast(core):
    product = next(p for p in core.catalog.products.values() if list(p.sizes.values()).count(0) < len(p.sizes))
    size = next(s for s, n in product.sizes.items() if n > 0)
    core.shop.set_stock(product.id, size, 1)
    a, _ = join(core)
    b, _ = join(core)
    for client in (a, b):
        assert texts(core.receive(client, json.dumps({"type": "cart_add", "product": product.id, "size": size})),
                     client)[0]["type"] == "cart"
    bought = core.receive(a, json.dumps({"type": "buy"}))
    assert texts(bought, a)[0]["type"] == "order"
    stock = next(m for m in texts(bought, b) if m["type"] == "stock")
    assert stock["product"] == product.id and stock["sold_out"] == [size] and stock["stock"][size] == 0
    refused = texts(core.receive(b, json.dumps({"type": "buy"})), b)[0]
    assert refused["code"] == "rejected" and "sold out" in refused["message"]
    assert core.shop.stock(product.id)[size] == 0 and len(core.shop.orders()) == 1


def test_size_advice_names_a_size_in_stock_with_reasons_per_region(core):
    a, _ = join(core, measurements={"stature": 172, "sex": "female", "chest": 96, "waist": 80, "hip": 100})
    advice = texts(core.receive(a, json.dumps({"type": "ask_size", "product": "P0008"})), a)[0]
    assert advice["type"] == "size_advice" and core.catalog.get("P0008").sizes[advice["size"]] > 0
    chest = advice["regions"]["chest"]
    from engine.garments.charts import load_chart

    assert chest["ease_cm"] == load_chart("tee", "women").size(advice["size"])["chest"] - 96
    assert chest["verdict"] in ("tight", "fit", "loose")


def test_try_on_is_a_job_and_its_result_reaches_the_shopper_and_the_floor(core):
    a, _ = join(core, measurements={"stature": 172, "sex": "female", "chest": 96})
    b, _ = join(core)
    actions = core.receive(a, json.dumps({"type": "try_on", "product": "P0001"}))
    job = next(x for x in actions if isinstance(x, Job))
    assert job.payload["category"] == "dress" and job.payload["size"] in core.catalog.get("P0001").sizes
    assert texts(actions, a)[0]["stage"] == "queued"
    assert texts(core.receive(a, json.dumps({"type": "try_on", "product": "P0002"})), a)[0]["code"] == "busy"
    done = core.job_done(job.id, {"garment_url": "/files/tryon/x.glb", "fit_map_url": "/files/tryon/x.png",
                                  "heatmap_url": "/files/tryon/x_heat.glb",
                                  "fit": {"regions": {}}})
    assert texts(done, a)[0]["type"] == "try_on_result"
    assert texts(done, b)[0]["wearing"]["product"] == "P0001"
    # a shopper who leaves mid-try-on: the result goes nowhere, nothing breaks
    job = next(x for x in core.receive(a, json.dumps({"type": "try_on", "product": "P0001", "size": "M"}))
               if isinstance(x, Job))
    core.disconnect(a)
    assert core.job_done(job.id, {"garment_url": "/x"}) == []


def test_shoppers_resume_with_their_secret_and_only_their_own_cart(core):
    a, snap = join(core)
    core.receive(a, json.dumps({"type": "cart_add", "product": "P0003", "size": next(
        s for s, n in core.catalog.get("P0003").sizes.items() if n > 0)}))
    left = core.disconnect(a)
    assert texts(left)[0]["type"] == "shopper_left"
    me = snap["you"]
    thief = core.connect()
    reply = texts(core.receive(thief, json.dumps({"type": "join", "shopper_id": me["shopper_id"], "secret": "guess"})), thief)
    assert reply[0]["code"] == "rejected"
    _, again = join(core, shopper_id=me["shopper_id"], secret=me["secret"])
    assert again["you"]["shopper_id"] == me["shopper_id"] and len(again["cart"]) == 1 and "secret" not in again["you"]


def test_designers_restock_and_everyone_hears(core):
    d, snap = join(core, designer_token="let-me-design")
    assert snap["you"]["designer"] is True
    s, _ = join(core)
    actions = core.receive(d, json.dumps({"type": "restock", "product": "P0001", "size": "M", "count": 7}))
    assert texts(actions, s)[0] == {"type": "stock", "product": "P0001", "stock": core.shop.stock("P0001"), "sold_out":
                                    [k for k, v in core.shop.stock("P0001").items() if v == 0]}
    c = core.connect()
    assert texts(core.receive(c, json.dumps({"type": "join", "designer_token": "nope"})), c)[0]["code"] == "forbidden"


def test_layouts_are_checked(core):
    with pytest.raises(LayoutError, match="outside"):
        StoreLayout.from_dict({"name": "x", "floor": {"width_m": 4, "depth_m": 4}, "entrance": [0, 1],
                               "racks": [{"id": "r", "category": "tee", "gender": "men", "position": [9, 0],
                                          "length_m": 2}]}, core.catalog)
    with pytest.raises(LayoutError, match="malformed"):
        StoreLayout.from_dict({"name": "x"}, core.catalog)


def test_placing_many_shoppers_at_once_keeps_each_on_the_floor_and_clear_of_racks(core):
    import numpy as np

    rng = np.random.default_rng(0)
    asked = rng.uniform(-15, 15, size=(2000, 2))
    placed = core.layout.place(asked)
    _, u, v = core.layout._in_racks(placed)
    half = core.layout._rack_frames[3]
    assert not ((np.abs(u) < half[:, 0] - 1e-6) & (np.abs(v) < half[:, 1] - 1e-6)).any()  # none inside a rack
    assert (np.abs(placed[:, 0]) <= core.layout.width_m / 2).all() and (np.abs(placed[:, 1]) <= core.layout.depth_m / 2).all()
    clear = ~core.layout._in_racks(np.clip(asked, [-10, -7], [10, 7]))[0].any(axis=1)
    assert np.allclose(placed[clear], np.clip(asked, [-10, -7], [10, 7])[clear])  # clear points stay where asked
    one_by_one = np.array([core.layout.step_aside(x, z) for x, z in asked[:50]])
    assert np.allclose(one_by_one, placed[:50])


def test_in_a_crowd_deltas_carry_the_shoppers_nearby_and_keyframes_everyone(core):
    core.crowd = 3
    clients = [join(core)[0] for _ in range(6)]
    shoppers = [core.shoppers[core.clients[c].shopper] for c in clients]
    for i, c in enumerate(clients):  # in a row along x, 2.5 m apart (one view cell), clear of the racks
        core.receive(c, json.dumps({"type": "move", "x": -8.75 + 2.5 * i, "z": 6.5, "heading": 0.0}))
    core.tick()
    while core.tick_no % core.keyframe_ticks != core.keyframe_ticks - 1:
        core.tick()
    kind, _, _, entries = frame_for(core.tick(), clients[0])
    assert kind == KEYFRAME and len(entries) == 6
    for i, c in enumerate(clients):  # everyone takes a step
        core.receive(c, json.dumps({"type": "move", "x": -8.75 + 2.5 * i, "z": 6.0, "heading": 0.0}))
    kind, _, _, entries = frame_for(core.tick(), clients[0])
    assert kind == DELTA and set(entries) == {s.slot for s in shoppers[:2]}  # its own cell and the next
    kind, _, _, entries = frame_for(core.tick(), clients[0]) or (None, 0, 0, {})
    assert entries == {}  # nobody moved: nothing
