"""Recommendation quality on MovieLens-100k: Fitroom's collaborative hybrid against baselines.

    .venv/bin/python benchmarks/recommend.py [--json out/recommend.json]

Protocol of the Microsoft Recommenders benchmark table (so figures compare with its BPR row,
NDCG@10 0.442 / Recall@10 0.213): random 75/25 split stratified by user (seed 42), top-10 with
seen items removed, binary relevance. ML-100k is read from inside the `recbole` 1.2.1 wheel on
PyPI (downloaded once into .cache/ with pip; the data is never committed). Latency: one user's
top-10 from the fitted hybrid, in-process, over 2,000 requests.
"""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from recommender.collaborative import BPR, Hybrid, ItemKNN, Popularity
from recommender.interactions import (
    Interactions,
    ranking_metrics,
    stratified_split,
    top_k,
)

CACHE = Path(__file__).resolve().parent.parent / ".cache"
WHEEL = "recbole-1.2.1-py3-none-any.whl"
MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"


def load_ml100k() -> Interactions:
    wheel = CACHE / WHEEL
    if not wheel.exists():
        CACHE.mkdir(exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE),
                        "recbole==1.2.1"], check=True)
    with zipfile.ZipFile(wheel) as archive:
        lines = archive.read(MEMBER).decode().splitlines()[1:]
    pairs = np.array([line.split("\t")[:2] for line in lines])
    _, users = np.unique(pairs[:, 0], return_inverse=True)
    _, items = np.unique(pairs[:, 1], return_inverse=True)
    return Interactions(users, items, int(users.max()) + 1, int(items.max()) + 1)


def main() -> None:
    parser = arguments(__doc__)
    args = parser.parse_args()
    data = load_ml100k()
    train, test = stratified_split(data, 0.75, seed=42)
    matrix = train.matrix
    users = np.arange(data.n_users)
    models = {"fitroom": Hybrid(), "bpr": BPR(), "item-knn": ItemKNN(), "popularity": Popularity()}
    result: dict = {"ml-100k": {}}
    for name, model in models.items():
        started = time.perf_counter()
        model.fit(matrix)
        fit_seconds = time.perf_counter() - started
        metrics = ranking_metrics(top_k(model.score(users), matrix, 10), test)
        result["ml-100k"][name] = {k: round(v, 4) for k, v in metrics.items()} | {"fit_seconds": round(fit_seconds, 2)}
    hybrid = models["fitroom"]
    rng = np.random.default_rng(0)
    latencies = []
    for user in rng.integers(0, data.n_users, 2000):
        started = time.perf_counter()
        top_k(hybrid.score(np.array([user])), matrix[user], 10)
        latencies.append((time.perf_counter() - started) * 1000.0)
    result["latency_p99_ms"] = round(float(np.percentile(latencies, 99)), 2)
    result["latency_p50_ms"] = round(float(np.percentile(latencies, 50)), 2)

    table = Table(title="MovieLens-100k, 75/25 stratified split, top-10 (Microsoft Recommenders protocol)")
    for column in ("model", "NDCG@10", "Recall@10", "coverage", "fit s"):
        table.add_column(column, justify="right")
    table.add_row("MS Recommenders BPR (published)", "0.442", "0.213", "", "")
    for name, row in result["ml-100k"].items():
        table.add_row(name, f"{row['ndcg@10']:.4f}", f"{row['recall@10']:.4f}", f"{row['coverage']:.3f}", f"{row['fit_seconds']:.1f}")
    console = Console()
    console.print(table)
    pop = result["ml-100k"]["popularity"]["ndcg@10"]
    console.print(f"fitroom / popularity NDCG ratio: {result['ml-100k']['fitroom']['ndcg@10'] / pop:.2f}x; "
                  f"latency per request p50 {result['latency_p50_ms']} ms, p99 {result['latency_p99_ms']} ms")
    save(args.json, result)


if __name__ == "__main__":
    main()
