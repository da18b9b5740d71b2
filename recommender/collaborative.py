"""Collaborative filtering on implicit feedback: popularity, item-kNN and BPR matrix factorisation.

Each model is fitted on a binary users x items matrix and scores every item for given users.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import sparse


class Popularity:
    """Everyone gets the most interacted-with items: the baseline to beat."""

    def fit(self, matrix: sparse.csr_matrix) -> "Popularity":
        self.counts = np.asarray(matrix.sum(axis=0)).ravel().astype(np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.tile(self.counts, (len(users), 1))


class ItemKNN:
    """Item-item cosine similarity, kept to each item's `neighbours` nearest; a user's score for
    an item sums its similarity to the items the user has."""

    def __init__(self, neighbours: int = 200, shrink: float = 10.0):
        self.neighbours, self.shrink = neighbours, shrink

    def fit(self, matrix: sparse.csr_matrix) -> "ItemKNN":
        x = matrix.tocsc().astype(np.float32)
        norms = np.sqrt(np.asarray(x.power(2).sum(axis=0)).ravel())
        similarity = (x.T @ x).toarray()
        similarity /= np.outer(norms, norms) + self.shrink + 1e-9
        np.fill_diagonal(similarity, 0.0)
        if self.neighbours < similarity.shape[0]:
            cut = np.partition(similarity, -self.neighbours, axis=0)[-self.neighbours]
            similarity[similarity < cut[None, :]] = 0.0
        self.similarity, self.matrix = similarity, matrix
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[users] @ self.similarity)


class BPR:
    """Bayesian personalised ranking (Rendle et al. 2009): user and item factors plus item bias,
    trained in torch on (user, seen item, unseen item) triples with Adam; seeded, so repeatable."""

    def __init__(self, factors: int = 200, epochs: int = 60, lr: float = 0.01, reg: float = 1e-2,
                 batch: int = 4096, seed: int = 0):
        self.factors, self.epochs, self.lr, self.reg, self.batch, self.seed = factors, epochs, lr, reg, batch, seed

    def fit(self, matrix: sparse.csr_matrix) -> "BPR":
        generator = torch.Generator().manual_seed(self.seed)
        n_users, n_items = matrix.shape
        coo = matrix.tocoo()
        users, items = torch.as_tensor(coo.row, dtype=torch.long), torch.as_tensor(coo.col, dtype=torch.long)
        self.user_factors = torch.nn.Parameter(0.01 * torch.randn(n_users, self.factors, generator=generator))
        self.item_factors = torch.nn.Parameter(0.01 * torch.randn(n_items, self.factors, generator=generator))
        self.item_bias = torch.nn.Parameter(torch.zeros(n_items))
        optimiser = torch.optim.Adam([self.user_factors, self.item_factors, self.item_bias], lr=self.lr)
        for _ in range(self.epochs):
            order = torch.randperm(len(users), generator=generator)
            negatives = torch.randint(0, n_items, (len(users),), generator=generator)
            for start in range(0, len(users), self.batch):
                idx = order[start:start + self.batch]
                u, i, j = users[idx], items[idx], negatives[idx]
                pu, qi, qj = self.user_factors[u], self.item_factors[i], self.item_factors[j]
                margin = (pu * (qi - qj)).sum(dim=1) + self.item_bias[i] - self.item_bias[j]
                loss = -torch.nn.functional.logsigmoid(margin).mean()
                loss = loss + self.reg * (pu.pow(2).sum() + qi.pow(2).sum() + qj.pow(2).sum()) / len(idx)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            u = self.user_factors[torch.as_tensor(users, dtype=torch.long)]
            return (u @ self.item_factors.T + self.item_bias).numpy()


def _standardised(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean(axis=1, keepdims=True)) / (scores.std(axis=1, keepdims=True) + 1e-9)


class Hybrid:
    """Item-kNN and BPR together: each user's scores standardised per model, then added."""

    def __init__(self, knn: ItemKNN | None = None, bpr: BPR | None = None, bpr_weight: float = 1.0):
        self.knn, self.bpr, self.bpr_weight = knn or ItemKNN(), bpr or BPR(), bpr_weight

    def fit(self, matrix: sparse.csr_matrix) -> "Hybrid":
        self.knn.fit(matrix)
        self.bpr.fit(matrix)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return _standardised(self.knn.score(users)) + self.bpr_weight * _standardised(self.bpr.score(users))
