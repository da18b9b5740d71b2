"""Store server under load: N shoppers walking, server and clients in separate processes.

    .venv/bin/python benchmarks/store_load.py [--clients 1000] [--seconds 20] [--json out/store_load.json]

Every client joins, then walks without pause, sending a move at `--move-hz` (10 by default), and
reads everything the server sends. Fitroom (binary deltas of changed transforms at 20 Hz,
coalesced for slow clients, keyframes every 2 s) runs against the naive baseline in the same
run (`fitroom serve --naive`: the full shopper state as JSON to everyone every tick).
Reported: server tick time p50/p99 (from /stats), end-to-end latency p50/p99 (server tick ->
client receipt, same machine clock), bytes per client per second. Goal: 1,000 clients with p99
latency < 50 ms, the tick p99 under its 50 ms period, and >= 10x fewer bytes than the baseline.
The catalogue pictures are drawn first where they are missing (once per machine), so that the
servers measured do not share the CPU with their picture process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import re
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from server import thumbnails
from server.local import redis_server, start_local_server
from store.catalog import Catalog

SENT_AT = struct.Struct("<d")
LOADGEN = Path(__file__).resolve().parent / "loadgen"
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


def run_node_clients(url: str, clients: int, seconds: float, warmup: float, move_hz: float, joins_per_second: float) -> dict:
    """The same walking shoppers from Node's `ws` (benchmarks/loadgen): a few us a frame instead of ~50."""
    done = subprocess.run(["node", str(LOADGEN / "loadgen.mjs"), url, str(clients), str(seconds), str(warmup),
                           str(move_hz), str(joins_per_second)], capture_output=True, text=True, timeout=seconds + 120, check=True)
    outcome = json.loads(done.stdout)
    return {"latencies": [ms / 1000.0 for ms in outcome["latencies_ms"]], "bytes": outcome["bytes"],
            "errors": outcome["errors"], "joined": outcome["joined"]}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(mode: str, clients: int, seconds: float, move_hz: float, runtime: str, warmup: float,
            joins_per_second: float, processes: int = 1) -> dict:
    extra = ("--naive",) if mode == "naive" else ()
    with tempfile.TemporaryDirectory() as folder, contextlib.ExitStack() as stack:
        if processes > 1:  # several server processes, one store, through Redis; clients split between them
            extra += ("--redis", stack.enter_context(redis_server(Path(folder))))
        servers = [start_local_server(Path(folder) / "store", "--trust", "127.0.0.1", *extra)  # clients are local
                   for _ in range(processes)]
        server = servers[0]
        try:
            cpu_before, wall_before = sum(cpu_seconds(s.process.pid) for s in servers), time.time()
            if runtime == "node":
                outcome = run_node_clients(",".join(s.ws for s in servers), clients, seconds, warmup, move_hz,
                                           joins_per_second)
            else:
                results = multiprocessing.get_context("spawn").Queue()
                worker = multiprocessing.get_context("spawn").Process(
                    target=run_clients, args=(server.ws, clients, seconds, warmup, move_hz, results))
                worker.start()
                outcome = results.get(timeout=seconds + 120)
                worker.join()
            server_cpu = (sum(cpu_seconds(s.process.pid) for s in servers) - cpu_before) / (time.time() - wall_before)
            every = [json.loads(urllib.request.urlopen(f"{s.url}/stats?window={seconds - warmup}").read())
                     for s in servers]
            stats = {key: max(st[key] for st in every) for key in ("tick_ms_p50", "tick_ms_p99", "tick_gap_ms_p99")}
        finally:
            for s in servers:
                s.stop()
    latencies = np.array(outcome["latencies"]) * 1000.0
    window = seconds - warmup
    return {
        "mode": mode, "processes": processes, "clients": clients, "client_runtime": runtime, "seconds_measured": window,
        "tick_ms_p50": stats["tick_ms_p50"], "tick_ms_p99": stats["tick_ms_p99"],
        "tick_gap_ms_p99": stats["tick_gap_ms_p99"], "server_cpu_cores": round(server_cpu, 2),
        "errors": outcome.get("errors", {}), "joined": outcome.get("joined"),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2) if len(latencies) else None,
        "latency_ms_p99": round(float(np.percentile(latencies, 99)), 2) if len(latencies) else None,
        "frames_received": len(latencies),
        "bytes_per_client_per_second": round(outcome["bytes"] / clients / window),
    }


def draw_catalogue_pictures(console: Console) -> None:
    """Draw the catalogue pictures a fresh machine lacks before measuring: else each server starts its one-off
    picture process (server.thumbnails) and the run measures the floor beside it, not the floor."""
    products = list(Catalog.load().products.values())
    todo = thumbnails.missing(products, thumbnails.cache_dir())
    if todo:
        with console.status(f"drawing the {len(todo)} catalogue pictures this machine lacks (once, about 2 minutes)"):
            thumbnails.make_thumbnails(products, thumbnails.cache_dir())


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds measured, after the warm-up")
    parser.add_argument("--move-hz", type=float, default=10.0)
    parser.add_argument("--joins-per-second", type=float, default=50.0, help="how fast the crowd arrives (node clients)")
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes sharing one store through a redis-server (node clients split among them)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before measuring (default: arrivals + 10 s)")
    parser.add_argument("--client-runtime", choices=("node", "python"),
                        default="node" if (LOADGEN / "node_modules" / "ws").is_dir() else "python",
                        help="node (benchmarks/loadgen, `npm ci` there) is light enough to leave the server its core")
    args = parser.parse_args()
    arrivals = args.clients / args.joins_per_second if args.client_runtime == "node" else 0.005 * args.clients
    warmup = args.warmup if args.warmup is not None else arrivals + 10.0
    console = Console(width=160)  # the table whole, in a log too
    draw_catalogue_pictures(console)
    rows = [measure(mode, args.clients, warmup + args.seconds, args.move_hz, args.client_runtime, warmup,
                    args.joins_per_second, processes) for mode, processes in
            [("fitroom", 1), ("naive", 1)] + ([("fitroom", args.processes)] if args.processes > 1 else [])]
    fitroom, naive = rows[-1] if len(rows) > 2 else rows[0], rows[1]  # the Redis pair, when run, else one process
    ratio = naive["bytes_per_client_per_second"] / max(fitroom["bytes_per_client_per_second"], 1)
    table = Table(title=f"Store load: {args.clients} walking shoppers, moves at {args.move_hz:g} Hz, 20 Hz ticks")
    for column in ("server", "clients", "tick p50 ms", "tick p99 ms", "tick gap p99 ms", "latency p50 ms",
                   "latency p99 ms", "bytes/client/s", "server CPU (cores)"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(row["mode"] + (f" x{row['processes']} + Redis" if row["processes"] > 1 else ""), str(row["clients"]), str(row["tick_ms_p50"]), str(row["tick_ms_p99"]),
                      str(row["tick_gap_ms_p99"]), str(row["latency_ms_p50"]), str(row["latency_ms_p99"]),
                      f"{row['bytes_per_client_per_second']:,}", str(row["server_cpu_cores"]))
    console.print(table)
    console.print(f"bytes: naive / fitroom = {ratio:.1f}x (goal >= 10x); "
                  f"fitroom latency p99 {fitroom['latency_ms_p99']} ms (goal < 50 ms)")
    save(args.json, {"rows": rows, "bytes_ratio": round(ratio, 2), "move_hz": args.move_hz})


if __name__ == "__main__":
    main()
