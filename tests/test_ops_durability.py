"""A SIGKILL in the middle of a busy store loses no acknowledged order, stock alert or price change:
each is committed to SQLite before its message leaves the server."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
import time

from store_server import OPERATOR_TOKEN, serve
from test_server import joined

from store.settings import OpsSettings

PRODUCTS = [f"P{n:04d}" for n in range(1, 13)]


async def answer_to_buy(ws) -> dict:
    """The order, or the error that refused the cart or the buy (sold out under us: nothing acknowledged)."""
    while True:
        frame = await asyncio.wait_for(ws.recv(), 10)
        if isinstance(frame, str) and (message := json.loads(frame))["type"] in ("order", "error"):
            return message


def test_a_kill_mid_simulation_loses_no_acknowledged_alert_price_or_order(tmp_path):
    settings = dataclasses.replace(OpsSettings.load(), day_seconds=1.0, experiment_active=True)
    settings = dataclasses.replace(settings, price_rules=dataclasses.replace(settings.price_rules, slow_days=4))
    (tmp_path / "operations.json").write_text(json.dumps(settings.as_dict()))
    server = serve(tmp_path / "data", "--ops-settings", str(tmp_path / "operations.json"))
    told = {"stock_alert": [], "price": []}
    orders = []

    async def operator(ws, stop: asyncio.Event):
        while not stop.is_set():
            try:
                frame = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            message = json.loads(frame) if isinstance(frame, str) else {"type": "transforms"}
            if message["type"] in told:
                told[message["type"]].append(message)

    async def shopper(n: int, stop: asyncio.Event):
        ws, snap = await joined(server.ws)
        stock = {p["id"]: p["stock"] for p in snap["products"]}
        turn = n
        while not stop.is_set():
            product = PRODUCTS[turn % len(PRODUCTS)]
            turn += 1
            sizes = [s for s, count in stock[product].items() if count > 0]
            if not sizes:
                continue
            stock[product][sizes[0]] -= 1
            await ws.send(json.dumps({"type": "cart_add", "product": product, "size": sizes[0]}))
            await ws.send(json.dumps({"type": "buy"}))
            answer = await answer_to_buy(ws)
            if answer["type"] == "order":
                orders.append(answer["id"])
            await asyncio.sleep(0.05)

    async def traffic():
        stop = asyncio.Event()
        ws, snap = await joined(server.ws, operator_token=OPERATOR_TOKEN)
        assert snap["you"]["operator"]
        tasks = [asyncio.ensure_future(operator(ws, stop))] + [asyncio.ensure_future(shopper(n, stop)) for n in range(3)]
        deadline = time.time() + 60
        while time.time() < deadline and not (told["stock_alert"] and told["price"] and len(orders) > 20):
            await asyncio.sleep(0.2)
        server.kill()  # SIGKILL, clients still connected
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    try:
        asyncio.run(traffic())
    finally:
        server.stop()
    assert told["stock_alert"] and told["price"] and len(orders) > 20, (len(told["stock_alert"]), len(told["price"]), len(orders))
    db = sqlite3.connect(tmp_path / "data" / "store.sqlite")
    assert set(orders) <= {row[0] for row in db.execute("SELECT id FROM orders")}
    alerts = {(p, s) for p, s in db.execute("SELECT product_id, size FROM stock_alerts")}
    assert {(m["product"], m["size"]) for m in told["stock_alert"]} <= alerts
    prices = set(db.execute("SELECT product_id, new_price FROM price_changes"))
    assert {(m["product"], m["price"]) for m in told["price"]} <= prices
