"""Try-on latency as a shopper lives it: from the click on "Try on" to the garment on the avatar,
in Chromium with the store page open, against the same try-ons from a Python client with no page.

    .venv/bin/python benchmarks/tryon_latency.py [--rounds 2] [--json out/tryon_latency.json]

A fresh `fitroom serve` (one worker) and Debian's Chromium on this machine, as `make demo` runs
them. The page: a woman's body, for each of the six categories a product on its rack, the size
the store advises, then "Try on", timed until the page has put the garment on the avatar
(`fitroom.tryOnShown`). The peer: a websocket client with the same body asks for the same
try-ons and fetches the garment GLB. Goal (issue 13): median with the page open <= 5 s.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import connect

from server.local import launch_chromium, start_local_server

CATEGORIES = ("tee", "longsleeve", "jacket", "dress", "trousers", "skirt")
BODY = {"stature": 168, "sex": "female", "chest": 92, "waist": 76, "hip": 100}


def in_the_page(url: str, rounds: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    seconds: dict[str, list[float]] = {c: [] for c in CATEGORIES}
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1100, "height": 760})
        page.goto(f"{url}/?fresh=1&name=Timer&body={json.dumps(BODY)}")
        page.wait_for_function("window.fitroom && window.fitroom.connected", timeout=120_000)
        for _ in range(rounds):
            for category in CATEGORIES:
                product = page.evaluate(f"""[...fitroom.products.values()].find((p) => p.category === '{category}'
                    && p.gender === 'women' && p.placement && Object.values(p.stock).some((n) => n > 0)).id""")
                page.evaluate(f"fitroom.walkToProduct('{product}')")
                page.wait_for_function(f"fitroom.selected === '{product}'", timeout=30_000)
                page.evaluate("fitroom.chosenSize = null")
                page.click("#ask-size")
                page.wait_for_function("fitroom.chosenSize !== null", timeout=30_000)
                page.evaluate("fitroom.tryOnShown = false")
                started = time.perf_counter()
                page.click("#try-on")
                page.wait_for_function("fitroom.tryOnShown === true", timeout=300_000)
                seconds[category].append(time.perf_counter() - started)
        browser.close()
    return seconds


async def from_python(url: str, ws_url: str, rounds: int) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {c: [] for c in CATEGORIES}
    async with connect(ws_url, max_size=2**23) as ws:
        await ws.send(json.dumps({"type": "join", "name": "Peer", "measurements": BODY}))
        snapshot = await next_of(ws, "snapshot")
        products = {c: next(p for p in snapshot["products"] if p["category"] == c and p["gender"] == "women"
                            and p["placement"] and any(p["stock"].values())) for c in CATEGORIES}
        for _ in range(rounds):
            for category, product in products.items():
                await ws.send(json.dumps({"type": "ask_size", "product": product["id"]}))
                size = (await next_of(ws, "size_advice"))["size"]
                started = time.perf_counter()
                await ws.send(json.dumps({"type": "try_on", "product": product["id"], "size": size}))
                result = await next_of(ws, "try_on_result", 300)
                await asyncio.to_thread(lambda: urllib.request.urlopen(url + result["garment_url"], timeout=60).read())
                seconds[category].append(time.perf_counter() - started)
    return seconds


async def next_of(ws, kind: str, timeout: float = 60) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.recv()
            if isinstance(frame, str) and (message := json.loads(frame))["type"] == kind:
                return message


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--bots", type=int, default=0, help="simulated shoppers walking meanwhile (make demo has 6)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        server = start_local_server(Path(scratch) / "store", *(["--bots", str(args.bots)] if args.bots else []))
        try:
            python = asyncio.run(from_python(server.url, server.ws, args.rounds))  # also warms the worker's caches
            page = in_the_page(server.url, args.rounds)
        finally:
            server.stop()
    table = Table(title=f"Try-on, click to garment on the avatar ({args.rounds} rounds, one worker, 2 cores, "
                        f"{args.bots} bots walking)")
    for column in ("category", "page open, median s", "Python client, median s", "ratio"):
        table.add_column(column, justify="right")
    for category in CATEGORIES:
        a, b = float(np.median(page[category])), float(np.median(python[category]))
        table.add_row(category, f"{a:.2f}", f"{b:.2f}", f"{a / b:.2f}x")
    every_page, every_python = np.concatenate(list(page.values())), np.concatenate(list(python.values()))
    table.add_row("all: median", f"{np.median(every_page):.2f}", f"{np.median(every_python):.2f}",
                  f"{np.median(every_page) / np.median(every_python):.2f}x")
    table.add_row("all: p90", f"{np.percentile(every_page, 90):.2f}", f"{np.percentile(every_python, 90):.2f}", "")
    Console().print(table)
    save(args.json, {"bots": args.bots, "page_seconds": page, "python_seconds": python,
                     "page_median_s": float(np.median(every_page)), "page_p90_s": float(np.percentile(every_page, 90)),
                     "python_median_s": float(np.median(every_python))})


if __name__ == "__main__":
    main()
