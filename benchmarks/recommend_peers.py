"""Peer recommenders for benchmarks/recommend.py, run in their own virtual environment.

    .cache/peers/bin/python benchmarks/recommend_peers.py SPLIT.npz OUT.npz

Reads the training pairs (`users`, `items`, `n_users`, `n_items`), fits each peer from `implicit`
and `cornac` with the settings of its published benchmark where there is one (else tuned on our
validation split, or the paper's: Mult-VAE 600-200, beta 0.2), and writes each
peer's top-10 unseen items for every user (`<name>`) and its fitting seconds (`<name>_seconds`).
Metrics are computed by the caller, with the same code as for Fitroom's models. Imports neither
Fitroom nor its pins: `implicit` and `cornac` want numpy 2, mediapipe wants numpy 1.
"""

from __future__ import annotations

import sys
import time

import numpy as np
from scipy import sparse

K = 10


def top_unseen(scores: np.ndarray, matrix: sparse.csr_matrix) -> np.ndarray:
    scores = np.array(scores, dtype=np.float32)
    rows, cols = matrix.nonzero()
    scores[rows, cols] = -np.inf
    best = np.argpartition(-scores, K, axis=1)[:, :K]
    return np.take_along_axis(best, np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1), axis=1)


def implicit_peers(matrix: sparse.csr_matrix) -> dict:
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    # settings: the best of a grid on the validation split our own models are tuned on (factors 32-200,
    # regularisation, ALS confidence alpha 1-20, BPR learning rate and iterations)
    models = {"implicit ALS": AlternatingLeastSquares(factors=32, regularization=1.0, alpha=5.0, iterations=30,
                                                      random_state=42),
              "implicit BPR": BayesianPersonalizedRanking(factors=200, learning_rate=0.01, regularization=0.01,
                                                          iterations=100, random_state=42)}
    out = {}
    for name, model in models.items():
        started = time.perf_counter()
        model.fit(matrix, show_progress=False)
        seconds = time.perf_counter() - started
        scores = np.asarray(model.user_factors) @ np.asarray(model.item_factors).T
        out[name] = (top_unseen(scores, matrix), seconds)
    return out


def cornac_peers(matrix: sparse.csr_matrix) -> dict:
    from cornac.data import Dataset
    from cornac.models import BPR, EASE, VAECF, BiVAECF

    coo = matrix.tocoo()
    triples = [(str(u), str(i), 1.0) for u, i in zip(coo.row, coo.col)]
    dataset = Dataset.from_uir(triples, seed=42)
    models = {  # BiVAE and BPR: the Microsoft Recommenders notebooks' settings (their 0.475 and 0.442 rows)
        "cornac BiVAE": BiVAECF(k=100, encoder_structure=[200], act_fn="tanh", likelihood="pois", n_epochs=500,
                                batch_size=128, learning_rate=0.001, seed=42, use_gpu=False),
        "cornac BPR": BPR(k=200, max_iter=100, learning_rate=0.01, lambda_reg=0.001, seed=123),
        "cornac Mult-VAE": VAECF(k=200, autoencoder_structure=[600], act_fn="tanh", likelihood="mult", n_epochs=50,
                                 batch_size=128, learning_rate=0.001, beta=0.2, seed=42, use_gpu=False),
        "cornac EASE": EASE(lamb=500, posB=False, verbose=False),
    }
    out = {}
    n_users, n_items = matrix.shape
    users = np.array([dataset.uid_map.get(str(u), -1) for u in range(n_users)])
    item_of = np.full(dataset.num_items, -1)
    for raw, inner in dataset.iid_map.items():
        item_of[inner] = int(raw)
    for name, model in models.items():
        started = time.perf_counter()
        model.fit(dataset)
        seconds = time.perf_counter() - started
        scores = np.full((n_users, n_items), -np.inf, dtype=np.float32)
        for u in np.flatnonzero(users >= 0):
            scores[u, item_of] = model.score(int(users[u]))
        out[name] = (top_unseen(scores, matrix), seconds)
    return out


def main() -> None:
    split = np.load(sys.argv[1])
    n_users, n_items = int(split["n_users"]), int(split["n_items"])
    matrix = sparse.csr_matrix((np.ones(len(split["users"]), dtype=np.float32), (split["users"], split["items"])),
                               shape=(n_users, n_items))
    results = implicit_peers(matrix) | cornac_peers(matrix)
    arrays = {}
    for name, (top, seconds) in results.items():
        arrays[name], arrays[f"{name}_seconds"] = top, np.array(seconds)
        print(f"{name}: fitted in {seconds:.1f} s", file=sys.stderr, flush=True)
    np.savez(sys.argv[2], **arrays)


if __name__ == "__main__":
    main()
