"""The back office over the sans-I/O core: alerts pushed to operators only, approvals, prices per arm."""

from __future__ import annotations

import dataclasses
import json

import pytest
from test_store_core import Clock, join, texts

from server.core import StoreCore
from store.catalog import Catalog
from store.experiments import Arm
from store.layout import StoreLayout
from store.ledger import Ledger
from store.operations import Operations
from store.settings import OpsSettings
from store.shop import Shop

DAY = 86400.0


@pytest.fixture()
def core(tmp_path):
    catalog = Catalog.load()
    ledger = Ledger(tmp_path / "store.sqlite", catalog)
    clock = Clock()
    clock.now = 1.7e9
    ledger.clock = clock
    operations = Operations(ledger, dataclasses.replace(OpsSettings.load(), experiment_active=True))
    return StoreCore(StoreLayout.load(catalog), Shop(ledger, operations.pricing), None, designer_token="design",
                     operations=operations, operator_token="operate", clock=clock)


def send(core, client, **message):
    return texts(core.receive(client, json.dumps(message)), client)


def test_operators_hear_of_a_crossing_once_and_approve_the_reorder(core):
    operator, snap = join(core, operator_token="operate")
    assert snap["you"]["operator"] is True
    shopper, _ = join(core)
    core.shop.set_stock("P0001", "S", 30)
    for day in range(14):  # a unit a day for two weeks
        core.clock.now += DAY
        send(core, shopper, type="cart_add", product="P0001", size="S")
        send(core, shopper, type="buy")
    core.replan()
    core.shop.set_stock("P0001", "S", 4)
    heard, seen_by_shopper = [], []
    for _ in range(3):
        actions = core.receive(shopper, json.dumps({"type": "cart_add", "product": "P0001", "size": "S"}))
        actions = core.receive(shopper, json.dumps({"type": "buy"}))
        heard += [m for m in texts(actions, operator) if m["type"] in ("stock_alert", "reorder_suggested")]
        seen_by_shopper += [m for m in texts(actions, shopper) if m["type"] == "stock_alert"]
    alerts = [m for m in heard if m["type"] == "stock_alert"]
    assert len(alerts) == 1 and alerts[0]["product"] == "P0001" and alerts[0]["stock"] <= alerts[0]["reorder_point"]
    assert seen_by_shopper == []
    (suggested,) = [m for m in heard if m["type"] == "reorder_suggested"][-1:]
    assert send(core, shopper, type="approve_reorder", suggestion=suggested["suggestion"])[0]["code"] == "forbidden"
    answer = send(core, operator, type="approve_reorder", suggestion=suggested["suggestion"])
    approved = [m for m in answer if m["type"] == "reorder_approved"][0]
    assert approved["stock"] == core.catalog.products["P0001"].sizes["S"] == 1 + suggested["quantity"]
    again = send(core, operator, type="approve_reorder", suggestion=suggested["suggestion"])
    assert again[0]["code"] == "rejected" and "no longer applies" in again[0]["message"]


def test_a_price_reaches_the_treatment_arm_only_and_guardrails_hold(core):
    operator, _ = join(core, operator_token="operate")
    shoppers = {}
    while len(shoppers) < 2:
        client, snap = join(core)
        shoppers.setdefault(core.operations.experiment.arm(snap["you"]["shopper_id"]), client)
    product = core.catalog.get("P0001")
    assert send(core, shoppers[Arm.TREATMENT], type="set_price", product="P0001", price=50)[0]["code"] == "forbidden"
    above = send(core, operator, type="set_price", product="P0001", price=product.price + 1)
    assert above[0]["code"] == "rejected" and "list price" in above[0]["message"]
    under = send(core, operator, type="set_price", product="P0001", price=product.cost)
    assert under[0]["code"] == "rejected" and "floor" in under[0]["message"]
    actions = core.receive(operator, json.dumps({"type": "set_price", "product": "P0001", "price": 55.0}))
    assert [m["price"] for m in texts(actions, shoppers[Arm.TREATMENT]) if m["type"] == "price"] == [55.0]
    assert [m for m in texts(actions, shoppers[Arm.CONTROL]) if m["type"] == "price"] == []
    for arm, expected in ((Arm.TREATMENT, 55.0), (Arm.CONTROL, product.price)):
        lines = send(core, shoppers[arm], type="cart_add", product="P0001", size="S")[0]["lines"]
        assert lines[0]["price"] == expected
    fresh = {}
    while len(fresh) < 2:
        client, snap = join(core)
        fresh.setdefault(core.operations.experiment.arm(snap["you"]["shopper_id"]), snap)
    records = {arm: next(p for p in snap["products"] if p["id"] == "P0001") for arm, snap in fresh.items()}
    assert records[Arm.TREATMENT]["price"] == 55.0 and records[Arm.CONTROL]["price"] == product.price
    assert records[Arm.TREATMENT]["list_price"] == product.price


def test_update_body_stores_checks_and_rebuilds_the_avatar(core):
    client, snap = join(core, measurements={"stature": 165, "sex": "female"})
    me = snap["you"]["shopper_id"]
    actions = core.receive(client, json.dumps({"type": "update_body", "measurements": {"stature": 182, "sex": "female",
                                                                                        "chest": 99}}))
    answer = texts(actions, client)[0]
    assert answer["type"] == "body_updated" and answer["measurements"]["stature"] == 182
    assert "waist" in answer["filled"] and "chest" not in answer["filled"]
    assert core.shop.store.shopper(me)["measurements"]["chest"] == 99
    assert [a for a in actions if getattr(a, "kind", None) is not None and a.payload["measurements"]["stature"] == 182]
    bad = texts(core.receive(client, json.dumps({"type": "update_body", "measurements": {"stature": 500}})), client)[0]
    assert bad["code"] == "bad_measurements" and "stature" in bad["message"]
    assert core.shop.store.shopper(me)["measurements"]["stature"] == 182  # unchanged by the bad one
