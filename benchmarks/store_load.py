"""Store server under load: N shoppers walking, server and clients in separate processes.

    .venv/bin/python benchmarks/store_load.py [--clients 200] [--seconds 20] [--json out/store_load.json]

Every client joins, then walks without pause, sending a move at `--move-hz` (10 by default), and
reads everything the server sends. Fitroom (binary deltas of changed transforms at 20 Hz,
coalesced for slow clients, keyframes every 2 s) runs against the naive baseline in the same
run (`fitroom serve --naive`: the full shopper state as JSON to everyone every tick).
Reported: server tick time p50/p99 (from /stats), end-to-end latency p50/p99 (server tick ->
client receipt, same machine clock), bytes per client per second. Goal: 200 clients with p99
latency < 50 ms and >= 10x fewer bytes than the baseline.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import re
import struct
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from server.local import start_local_server

SENT_AT = struct.Struct("<d")
NAIVE_TIME = re.compile(r'"t":([0-9.]+)')


async def _client(url: str, index: int, seconds: float, warmup: float, move_hz: float, out: dict) -> None:
    from websockets.asyncio.client import connect

    latencies, received = out["latencies"], out["bytes"]
    async with connect(url, max_size=2**24, open_timeout=60) as ws:
        await ws.send(json.dumps({"type": "join", "name": f"load-{index}"}))
        start = time.time()
        measure_from = start + warmup

        async def walk():
            angle = index * 2.399  # spread shoppers over the floor on a golden-angle spiral
            radius = 1.0 + (index % 50) * 0.1
            while time.time() < start + seconds:
                t = time.time() * 0.3 + angle
                await ws.send(json.dumps({"type": "move", "x": round(radius * math.cos(t), 3),
                                          "z": round(radius * math.sin(t), 3), "heading": round(math.degrees(t) % 360, 1)}))
                await asyncio.sleep(1.0 / move_hz)

        walker = asyncio.ensure_future(walk())
        try:
            async with asyncio.timeout(seconds + 5):
                while time.time() < start + seconds:
                    frame = await ws.recv()
                    now = time.time()
                    if now < measure_from:
                        continue
                    received[0] += len(frame)
                    if isinstance(frame, bytes):
                        latencies.append(now - SENT_AT.unpack_from(frame, 8)[0])
                    elif frame.startswith('{"type":"state"'):
                        latencies.append(now - float(NAIVE_TIME.search(frame[:80]).group(1)))
        except TimeoutError:
            pass
        finally:
            walker.cancel()


def run_clients(url: str, clients: int, seconds: float, warmup: float, move_hz: float, results) -> None:
    """In its own process: all clients on one event loop; puts latencies and byte counts on `results`."""
    out = {"latencies": [], "bytes": [0]}

    async def main():
        tasks = []
        for i in range(clients):
            tasks.append(asyncio.ensure_future(_client(url, i, seconds, warmup, move_hz, out)))
            await asyncio.sleep(0.005)
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    results.put({"latencies": out["latencies"], "bytes": out["bytes"][0]})


def measure(mode: str, clients: int, seconds: float, move_hz: float, warmup: float = 5.0) -> dict:
    extra = ("--naive",) if mode == "naive" else ()
    with tempfile.TemporaryDirectory() as folder:
        server = start_local_server(Path(folder) / "store", "--trust", "127.0.0.1", *extra)  # all clients are local
        try:
            results = multiprocessing.get_context("spawn").Queue()
            worker = multiprocessing.get_context("spawn").Process(
                target=run_clients, args=(server.ws, clients, seconds, warmup, move_hz, results))
            worker.start()
            outcome = results.get(timeout=seconds + 120)
            worker.join()
            stats = json.loads(urllib.request.urlopen(server.url + "/stats").read())
        finally:
            server.stop()
    latencies = np.array(outcome["latencies"]) * 1000.0
    window = seconds - warmup
    return {
        "mode": mode, "clients": clients, "seconds_measured": window,
        "tick_ms_p50": stats["tick_ms_p50"], "tick_ms_p99": stats["tick_ms_p99"],
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2) if len(latencies) else None,
        "latency_ms_p99": round(float(np.percentile(latencies, 99)), 2) if len(latencies) else None,
        "frames_received": len(latencies),
        "bytes_per_client_per_second": round(outcome["bytes"] / clients / window),
    }


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--move-hz", type=float, default=10.0)
    args = parser.parse_args()
    rows = [measure(mode, args.clients, args.seconds, args.move_hz) for mode in ("fitroom", "naive")]
    fitroom, naive = rows
    ratio = naive["bytes_per_client_per_second"] / max(fitroom["bytes_per_client_per_second"], 1)
    table = Table(title=f"Store load: {args.clients} walking shoppers, moves at {args.move_hz:g} Hz, 20 Hz ticks")
    for column in ("server", "tick p50 ms", "tick p99 ms", "latency p50 ms", "latency p99 ms", "bytes/client/s"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(row["mode"], str(row["tick_ms_p50"]), str(row["tick_ms_p99"]), str(row["latency_ms_p50"]),
                      str(row["latency_ms_p99"]), f"{row['bytes_per_client_per_second']:,}")
    console = Console()
    console.print(table)
    console.print(f"bytes: naive / fitroom = {ratio:.1f}x (goal >= 10x); "
                  f"fitroom latency p99 {fitroom['latency_ms_p99']} ms (goal < 50 ms)")
    save(args.json, {"rows": rows, "bytes_ratio": round(ratio, 2), "move_hz": args.move_hz})


if __name__ == "__main__":
    main()
