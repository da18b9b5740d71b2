"""docs/store.png: the store as a shopper sees it, in Debian's Chromium, at a rack after a try-on.

    .venv/bin/python scripts/store_screenshot.py [--out docs/store.png]

A fresh `fitroom serve` with a few bots; the shopper asks the guide, walks to a tee on its rack, asks
for the size, tries it on and is framed where they stand. Waits for the catalogue pictures the
cards show (drawn once per machine, about two minutes the first time).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from server.local import launch_chromium, start_local_server

BODY = {"stature": 168, "sex": "female", "chest": 92, "waist": 76, "hip": 100}


def wait_for_picture(url: str, product: str, timeout_s: float = 600.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/thumbnails/{product}.png"):
                return
        except urllib.error.HTTPError:
            time.sleep(2.0)
    raise TimeoutError(f"no catalogue picture of {product} after {timeout_s:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/store.png"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        server = start_local_server(Path(folder) / "data", "--bots", "4")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(f"{server.url}/?fresh=1&name=Mia&body={json.dumps(BODY)}")
                page.wait_for_function("window.fitroom && window.fitroom.connected", timeout=120_000)
                page.fill("#ask-text", "a summer T-shirt under 30")
                page.press("#ask-text", "Enter")
                page.wait_for_selector("#guide-cards li", timeout=30_000)
                cards = page.eval_on_selector_all("#guide-cards li", "(items) => items.map((li) => li.dataset.product)")
                product = page.evaluate("""[...fitroom.products.values()].find((p) => p.category === 'tee'
                    && p.gender === 'women' && p.pattern === 'stripe' && p.placement).id""")
                for shown in {*cards, product}:
                    wait_for_picture(server.url, shown)
                page.evaluate(f"fitroom.walkToProduct('{product}')")
                page.wait_for_function(f"fitroom.selected === '{product}'", timeout=30_000)
                page.click("#ask-size")
                page.wait_for_function("fitroom.chosenSize !== null", timeout=30_000)
                page.click("#try-on")
                page.wait_for_function("fitroom.tryOnShown === true", timeout=300_000)
                page.press("#ask-text", "Enter")  # the cards again, now that every picture is drawn
                page.wait_for_timeout(3000)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            server.stop()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
