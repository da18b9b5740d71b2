"""Recommendation quality on MovieLens-100k: every Fitroom model beside `implicit` and `cornac`.

    .venv/bin/python benchmarks/recommend.py [--json out/recommend.json] [--no-peers] [--tune]

Protocol of the Microsoft Recommenders benchmark table (so figures compare with its rows, e.g. BPR
NDCG@10 0.442, BiVAE 0.475): random 75/25 split stratified by user (seed 42), top-10 with seen
items removed, binary relevance. ML-100k is read from inside the `recbole` 1.2.1 wheel on PyPI
(downloaded once into .cache/ with pip; the data is never committed).

Peers run in a virtual environment of their own (`.cache/peers`, made here on first use: they
want numpy 2, mediapipe wants numpy 1) and hand back their top-10 lists, which are scored by the
same code as ours. `--tune` repeats the search that chose our models' settings, on a validation
split carved out of the training part (the test part never chooses anything).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from recommender.collaborative import EASE, ItemKNN, standardised
from recommender.interactions import (
    Interactions,
    ranking_metrics,
    stratified_split,
    top_k,
)
from recommender.models import MODELS, make_model
from recommender.neural import MultVAE

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
WHEEL = "recbole-1.2.1-py3-none-any.whl"
MEMBER = "recbole/dataset_example/ml-100k/ml-100k.inter"
PEERS_VENV = CACHE / "peers"
PEER_PACKAGES = ["implicit==0.7.3", "cornac==3.0.1", "torch==2.13.0"]
PUBLISHED = {"MS Recommenders BiVAE (published)": (0.475, 0.219), "MS Recommenders BPR (published)": (0.442, 0.213)}
console = Console(stderr=True)


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


def peers_python() -> Path:
    """The peers' interpreter, with `implicit` and `cornac` installed on first use."""
    python = PEERS_VENV / "bin" / "python"
    stamp = PEERS_VENV / ".installed"
    if not stamp.exists() or stamp.read_text() != " ".join(PEER_PACKAGES):
        console.print(f"installing peers into {PEERS_VENV}: {', '.join(PEER_PACKAGES)}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEERS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEER_PACKAGES], check=True)
        stamp.write_text(" ".join(PEER_PACKAGES))
    return python


def run_peers(train: Interactions) -> dict[str, tuple[np.ndarray, float]]:
    """Each peer's top-10 for every user and its fitting seconds, from `recommend_peers.py`."""
    python = peers_python()
    with tempfile.TemporaryDirectory() as folder:
        split, out = Path(folder) / "split.npz", Path(folder) / "peers.npz"
        np.savez(split, users=train.users, items=train.items, n_users=train.n_users, n_items=train.n_items)
        env = os.environ | {"OPENBLAS_NUM_THREADS": "1"}  # implicit's advice: its own threads, not BLAS's
        subprocess.run([str(python), str(Path(__file__).with_name("recommend_peers.py")), str(split), str(out)],
                       check=True, env=env)
        arrays = np.load(out)
        return {name: (arrays[name], float(arrays[f"{name}_seconds"])) for name in arrays.files
                if not name.endswith("_seconds")}


def tune(train: Interactions) -> dict:
    """Choose EASE's L2, Mult-VAE's training steps and the hybrid's weights on a validation split of `train`."""
    inner, validation = stratified_split(train, 0.75, seed=7)
    matrix, users = inner.matrix, np.arange(train.n_users)
    ndcg = lambda scores: ranking_metrics(top_k(scores, matrix, 10), validation)["ndcg@10"]
    ease = {l2: ndcg(EASE(l2).fit(matrix).score(users)) for l2 in (100.0, 250.0, 500.0, 1000.0)}
    vae = {steps: ndcg(MultVAE(steps=steps).fit(matrix).score(users)) for steps in (200, 400, 800)}
    parts = {"ease": EASE(max(ease, key=ease.get)), "vae": MultVAE(steps=max(vae, key=vae.get)), "knn": ItemKNN()}
    scores = {name: standardised(model.fit(matrix).score(users)) for name, model in parts.items()}
    blends = {(1.0, v, k): ndcg(scores["ease"] + v * scores["vae"] + k * scores["knn"])
              for v, k in itertools.product((0.0, 0.5, 1.0), repeat=2)}
    best = max(blends, key=blends.get)
    return {"ease_l2": {str(k): round(v, 4) for k, v in ease.items()},
            "vae_steps": {str(k): round(v, 4) for k, v in vae.items()},
            "blend_weights_ease_vae_knn": {str(k): round(v, 4) for k, v in blends.items()},
            "chosen": {"ease_l2": max(ease, key=ease.get), "vae_steps": max(vae, key=vae.get), "weights": best}}


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--no-peers", action="store_true", help="skip implicit and cornac")
    parser.add_argument("--tune", action="store_true", help="repeat the validation search for our settings")
    args = parser.parse_args()
    data = load_ml100k()
    train, test = stratified_split(data, 0.75, seed=42)
    matrix, users = train.matrix, np.arange(data.n_users)
    result: dict = {"ml-100k": {}}
    if args.tune:
        result["tuning"] = tune(train)
        console.print(f"chosen on validation: {result['tuning']['chosen']}")
    rows: dict[str, dict] = {}
    for name in MODELS:
        console.print(f"fitting {name}")
        model = make_model(name)
        started = time.perf_counter()
        model.fit(matrix)
        fit_seconds = time.perf_counter() - started
        metrics = ranking_metrics(top_k(model.score(users), matrix, 10), test)
        rows[name] = {k: round(v, 4) for k, v in metrics.items()} | {"fit_seconds": round(fit_seconds, 2), "peer": False}
        if name == "fitroom":
            hybrid = model
    if not args.no_peers:
        for name, (recommended, seconds) in run_peers(train).items():
            metrics = ranking_metrics(recommended, test)
            rows[name] = {k: round(v, 4) for k, v in metrics.items()} | {"fit_seconds": round(seconds, 2), "peer": True}
    result["ml-100k"] = rows

    rng = np.random.default_rng(0)
    latencies = []
    for user in rng.integers(0, data.n_users, 1000):
        started = time.perf_counter()
        top_k(hybrid.score(np.array([user])), matrix[user], 10)
        latencies.append((time.perf_counter() - started) * 1000.0)
    result["latency_p50_ms"] = round(float(np.percentile(latencies, 50)), 2)
    result["latency_p99_ms"] = round(float(np.percentile(latencies, 99)), 2)

    table = Table(title="MovieLens-100k, 75/25 stratified split, top-10 (Microsoft Recommenders protocol)")
    for column in ("model", "NDCG@10", "Recall@10", "coverage", "fit s"):
        table.add_column(column, justify="right")
    for name, (ndcg, recall) in PUBLISHED.items():
        table.add_row(name, f"{ndcg:.3f}", f"{recall:.3f}", "", "")
    for name, row in sorted(rows.items(), key=lambda item: -item[1]["ndcg@10"]):
        table.add_row(("peer: " if row["peer"] else "") + name, f"{row['ndcg@10']:.4f}", f"{row['recall@10']:.4f}",
                      f"{row['coverage']:.3f}", f"{row['fit_seconds']:.1f}")
    out = Console()
    out.print(table)
    ours = rows["fitroom"]["ndcg@10"]
    peers = {name: row["ndcg@10"] for name, row in rows.items() if row["peer"]}
    if peers:
        best = max(peers, key=peers.get)
        result["fitroom_over_best_peer"] = round(ours / peers[best], 4)
        out.print(f"fitroom / best peer ({best}) NDCG ratio: {ours / peers[best]:.3f}x")
    out.print(f"fitroom / popularity NDCG ratio: {ours / rows['popularity']['ndcg@10']:.2f}x; one user's top-10 "
              f"p50 {result['latency_p50_ms']} ms, p99 {result['latency_p99_ms']} ms")
    save(args.json, result)


if __name__ == "__main__":
    main()
