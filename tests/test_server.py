"""The store server over real sockets: `fitroom serve`, websockets at /ws, static HTTP, try-ons, crashes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.error
import urllib.request

import pytest
from store_server import DESIGNER_TOKEN, serve
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.protocol import decode_transforms


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = serve(tmp_path_factory.mktemp("store") / "data")
    yield process
    process.stop()


async def next_of(ws, kind: str, timeout: float = 10.0, having: str | None = None) -> dict:
    """The next text message of a type (with the field `having`); binary frames and other messages pass by."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.recv()
            if isinstance(frame, str):
                message = json.loads(frame)
                if message["type"] == kind and (having is None or having in message):
                    return message


async def joined(url: str, **fields):
    ws = await connect(url, max_size=2**22)
    await ws.send(json.dumps({"type": "join", **fields}))
    return ws, await next_of(ws, "snapshot")


def test_join_move_and_see_each_other(server):
    async def scenario():
        a, _ = await joined(server.ws, name="Ada")
        b, snap_b = await joined(server.ws, name="Bo")
        assert (await next_of(a, "shopper_joined"))["shopper"]["name"] == "Bo"
        await b.send(json.dumps({"type": "move", "x": -2.5, "z": 1.25, "heading": 90}))
        slot = snap_b["you"]["slot"]
        async with asyncio.timeout(5):
            while True:
                frame = await a.recv()
                if isinstance(frame, bytes):
                    entries = decode_transforms(frame)[3]
                    if entries.get(slot) == (-2.5, 1.25, 90.0):
                        break
        await b.close()
        assert (await next_of(a, "shopper_left"))["id"] == snap_b["you"]["shopper_id"]
        await a.close()

    asyncio.run(scenario())


def test_bad_input_gets_errors_and_the_right_close_codes(server):
    async def scenario():
        ws, _ = await joined(server.ws)
        for frame, code in [("nonsense", "bad_json"), ('{"type": "fly"}', "unknown_type"),
                            ('{"type": "pick", "product": "NOPE"}', "unknown_product"),
                            ('{"type": "move", "x": null, "z": 0, "heading": 0}', "bad_field")]:
            await ws.send(frame)
            assert (await next_of(ws, "error"))["code"] == code
        await ws.send(json.dumps({"type": "ping", "t": 1}))
        assert (await next_of(ws, "pong"))["t"] == 1  # still connected after all that
        await ws.send("x" * 200_000)  # over the frame limit
        with pytest.raises(ConnectionClosed) as closed:
            await next_of(ws, "never")
        assert closed.value.rcvd.code == 1009

        flood, _ = await joined(server.ws)
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(2000):
                await flood.send('{"type": "ping"}')
            await next_of(flood, "never")
        assert closed.value.rcvd.code == 1008

        other, _ = await joined(server.ws)  # the server is up for everyone else
        await other.send('{"type": "ping"}')
        assert (await next_of(other, "pong"))["type"] == "pong"
        await other.close()

    asyncio.run(scenario())


def test_static_files_and_no_path_traversal(server):
    page = urllib.request.urlopen(server.url + "/").read().decode()
    assert "importmap" in page and "/node_modules/three/build/three.module.js" in page
    three = urllib.request.urlopen(server.url + "/node_modules/three/build/three.module.js")
    assert three.headers["Content-Type"] == "text/javascript" and b"REVISION" in three.read()
    for path, status in [("/files/../store.sqlite", 403), ("/files/%2e%2e/store.sqlite", 403),
                         ("/node_modules/.package-lock.json", 404), ("/missing.js", 404), ("/main.py", 404)]:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server.url + path)
        assert refused.value.code in (status, 404), path
    stats = json.loads(urllib.request.urlopen(server.url + "/stats").read())
    assert stats["tick"] > 0 and stats["tick_ms_p99"] is not None


