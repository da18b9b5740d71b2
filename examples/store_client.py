"""A minimal store client in Python: join, walk, ask for a size, try on, buy (docs/protocol.md).

    .venv/bin/fitroom serve &            # the store, at ws://127.0.0.1:8000/ws
    .venv/bin/python examples/store_client.py [--url ws://127.0.0.1:8000/ws]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct

from websockets.asyncio.client import connect

HEADER = struct.Struct("<BBHId")  # kind, version, count, tick, server time
ENTRY = struct.Struct("<Hhhh")  # slot, x cm, z cm, heading centidegrees


async def next_message(ws, kind: str) -> dict:
    """The next JSON message of a type; transform frames and other messages are printed and passed by."""
    while True:
        frame = await ws.recv()
        if isinstance(frame, bytes):
            _, _, count, tick, _ = HEADER.unpack_from(frame)
            print(f"  tick {tick}: {count} shopper transform(s)")
            continue
        message = json.loads(frame)
        if message["type"] == "error":
            raise RuntimeError(f"{message['code']}: {message['message']}")
        if message["type"] == kind:
            return message


async def main(url: str) -> None:
    async with connect(url, max_size=2**23) as ws:
        await ws.send(json.dumps({"type": "join", "name": "script",
                                  "measurements": {"stature": 172, "sex": "female", "chest": 94, "hip": 100}}))
        snapshot = await next_message(ws, "snapshot")
        print(f"joined as {snapshot['you']['shopper_id']}; {len(snapshot['shoppers'])} shopper(s) in {snapshot['store']['name']}")
        tee = next(p for p in snapshot["products"] if p["category"] == "tee" and p["gender"] == "women")
        x, _, z = tee["placement"]["position"]
        await ws.send(json.dumps({"type": "move", "x": x, "z": z + 0.9, "heading": 180}))
        await ws.send(json.dumps({"type": "ask_size", "product": tee["id"]}))
        advice = await next_message(ws, "size_advice")
        print(f"{tee['name']}: {advice['size']} ({advice['reason']})")
        await ws.send(json.dumps({"type": "try_on", "product": tee["id"], "size": advice["size"]}))
        result = await next_message(ws, "try_on_result")
        print(f"fit: {result['fit']['summary']}; garment at {result['garment_url']}")
        await ws.send(json.dumps({"type": "cart_add", "product": tee["id"], "size": advice["size"]}))
        await next_message(ws, "cart")
        await ws.send(json.dumps({"type": "buy"}))
        order = await next_message(ws, "order")
        print(f"order {order['id']}: {order['total']:.2f} EUR")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="ws://127.0.0.1:8000/ws")
    asyncio.run(main(parser.parse_args().url))
