"""Every client message type x every field x every kind of bad value: a clean answer, never a crash.

Through the sans-I/O core (each answer checked) and over a real socket to `fitroom serve` (no
1011 close, no traceback in the server's log). A null is refused naming its field, everywhere.
"""

from __future__ import annotations

import asyncio
import json

import msgspec
import pytest
from store_server import DESIGNER_TOKEN, OPERATOR_TOKEN, serve
from test_protocol_fuzz import make_core
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.core import Close, Send
from server.messages import CLIENT_MESSAGES, tag

#: A valid message of each type, into which one bad field at a time is put.
VALID = {"join": {}, "leave": {}, "move": {"x": 0.5, "z": 1.0, "heading": 90}, "pick": {"product": "P0001"},
         "ask_size": {"product": "P0001"}, "choose_size": {"product": "P0001", "size": "M"},
         "try_on": {"product": "P0001", "size": "M"},
         "feedback": {"product": "P0001", "size": "M", "verdict": "fit"},
         "cart_add": {"product": "P0001", "size": "M"}, "cart_remove": {"product": "P0001", "size": "M"}, "buy": {},
         "recommend": {}, "ping": {"t": 1}, "restock": {"product": "P0001", "size": "M", "count": 3},
         "upload_garment": {"name": "a", "format": "glb", "bytes": 10, "category": "tee"},
         "upload_chunk": {"upload": "U1", "index": 0, "data": "AAAA"}, "approve_reorder": {"suggestion": 1},
         "set_price": {"product": "P0001", "price": 40.0}, "ask": {"text": "a red dress under 80"}, "persona": {},
         "forget_me": {}, "update_body": {"measurements": {"stature": 180, "sex": "male"}},
         "upload_photo": {"bytes": 10, "stature": 180, "sex": "male"}}
BAD_VALUES = {"null": None, "wrong type": [1, 2], "empty": "", "huge": 10**400, "huge string": "x" * 5000,
              "negative": -1, "NaN as string": "NaN", "nested object": {"a": {"b": [1, {"c": None}]}},
              "lone surrogate": "\ud800", "big int": 2**70}


def cases() -> list[tuple[str, str, str, str]]:
    """(type, field, label, frame) for every type, field and bad value."""
    out = []
    for message_type in CLIENT_MESSAGES:
        kind = tag(message_type)
        for field in [f.name for f in msgspec.structs.fields(message_type)] + ["extra"]:
            for label, value in BAD_VALUES.items():
                frame = json.dumps({"type": kind, **VALID[kind], field: value})
                out.append((kind, field, label, frame))
    return out


CASES = cases()


def test_the_table_covers_every_type_and_field():
    assert {c[0] for c in CASES} == set(VALID) and len(CASES) > 500


def test_every_bad_field_gets_a_clean_answer_from_the_core(tmp_path):
    core = make_core(tmp_path)
    for kind, field, label, frame in CASES:
        client = core.connect()
        if kind != "join":
            core.receive(client, json.dumps({"type": "join", "designer_token": "t", "operator_token": "o"}))
        actions = core.receive(client, frame)  # must not raise
        answers = [json.loads(a.data) for a in actions if isinstance(a, Send) and isinstance(a.data, str)
                   and a.to == (client,)]
        errors = [a for a in answers if a["type"] == "error"]
        assert all(isinstance(a, (Send, Close)) or a.kind for a in actions)
        if label == "null" and field != "extra":
            assert errors and errors[0]["code"] == "bad_field" and repr(field) in errors[0]["message"], (kind, field)
        for error in errors:
            assert set(error) == {"type", "code", "message"} and error["message"], (kind, field, label)
            if error["code"] == "bad_field":
                assert kind in error["message"], (kind, field, label, error)
        core.disconnect(client)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = serve(tmp_path_factory.mktemp("table") / "data", "--trust", "127.0.0.1")  # ~100 joins in seconds
    yield process
    process.stop()


async def _run_cases(url: str, cases: list[tuple[str, str, str, str]]) -> list[str]:
    """Send each case on a joined connection (a fresh one for joins), syncing with pings; the problems seen."""
    problems: list[str] = []
    ws = None
    for number, (kind, field, label, frame) in enumerate(cases):
        if ws is None or kind == "join":
            if ws is not None:
                await ws.close()
            ws = await connect(url, max_size=2**22)
            if kind != "join":
                await ws.send(json.dumps({"type": "join", "designer_token": DESIGNER_TOKEN,
                                          "operator_token": OPERATOR_TOKEN}))
        try:
            await ws.send(frame)
            if kind == "join":
                await ws.send(json.dumps({"type": "join"}))  # joined now or not: either way an answer comes
            await ws.send(json.dumps({"type": "ping", "t": number}))
            async with asyncio.timeout(20):
                while True:
                    reply = await ws.recv()
                    message = json.loads(reply) if isinstance(reply, str) else {}
                    if message.get("code") == "rate_limited":
                        problems.append(f"{kind}.{field}={label}: rate limited (the test sends too fast)")
                    if message.get("type") == "pong" and message.get("t") == number:
                        break
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            if code not in (1000, 1008):
                problems.append(f"{kind}.{field}={label}: closed with {code}")
            ws = None
        await asyncio.sleep(0.07)  # two messages a case: within the rate limit of 40 a second
    if ws is not None:
        await ws.close()
    return problems


def test_every_bad_field_over_a_real_socket_leaves_the_server_standing(server, tmp_path_factory):
    async def scenario():
        shares = [CASES[i::4] for i in range(4)]
        return [p for ps in await asyncio.gather(*(_run_cases(server.ws, share) for share in shares)) for p in ps]

    problems = asyncio.run(scenario())
    assert problems == []
    assert "Traceback" not in server.log.read_text()