def test_try_on_over_the_socket_gives_files_and_a_fit(server):
    async def scenario():
        ws, _ = await joined(server.ws, measurements={"stature": 172, "sex": "female", "chest": 96, "waist": 80, "hip": 100})
        watcher, _ = await joined(server.ws)
        body = await next_of(watcher, "shopper", timeout=120, having="avatar_url")  # the body, built off the loop
        assert body["avatar_url"].startswith("/files/avatars/")
        assert urllib.request.urlopen(server.url + body["avatar_url"]).read(4) == b"glTF"
        await ws.send(json.dumps({"type": "try_on", "product": "P0008"}))
        stages = [(await next_of(ws, "try_on_progress"))["stage"]]
        async with asyncio.timeout(180):
            while True:
                frame = await ws.recv()
                if isinstance(frame, bytes):
                    continue
                message = json.loads(frame)
                if message["type"] == "try_on_progress":
                    stages.append(message["stage"])
                elif message["type"] == "try_on_result":
                    break
        assert stages[0] == "queued" and "draping" in stages
        assert message["fit"]["regions"]["chest"]["verdict"] in ("tight", "fit", "loose")
        glb = urllib.request.urlopen(server.url + message["garment_url"])
        assert glb.read(4) == b"glTF" and "immutable" in glb.headers["Cache-Control"]
        assert urllib.request.urlopen(server.url + message["fit_map_url"]).read(4) == b"\x89PNG"
        wearing = await next_of(watcher, "shopper", timeout=10, having="wearing")
        assert wearing["wearing"]["garment_url"] == message["garment_url"]
        await ws.close()
        await watcher.close()

    asyncio.run(scenario())


def test_a_crash_loses_no_acknowledged_cart_order_stock_or_feedback(tmp_path):
    server = serve(tmp_path / "data")
    acknowledged: dict[str, list] = {"orders": [], "feedback": 0, "carts": {}}
    credentials = []

    async def traffic():
        clients = [await joined(server.ws, name=f"T{i}") for i in range(4)]
        credentials.extend(snap["you"] for _, snap in clients)
        products = [p for p in clients[0][1]["products"] if sum(p["stock"].values()) > 10][:8]
        for round_ in range(6):
            for i, (ws, snap) in enumerate(clients):
                product = products[(round_ + i) % len(products)]
                size = next(s for s, n in product["stock"].items() if n > 3)
                await ws.send(json.dumps({"type": "cart_add", "product": product["id"], "size": size}))
                cart = await next_of(ws, "cart")
                acknowledged["carts"][snap["you"]["shopper_id"]] = cart["lines"]
                await ws.send(json.dumps({"type": "feedback", "product": product["id"], "size": size, "verdict": "fit"}))
                await next_of(ws, "feedback_saved")
                acknowledged["feedback"] += 1
                if round_ % 2 == 1:
                    await ws.send(json.dumps({"type": "buy"}))
                    order = await next_of(ws, "order")
                    acknowledged["orders"].append(order["id"])
                    acknowledged["carts"][snap["you"]["shopper_id"]] = []
        return clients

    asyncio.run(traffic())
    db = sqlite3.connect(tmp_path / "data" / "store.sqlite")
    stock_before = db.execute("SELECT product_id, size, count FROM stock ORDER BY 1, 2").fetchall()
    db.close()
    server.kill()  # mid-traffic: clients still connected
    server = serve(tmp_path / "data", port=server.port)
    try:
        db = sqlite3.connect(tmp_path / "data" / "store.sqlite")
        assert [r[0] for r in db.execute("SELECT id FROM orders ORDER BY id")] == acknowledged["orders"]
        assert db.execute("SELECT COUNT(*) FROM fit_feedback").fetchone()[0] == acknowledged["feedback"]
        assert db.execute("SELECT product_id, size, count FROM stock ORDER BY 1, 2").fetchall() == stock_before

        async def resume():
            for you in credentials:  # each shopper comes back to their own cart
                ws, snap = await joined(server.ws, shopper_id=you["shopper_id"], secret=you["secret"])
                lines = [(line["product"], line["size"], line["quantity"]) for line in snap["cart"]]
                assert lines == [(line["product"], line["size"], line["quantity"])
                                 for line in acknowledged["carts"][you["shopper_id"]]]
                await ws.close()

        asyncio.run(resume())
    finally:
        server.stop()


