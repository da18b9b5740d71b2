"""Two server processes, one store, through a real redis-server: each side sees the other's shoppers."""

from __future__ import annotations

import asyncio
import json

import pytest
from store_server import serve
from test_server import joined, next_of

from server.local import redis_server
from server.protocol import decode_transforms


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def test_a_client_on_each_process_sees_the_other(redis_url, tmp_path):
    data = tmp_path / "data"
    first = serve(data, "--redis", redis_url)
    second = serve(data, "--redis", redis_url)
    try:
        async def scenario():
            a, snap_a = await joined(first.ws, name="OnFirst")
            b, snap_b = await joined(second.ws, name="OnSecond")
            # A hears of B's arrival through Redis, with a slot of A's own server
            arrival = await next_of(a, "shopper_joined")
            assert arrival["shopper"]["id"] == snap_b["you"]["shopper_id"]
            slot_of_b = arrival["shopper"]["slot"]
            await b.send(json.dumps({"type": "move", "x": 3.0, "z": -1.5, "heading": 45}))
            async with asyncio.timeout(10):
                while True:
                    frame = await a.recv()
                    if isinstance(frame, bytes) and decode_transforms(frame)[3].get(slot_of_b) == (3.0, -1.5, 45.0):
                        break
            # a third shopper joining the second process finds A in its snapshot
            c, snap_c = await joined(second.ws, name="Late")
            assert snap_a["you"]["shopper_id"] in {s["id"] for s in snap_c["shoppers"]}
            # a purchase on one process: the stock change reaches the other's clients, the order the stream
            product = next(p for p in snap_a["products"] if sum(p["stock"].values()) > 5)
            size = next(s for s, n in product["stock"].items() if n > 0)
            await a.send(json.dumps({"type": "cart_add", "product": product["id"], "size": size}))
            await next_of(a, "cart")
            await a.send(json.dumps({"type": "buy"}))
            order = await next_of(a, "order")
            stock = await next_of(b, "stock")
            assert stock["product"] == product["id"] and stock["stock"][size] == product["stock"][size] - 1
            # a try-on goes through the shared stream; whichever process drapes it, A gets the result
            await a.send(json.dumps({"type": "try_on", "product": product["id"], "size": size}))
            stages = [(await next_of(a, "try_on_progress"))["stage"], (await next_of(a, "try_on_progress", 120))["stage"]]
            result = await next_of(a, "try_on_result", timeout=240)
            assert stages == ["queued", "draping"] and result["fit"]["regions"]
            assert (await next_of(b, "shopper", having="wearing"))["wearing"]["garment_url"] == result["garment_url"]
            await a.close()
            assert (await next_of(b, "shopper_left"))["id"] == snap_a["you"]["shopper_id"]
            for ws in (b, c):
                await ws.close()
            return order

        order = asyncio.run(scenario())
        import redis

        client = redis.Redis.from_url(redis_url)
        entries = client.xrange("fitroom:orders")
        assert any(json.loads(fields[b"message"])["id"] == order["id"] for _, fields in entries)
        assert client.xlen("fitroom:tryons") == 1 and client.xpending("fitroom:tryons", "workers")["pending"] == 0
    finally:
        first.stop()
        second.stop()
