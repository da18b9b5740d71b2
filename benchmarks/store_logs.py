"""The recommender on the simulated store's own logs: leave the last product out, then recommend.

    .venv/bin/python benchmarks/store_logs.py [--shoppers 30] [--minutes 3] [--json out/store_logs.json]
                                              [--models fitroom ease ...] [--db store.sqlite]

Bots (`fitroom simulate`'s, with bodies, tastes and budgets) shop in a fresh store over real
websockets; their views, carts and purchases land in the store's SQLite file. For every shopper
with three or more products in their history, the product of their last event is held out
(all their events on it are removed), the `Recommender` is trained on what is left, and its
top-10 for that shopper is checked for the held-out product, once per collaborative model behind
it (and once for the default with the content weights left equal rather than learned). Peers in
the same run: popularity (most interacted products, same gender, unseen) and random choice
(expected value). `--db` evaluates an existing store file instead of simulating one.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from engine.garments.charts import CHART_GENDER
from recommender.models import MODELS
from recommender.recommender import Recommender
from server.bots import simulate
from server.local import start_local_server
from store.catalog import Catalog
from store.ledger import Ledger
from store.shop import Shop

K = 10


def held_out(db_path: Path) -> dict[str, str]:
    """Shopper -> the product of their last event, for shoppers who met three or more products."""
    ledger = Ledger(db_path)
    rows = ledger.interactions()
    ledger.close()
    history: dict[str, list[str]] = {}
    for shopper, product, _ in rows:
        history.setdefault(shopper, []).append(product)
    return {s: products[-1] for s, products in history.items() if len(set(products)) >= 3}


def ndcg(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / np.log2(rank + 2)


def evaluate(db_path: Path, folder: Path, models: list[str]) -> dict:
    targets = held_out(db_path)
    train_path = folder / "train.sqlite"
    shutil.copy(db_path, train_path)
    catalog = Catalog.load()
    store = Ledger(train_path, catalog)
    store.forget_interactions(targets)
    events = [(shopper, product) for shopper, product, _ in store.interactions()]
    Shop(store)  # the store's stock, as the simulation left it
    recommenders = {name: Recommender(store, catalog, None if name == "default" else name) for name in models}
    equal = Recommender(store, catalog, None if models[0] == "default" else models[0])
    equal.content.weights[:] = 1.0 / len(equal.content.weights)
    recommenders[f"{models[0]}, equal content weights"] = equal
    popularity = Counter(product for _, product in events)
    seen: dict[str, set] = {}
    for shopper, product in events:
        seen.setdefault(shopper, set()).add(product)
    scores: dict[str, list] = {name: [] for name in [*recommenders, "popularity", "random"]}
    for shopper, target in targets.items():
        sex = store.shopper(shopper)["measurements"].get("sex")
        ranked = {name: [r.product_id for r in model.recommend(shopper, k=K)] for name, model in recommenders.items()}
        candidates = [p for p in catalog.products.values() if p.id not in seen.get(shopper, set())
                      and (sex is None or p.gender == CHART_GENDER[sex])]
        ranked["popularity"] = [p.id for p in sorted(candidates, key=lambda p: -popularity[p.id])[:K]]
        for name, top in ranked.items():
            rank = top.index(target) if target in top else None
            scores[name].append((rank is not None, ndcg(rank)))
        chance = min(1.0, K / max(len(candidates), 1))
        scores["random"].append((chance, chance * np.mean([ndcg(r) for r in range(K)])))
    store.close()
    return {
        "shoppers_evaluated": len(targets), "training_events": len(events),
        "content_weights": recommenders[models[0]].content_weights,
        "methods": list(scores),
        **{name: {"hit_rate@10": round(float(np.mean([h for h, _ in rows])), 4),
                  "ndcg@10": round(float(np.mean([n for _, n in rows])), 4)} for name, rows in scores.items()},
    }


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--shoppers", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="+", default=["default", "fitroom", "ease", "item-knn", "user-knn", "mult-vae"],
                        choices=["default", *MODELS], help="collaborative models to compare (default: the store's "
                        "choice, item-kNN under 2,000 interactions)")
    parser.add_argument("--db", type=Path, help="evaluate this store file instead of simulating a store")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.db:
            result = {"store": str(args.db), **evaluate(args.db, folder, args.models)}
        else:
            server = start_local_server(folder / "store", "--trust", "127.0.0.1")  # all bots are local
            try:
                logs, seconds = asyncio.run(simulate(server.ws, args.shoppers, args.minutes, args.seed, try_on_rate=0.0))
            finally:
                server.stop()
            result = {"bots": len(logs), "simulated_seconds": round(seconds),
                      **evaluate(folder / "store" / "store.sqlite", folder, args.models)}
    table = Table(title=f"Leave-last-out on the simulated store: {result['shoppers_evaluated']} shoppers, "
                        f"{result['training_events']} training events")
    for column in ("method", "HitRate@10", "NDCG@10"):
        table.add_column(column, justify="right")
    for name in result["methods"]:
        table.add_row(name, f"{result[name]['hit_rate@10']:.3f}", f"{result[name]['ndcg@10']:.3f}")
    console = Console()
    console.print(table)
    default = args.models[0]
    console.print(f"learned content weights: {result['content_weights']}")
    console.print(f"Fitroom ({default}) / popularity HitRate@10: "
                  f"{result[default]['hit_rate@10'] / max(result['popularity']['hit_rate@10'], 1e-9):.1f}x")
    save(args.json, result)


if __name__ == "__main__":
    main()