def test_designer_token_is_needed_to_restock(server):
    async def scenario():
        shopper, _ = await joined(server.ws)
        await shopper.send(json.dumps({"type": "restock", "product": "P0001", "size": "M", "count": 3}))
        assert (await next_of(shopper, "error"))["code"] == "forbidden"
        designer, _ = await joined(server.ws, designer_token=DESIGNER_TOKEN)
        await designer.send(json.dumps({"type": "restock", "product": "P0001", "size": "M", "count": 3}))
        assert (await next_of(shopper, "stock"))["stock"]["M"] == 3
        await shopper.close()
        await designer.close()

    asyncio.run(scenario())


def test_simulated_shoppers_browse_buy_and_leave_analytics(server, tmp_path):
    import subprocess

    import cv2
    from conftest import FITROOM

    done = subprocess.run([str(FITROOM), "simulate", "--shoppers", "6", "--minutes", "0.4", "--url", server.ws,
                           "--data", str(tmp_path), "--try-on-rate", "0"], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    analytics = json.loads((tmp_path / "analytics.json").read_text())
    assert analytics["joined"] >= 6 and analytics["picks"] >= 6 and 0.0 <= analytics["conversion"] <= 1.0
    assert analytics["errors"] == {}
    heatmap = cv2.imread(str(tmp_path / "floor_heatmap.png"))
    assert heatmap.shape[:2] == (420, 600) and heatmap.std() > 5  # 14 x 20 m at 30 px/m, paths drawn
    stats = json.loads(urllib.request.urlopen(server.url + "/stats").read())
    assert stats["frames_sent"] > 0


async def send_upload(ws, announce: dict, data: bytes) -> None:
    """Announce a file (`upload_garment` with these fields, unless they give another type) and send its bytes in
    the chunks the server asks for."""
    import base64

    await ws.send(json.dumps({"type": "upload_garment", "bytes": len(data), **announce}))
    ready = await next_of(ws, "upload_ready")
    step = ready["chunk_bytes"]
    for index, start in enumerate(range(0, len(data), step)):
        await ws.send(json.dumps({"type": "upload_chunk", "upload": ready["upload"], "index": index,
                                  "data": base64.b64encode(data[start:start + step]).decode()}))


def test_designers_upload_a_garment_and_preview_it(server, tmp_path):
    from avatars import Avatar
    from engine.garments.build import build_garment

    avatar = Avatar.from_measurements({"stature": 170.0})
    garment = build_garment(avatar, "tee", "M", "women")
    mesh = garment.mesh(garment.rest)
    glb = mesh.export(file_type="glb")

    async def upload(ws, data: bytes):
        await send_upload(ws, {"name": "my tee", "format": "glb", "category": "tee", "size": "M"}, data)

    async def scenario():
        shopper, _ = await joined(server.ws)
        await shopper.send(json.dumps({"type": "upload_garment", "name": "x", "format": "glb", "bytes": 10,
                                       "category": "tee"}))
        assert (await next_of(shopper, "error"))["code"] == "forbidden"
        designer, _ = await joined(server.ws, designer_token=DESIGNER_TOKEN,
                                   measurements={"stature": 170.0})
        await designer.send(json.dumps({"type": "upload_garment", "name": "huge", "format": "glb",
                                        "bytes": 50 * 2**20, "category": "tee"}))
        assert (await next_of(designer, "error"))["code"] == "too_big"
        await upload(designer, b"definitely not a mesh" * 100)
        refused = await next_of(designer, "error", timeout=60)
        assert refused["code"] == "garment_rejected" and "cannot read" in refused["message"]
        await upload(designer, glb)
        uploaded = await next_of(designer, "garment_uploaded", timeout=60)
        assert uploaded["vertices"] == len(mesh.vertices) and uploaded["url"].startswith("/files/garments/G")
        assert urllib.request.urlopen(server.url + uploaded["url"]).read(4) == b"glTF"
        await designer.send(json.dumps({"type": "try_on", "garment": uploaded["garment"]}))
        result = await next_of(designer, "try_on_result", timeout=240)
        assert result["fit"]["regions"] and result["garment_url"].endswith(".glb")
        await shopper.send(json.dumps({"type": "try_on", "garment": uploaded["garment"]}))
        assert (await next_of(shopper, "error"))["code"] == "forbidden"
        for ws in (shopper, designer):
            await ws.close()

    asyncio.run(scenario())


def test_designers_upload_a_dxf_pattern_with_a_seams_sidecar_and_preview_it(server, tmp_path):
    from test_pattern_import import write_industry_tee

    anonymous = tmp_path / "pattern.dxf"
    write_industry_tee(anonymous, sizes=("M", "L"), names={"front": "P1", "back": "P2", "sleeve_left": "P3",
                                                           "neckband": "P4"})
    data = anonymous.read_bytes()
    sidecar = json.dumps({"pieces": {"P1": "front", "P2": "back", "P3": "sleeve", "P4": "band"}})

    async def upload(ws, seams: str | None):
        announce = {"name": "my pattern", "format": "dxf", "category": "tee", "size": "L"}
        await send_upload(ws, announce | ({"seams": seams} if seams else {}), data)

    async def scenario():
        designer, _ = await joined(server.ws, designer_token=DESIGNER_TOKEN, measurements={"stature": 170.0})
        await upload(designer, None)  # pieces named P1..P4 say nothing: refused, with their edges listed
        refused = await next_of(designer, "error", timeout=60)
        assert refused["code"] == "garment_rejected" and "p1: e0" in refused["message"]
        await upload(designer, sidecar)
        uploaded = await next_of(designer, "garment_uploaded", timeout=60)
        assert uploaded["size"] == "L" and set(uploaded["pieces"]) == {"front", "back", "sleeve_left", "sleeve_right",
                                                                        "neckband"}
        await designer.send(json.dumps({"type": "try_on", "garment": uploaded["garment"]}))
        result = await next_of(designer, "try_on_result", timeout=240)
        assert result["fit"]["regions"]["chest"]["ease_cm"] is not None
        await designer.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("extra, words", [
    (["--redis", "redis://127.0.0.1:1/0"], "does not answer"),
    (["--tick-hz", "0"], "--tick-hz"),
    (["--ops-settings", "{settings}"], "service_level = 1.5: expected a number in [0.5, 0.999]"),
])
def test_serve_refuses_to_start_with_a_clear_line(tmp_path, extra, words):
    import subprocess

    from conftest import FITROOM

    settings = tmp_path / "operations.json"
    settings.write_text(json.dumps({"service_level": 1.5}))
    extra = [part.format(settings=settings) for part in extra]
    done = subprocess.run([str(FITROOM), "serve", "--port", "0", "--data", str(tmp_path), *extra],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_serve_says_when_the_port_is_taken(server, tmp_path):
    import subprocess

    from conftest import FITROOM

    done = subprocess.run([str(FITROOM), "serve", "--port", str(server.port), "--data", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and f"cannot listen on 127.0.0.1:{server.port}" in done.stderr


def test_bots_keep_a_demo_store_alive(tmp_path):
    import time

    server = serve(tmp_path / "data", "--bots", "3")
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            stats = json.loads(urllib.request.urlopen(server.url + "/stats").read())
            if stats["shoppers"] == 3 and stats["frames_sent"] > 30:
                break
            time.sleep(0.5)
        assert stats["shoppers"] == 3 and stats["frames_sent"] > 30

        async def look():
            ws, snap = await joined(server.ws)
            await ws.close()
            return snap

        assert len(asyncio.run(look())["shoppers"]) == 4  # the three bots and me
    finally:
        server.stop()


def test_workers_end_with_a_killed_server(tmp_path):
    import subprocess
    import time

    server = serve(tmp_path / "data")

    async def shopper_with_a_body():  # the pool starts its worker for the first job: a shopper's body
        ws, _ = await joined(server.ws, measurements={"stature": 171})
        await next_of(ws, "shopper", timeout=120, having="avatar_url")
        await ws.close()

    asyncio.run(shopper_with_a_body())
    workers = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True,
                             check=False).stdout.split()
    assert len(workers) >= 2  # the pool's worker and multiprocessing's resource tracker
    server.kill()
    deadline = time.time() + 15
    while time.time() < deadline and any(_state(w) not in ("", "Z") for w in workers):
        time.sleep(0.5)
    assert all(_state(w) in ("", "Z") for w in workers), "a worker outlived its server"

    # and a server stopped while its first worker is still starting up takes that worker along
    server = serve(tmp_path / "data")

    async def join_and_go():
        ws, _ = await joined(server.ws, measurements={"stature": 172})
        await ws.close()

    asyncio.run(join_and_go())
    time.sleep(0.5)
    starting = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True,
                              check=False).stdout.split()
    server.stop()
    time.sleep(20)  # the worker finishes importing, then notices
    assert all(_state(w) in ("", "Z") for w in starting), "a starting worker outlived its server"


def _state(pid: str) -> str:
    """The process state letter ("" when gone, "Z" for a zombie)."""
    try:
        return open(f"/proc/{pid}/stat").read().split(") ")[1][0]
    except (OSError, IndexError):
        return ""


def test_simulate_runs_the_pricing_experiment_and_reports_its_arms(tmp_path):
    import subprocess

    from conftest import FITROOM

    done = subprocess.run([str(FITROOM), "simulate", "--shoppers", "6", "--minutes", "0.5", "--ab", "pricing",
                           "--day-seconds", "1", "--data", str(tmp_path), "--try-on-rate", "0"],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    analytics = json.loads((tmp_path / "analytics.json").read_text())
    ab = analytics["ab"]
    assert ab["experiment"] == "pricing" and set(ab["arms"]) == {"control", "treatment"}
    for arm in ab["arms"].values():
        assert set(arm) == {"shoppers", "orders", "revenue", "units", "sell_through", "stock_outs"}
    assert sum(arm["shoppers"] for arm in ab["arms"].values()) == analytics["joined"]
    assert sum(arm["orders"] for arm in ab["arms"].values()) >= 1
    assert set(ab["lift_revenue_pct"]) == {"estimate", "ci95"} and len(ab["lift_revenue_pct"]["ci95"]) == 2
    assert analytics["price_changes"] > 0  # 30 one-second days: the slow movers were marked down
    assert "experiment pricing" in done.stdout.lower()


def test_a_shoppers_photo_becomes_their_body(server, example_avatar):
    import cv2
    import numpy as np
    from conftest import PHOTO_POSE, photo_of

    photo = photo_of(example_avatar, PHOTO_POSE)
    png = cv2.imencode(".png", cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))[1].tobytes()
    noise = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (400, 300, 3), dtype=np.uint8))[1].tobytes()
    stature, sex = example_avatar.measured["stature"], example_avatar.inputs["sex"]

    async def upload(ws, data: bytes) -> None:
        await send_upload(ws, {"type": "upload_photo", "stature": stature, "sex": sex}, data)
        assert (await next_of(ws, "upload_progress"))["stage"] == "measuring"

    async def scenario():
        ws, _ = await joined(server.ws, name="Photo", measurements={"stature": stature, "sex": sex})
        await ws.send(json.dumps({"type": "upload_photo", "bytes": 1000, "stature": 900, "sex": sex}))
        assert "stature" in (await next_of(ws, "error"))["message"]  # checked as at join, before any byte
        await upload(ws, noise)
        rejected = await next_of(ws, "error", timeout=60)
        assert rejected["code"] == "photo_rejected" and "body" in rejected["message"].lower(), rejected
        await upload(ws, png)
        body = await next_of(ws, "body_updated", timeout=120)
        assert {"chest", "waist", "hip"} <= set(body["from_photo"])
        assert set(body["from_photo"]).isdisjoint(body["filled"])
        for key in ("chest", "waist", "hip"):  # the photo's measurements, not the population's for the height
            assert abs(body["measurements"][key] - example_avatar.measured[key]) < 5.0, key
        assert (await next_of(ws, "shopper", timeout=120, having="avatar_url"))["avatar_url"].endswith(".glb")
        await ws.close()

    asyncio.run(scenario())
