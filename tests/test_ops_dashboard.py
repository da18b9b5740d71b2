"""The operator's dashboard at /ops: the operator token only, and charts a browser really draws
(Chromium screenshot pixels of the stock bars, the sales bars and the experiment's arms)."""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
from store_server import OPERATOR_TOKEN, serve
from test_web_client import browser, screenshot  # noqa: F401  (the module's Chromium fixture)

from store.catalog import Catalog
from store.ledger import Ledger
from store.operations import Operations
from store.settings import OpsSettings
from store.shop import Shop

DAY = 86400.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A store with four weeks of sales behind it, an open alert and the pricing experiment on."""
    folder = tmp_path_factory.mktemp("ops")
    settings = dataclasses.replace(OpsSettings.load(), experiment_active=True)
    (folder / "operations.json").write_text(json.dumps(settings.as_dict()))
    (folder / "data").mkdir()
    ledger = Ledger(folder / "data" / "store.sqlite", Catalog.load())
    clock = [time.time() - 28 * DAY]
    ledger.clock = lambda: clock[0]
    operations = Operations(ledger, settings)
    shop = Shop(ledger, operations.pricing)
    rng = np.random.default_rng(5)
    for n in range(60):
        shop.register(f"S{n}", f"shopper {n}", {"stature": 170, "sex": "female"})
    popular = [p.id for p in list(ledger.catalog.products.values())[:12]]
    for day in range(27):
        clock[0] += DAY
        for _ in range(rng.poisson(8)):
            product = ledger.catalog.products[str(rng.choice(popular))]
            sizes = [s for s, n in product.sizes.items() if n > 0]
            if sizes:
                shopper = f"S{rng.integers(60)}"
                shop.add_to_cart(shopper, product.id, sizes[0])
                shop.buy(shopper)
    ledger.close()
    process = serve(folder / "data", "--ops-settings", str(folder / "operations.json"))
    yield process
    process.stop()


def status(url: str, headers: dict | None = None) -> int:
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_dashboard_answers_the_operator_token_only(server):
    for path in ("/ops", "/ops/data", "/ops?token=wrong", "/ops/data?token=", "/ops?token=test-designer-token"):
        assert status(server.url + path) == 401, path
    assert status(f"{server.url}/ops/data", {"Authorization": f"Bearer {OPERATOR_TOKEN}"}) == 200
    data = json.load(urllib.request.urlopen(f"{server.url}/ops/data?token={OPERATOR_TOKEN}", timeout=30))
    assert sum(data["forecast_vs_actual"]["actual"]) > 100 and data["forecast_vs_actual"]["next_day"] > 2
    assert data["alerts"] and data["reorder"] and data["ab"]["arms"]["control"]["orders"] > 0


def test_the_dashboard_draws_its_charts_in_chromium(browser, server):  # noqa: F811
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/ops?token={OPERATOR_TOKEN}")
    page.wait_for_function("window.opsReady === true", timeout=60_000)
    image = screenshot(page).astype(int)
    page.close()
    assert errors == []

    def pixels(hex_colour: str) -> int:
        rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(image - rgb).sum(axis=2) < 24).sum())

    assert pixels("#1f7f80") > 5_000   # stock bars, one per category
    assert pixels("#8a8d91") > 2_000   # units sold per day
    assert pixels("#1f2f5c") > 5_000   # the header, the forecast line and the experiment's arms
    assert pixels("#c0282d") > 200     # "low" badges and alert counts
