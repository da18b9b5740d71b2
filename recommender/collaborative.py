"""Collaborative filtering on implicit feedback: every model behind one interface.

A model is fitted on a binary users x items matrix and scores every item for given users
(`Model`). Here: popularity, item-kNN and user-kNN (cosine or Pearson), EASE, BPR matrix
factorisation, and the hybrid that adds any of them. The neural Mult-VAE is in `recommender.neural`;
`recommender.models` builds any of them by name.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

import numpy as np
import torch
from scipy import sparse


class Model(Protocol):
    """What every recommender model does: learn from a users x items matrix, score items for users."""

    def fit(self, matrix: sparse.csr_matrix) -> Model: ...

    def score(self, users: np.ndarray) -> np.ndarray:
        """A users x items array of scores (higher is better) for the given row indices."""
        ...


class Similarity(StrEnum):
    COSINE = "cosine"
    PEARSON = "pearson"  # cosine of the vectors centred on their own mean


def similarity(a: sparse.csr_matrix, b: sparse.csr_matrix, kind: Similarity, shrink: float) -> np.ndarray:
    """Similarity of every row of `a` to every row of `b` (dense), over their columns.

    Pearson is computed without densifying: the centred dot product is the raw one minus
    n·mean_a·mean_b. `shrink` damps similarities that rest on little overlap; negatives become 0.
    """
    dots = (a @ b.T).toarray().astype(np.float64)
    sq_a = np.asarray(a.multiply(a).sum(axis=1)).ravel()
    sq_b = np.asarray(b.multiply(b).sum(axis=1)).ravel()
    if kind is Similarity.PEARSON:
        n = a.shape[1]
        mean_a, mean_b = np.asarray(a.mean(axis=1)).ravel(), np.asarray(b.mean(axis=1)).ravel()
        dots -= n * np.outer(mean_a, mean_b)
        sq_a, sq_b = sq_a - n * mean_a**2, sq_b - n * mean_b**2
    norms = np.outer(np.sqrt(np.maximum(sq_a, 0.0)), np.sqrt(np.maximum(sq_b, 0.0)))
    return np.maximum(dots / (norms + shrink + 1e-9), 0.0).astype(np.float32)


def _keep_nearest(similarity_rows: np.ndarray, neighbours: int) -> np.ndarray:
    """Zero all but the `neighbours` largest entries of each row (in place)."""
    if neighbours < similarity_rows.shape[1]:
        cut = np.partition(similarity_rows, -neighbours, axis=1)[:, -neighbours]
        similarity_rows[similarity_rows < cut[:, None]] = 0.0
    return similarity_rows


class Popularity:
    """Everyone gets the most interacted-with items: the baseline to beat."""

    def fit(self, matrix: sparse.csr_matrix) -> Popularity:
        self.counts = np.asarray(matrix.sum(axis=0)).ravel().astype(np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.tile(self.counts, (len(users), 1))


class ItemKNN:
    """Item-item similarity, kept to each item's `neighbours` nearest; a user's score for an item
    sums its similarity to the items the user has."""

    def __init__(self, neighbours: int = 200, shrink: float = 10.0, kind: Similarity = Similarity.COSINE):
        self.neighbours, self.shrink, self.kind = neighbours, shrink, Similarity(kind)

    def fit(self, matrix: sparse.csr_matrix) -> ItemKNN:
        items = sparse.csr_matrix(matrix.T, dtype=np.float32)
        weights = similarity(items, items, self.kind, self.shrink)
        np.fill_diagonal(weights, 0.0)
        self.similarity = _keep_nearest(weights.T, self.neighbours).T  # each item's nearest, column-wise
        self.matrix = sparse.csr_matrix(matrix, dtype=np.float32)  # as the weights: no upcast copy per request
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[users] @ self.similarity)


class UserKNN:
    """User-user similarity: an item scores the summed similarity of the user's `neighbours`
    nearest users who have it. Similarities are computed for the asked users only, so memory
    grows with the users asked about, not with the square of the shoppers."""

    def __init__(self, neighbours: int = 50, shrink: float = 10.0, kind: Similarity = Similarity.COSINE):
        self.neighbours, self.shrink, self.kind = neighbours, shrink, Similarity(kind)

    def fit(self, matrix: sparse.csr_matrix) -> UserKNN:
        self.matrix = sparse.csr_matrix(matrix, dtype=np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        weights = similarity(self.matrix[users], self.matrix, self.kind, self.shrink)
        weights[np.arange(len(users)), users] = 0.0  # a user is not their own neighbour
        return (sparse.csr_matrix(_keep_nearest(weights, self.neighbours)) @ self.matrix).toarray()


class EASE:
    """Embarrassingly shallow autoencoder (Steck 2019): an item x item weight matrix with a zero
    diagonal, in closed form from the regularised Gram matrix. One inverse of items x items, so
    seconds for thousands of products; often the strongest linear model on implicit data."""

    def __init__(self, l2: float = 500.0):
        self.l2 = l2

    def fit(self, matrix: sparse.csr_matrix) -> EASE:
        gram = (matrix.T @ matrix).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.l2
        inverse = np.linalg.inv(gram)
        weights = -inverse / np.diag(inverse)[None, :]
        np.fill_diagonal(weights, 0.0)
        self.weights, self.matrix = weights.astype(np.float32), sparse.csr_matrix(matrix, dtype=np.float32)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return np.asarray(self.matrix[users] @ self.weights)


class BPR:
    """Bayesian personalised ranking (Rendle et al. 2009): user and item factors plus item bias,
    trained in torch on (user, seen item, unseen item) triples with Adam; seeded, so repeatable."""

    def __init__(self, factors: int = 200, epochs: int = 60, lr: float = 0.01, reg: float = 1e-2,
                 batch: int = 4096, seed: int = 0):
        self.factors, self.epochs, self.lr, self.reg, self.batch, self.seed = factors, epochs, lr, reg, batch, seed

    def fit(self, matrix: sparse.csr_matrix) -> BPR:
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


def standardised(scores: np.ndarray) -> np.ndarray:
    """Each row of scores on one scale (zero mean, unit deviation), so models can be added."""
    return (scores - scores.mean(axis=1, keepdims=True)) / (scores.std(axis=1, keepdims=True) + 1e-9)


class Hybrid:
    """Several models together: each user's scores standardised per model, then a weighted sum."""

    def __init__(self, *parts: tuple[Model, float]):
        if not parts:
            raise ValueError("a hybrid needs at least one (model, weight) part")
        self.parts = list(parts)

    def fit(self, matrix: sparse.csr_matrix) -> Hybrid:
        for model, _ in self.parts:
            model.fit(matrix)
        return self

    def score(self, users: np.ndarray) -> np.ndarray:
        return sum(weight * standardised(model.score(users)) for model, weight in self.parts)
