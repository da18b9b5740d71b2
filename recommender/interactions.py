"""Implicit-feedback interaction data: users x items, splits and ranking metrics.

The split and metrics follow the Microsoft Recommenders protocol so figures compare with its
published tables: a random 75/25 split stratified by user, top-k lists with the items a user
already has removed, binary relevance, NDCG@k and Recall@k averaged over test users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse


@dataclass(frozen=True)
class Interactions:
    """(user, item) pairs with dense ids 0..n-1; `matrix` is the binary user x item CSR matrix."""

    users: np.ndarray
    items: np.ndarray
    n_users: int
    n_items: int

    @property
    def matrix(self) -> sparse.csr_matrix:
        data = np.ones(len(self.users), dtype=np.float32)
        m = sparse.csr_matrix((data, (self.users, self.items)), shape=(self.n_users, self.n_items))
        m.data[:] = 1.0
        return m


def stratified_split(data: Interactions, ratio: float = 0.75, seed: int = 42) -> tuple[Interactions, Interactions]:
    """Per user, a random `ratio` of their interactions for training and the rest for testing."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(data.users)), data.users))
    users = data.users[order]
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
    counts = np.diff(np.r_[starts, len(users)])
    rank = np.arange(len(users)) - np.repeat(starts, counts)
    train = rank < np.repeat(np.round(counts * ratio).astype(int), counts)
    pick = lambda mask: Interactions(users[mask], data.items[order][mask], data.n_users, data.n_items)  # noqa: E731
    return pick(train), pick(~train)


def top_k(scores: np.ndarray, seen: sparse.csr_matrix, k: int) -> np.ndarray:
    """Indices of the k best-scoring unseen items per user row (scores: users x items)."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    rows, cols = seen.nonzero()
    scores[rows, cols] = -np.inf
    best = np.argpartition(-scores, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1)
    return np.take_along_axis(best, order, axis=1)


def ranking_metrics(recommended: np.ndarray, test: Interactions, k: int = 10) -> dict[str, float]:
    """NDCG@k and Recall@k (binary relevance) over users that have test items; plus coverage."""
    truth = test.matrix
    users = np.flatnonzero(np.diff(truth.indptr) > 0)
    hits = np.asarray(truth[users[:, None], recommended[users, :k]].todense()) > 0
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits * discounts).sum(axis=1)
    n_relevant = np.diff(truth.indptr)[users]
    ideal = np.cumsum(discounts)[np.minimum(n_relevant, k) - 1]
    return {"ndcg@10": float((dcg / ideal).mean()), "recall@10": float((hits.sum(axis=1) / n_relevant).mean()),
            "coverage": float(len(np.unique(recommended[users, :k])) / test.n_items)}
