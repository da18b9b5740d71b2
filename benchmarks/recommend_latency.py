"""Recommendation latency in-process: a 1,000-product catalogue and 10,000 shoppers in SQLite.

    .venv/bin/python benchmarks/recommend_latency.py [--requests 500] [--json out/recommend_latency.json]

Shoppers get ANSUR-like measurements (population means by sex, jittered), 2-12 events each and
some fit feedback; the store is a real SQLite file. Reported: training time, and per-request
latency (p50/p99) of `recommend` (top 10 with sizes), `size_for` and `outfit`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from recommender.recommender import Recommender
from store.catalog import Catalog, generate_products
from store.ledger import Ledger


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--shoppers", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    catalog = Catalog.from_dicts(generate_products(args.products, seed=1))
    ids = list(catalog.products)
    with tempfile.TemporaryDirectory() as scratch:
        store = Ledger(Path(scratch) / "shop.sqlite", catalog)
        started = time.perf_counter()
        with store.transaction():
            for n in range(args.shoppers):
                sex = "female" if n % 2 else "male"
                body = {"stature": float(rng.normal(163 if sex == "female" else 176, 7)), "sex": sex,
                        "chest": float(rng.normal(92 if sex == "female" else 102, 7))}
                store.add_shopper(f"S{n}", body)
                gender = "women" if sex == "female" else "men"
                mine = [p for p in ids if catalog.products[p].gender == gender]
                for product in rng.choice(mine, rng.integers(2, 13), replace=False):
                    kind = str(rng.choice(["view", "view", "tryon", "purchase"]))
                    store.record(f"S{n}", str(product), kind)
                    if kind == "purchase" and rng.random() < 0.5:
                        size = str(rng.choice(list(catalog.products[str(product)].sizes)))
                        store.feedback(f"S{n}", str(product), size, str(rng.choice(["small", "fit", "large"])))
        fill_seconds = time.perf_counter() - started
        started = time.perf_counter()
        engine = Recommender(store)
        train_seconds = time.perf_counter() - started
        timings = {"recommend": [], "size_for": [], "outfit": []}
        for shopper in rng.integers(0, args.shoppers, args.requests):
            sid, pid = f"S{shopper}", str(rng.choice(ids))
            for name, call in (("recommend", lambda: engine.recommend(sid, 10)),
                               ("size_for", lambda: engine.size_for(sid, pid)),
                               ("outfit", lambda: engine.outfit(pid, 5, sid))):
                t0 = time.perf_counter()
                call()
                timings[name].append((time.perf_counter() - t0) * 1000.0)
        store.close()
    result = {"products": args.products, "shoppers": args.shoppers, "fill_seconds": round(fill_seconds, 1),
              "train_seconds": round(train_seconds, 2),
              **{name: {"p50_ms": round(float(np.percentile(t, 50)), 2), "p99_ms": round(float(np.percentile(t, 99)), 2)}
                 for name, t in timings.items()}}
    table = Table(title=f"In-process latency: {args.products} products, {args.shoppers} shoppers (SQLite)")
    for column in ("request", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for name in timings:
        table.add_row(name, f"{result[name]['p50_ms']:.2f}", f"{result[name]['p99_ms']:.2f}")
    Console().print(table)
    Console().print(f"training (EASE + Mult-VAE hybrid, content weights, latent sizes): {result['train_seconds']} s")
    save(args.json, result)


if __name__ == "__main__":
    main()
