"""Collaborative filtering: the split and metrics do what the protocol says; models find taste."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.collaborative import BPR, Hybrid, ItemKNN, Popularity
from recommender.interactions import (
    Interactions,
    ranking_metrics,
    stratified_split,
    top_k,
)


def planted(seed: int = 0) -> Interactions:
    """Two tastes: users 0-59 like items 0-39, users 60-119 like items 40-79; items 80-99 are
    liked by everyone (popular); each user has 12 liked items and 4 popular ones."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for user in range(120):
        block = np.arange(40) + (0 if user < 60 else 40)
        chosen = np.concatenate([rng.choice(block, 12, replace=False), rng.choice(np.arange(80, 100), 4, replace=False)])
        users += [user] * len(chosen)
        items += chosen.tolist()
    return Interactions(np.array(users), np.array(items), 120, 100)


def test_split_keeps_three_quarters_of_each_user():
    train, test = stratified_split(planted(), 0.75, seed=1)
    assert np.bincount(train.users, minlength=120).tolist() == [12] * 120
    assert np.bincount(test.users, minlength=120).tolist() == [4] * 120
    assert not set(zip(train.users, train.items)) & set(zip(test.users, test.items))


def test_metrics_on_a_hand_made_case():
    test = Interactions(np.array([0, 0, 1]), np.array([3, 5, 2]), 2, 10)
    recommended = np.array([[3, 1, 2, 4, 6, 7, 8, 9, 0, 5], [0, 1, 3, 4, 5, 6, 7, 8, 9, 2]])
    metrics = ranking_metrics(recommended, test)
    discounts = 1 / np.log2(np.arange(2, 12))
    ndcg_0 = (discounts[0] + discounts[9]) / (discounts[0] + discounts[1])
    ndcg_1 = discounts[9] / discounts[0]
    assert metrics["ndcg@10"] == pytest.approx((ndcg_0 + ndcg_1) / 2)
    assert metrics["recall@10"] == pytest.approx(1.0)


def test_seen_items_are_never_recommended():
    data = planted()
    matrix = data.matrix
    recommended = top_k(Popularity().fit(matrix).score(np.arange(120)), matrix, 10)
    assert not np.asarray(matrix[np.arange(120)[:, None], recommended].todense()).any()


def test_models_find_the_planted_tastes():
    train, test = stratified_split(planted(), 0.75, seed=1)
    matrix = train.matrix
    users = np.arange(120)
    ndcg = {}
    for name, model in {"popularity": Popularity(), "knn": ItemKNN(neighbours=20),
                        "bpr": BPR(factors=16, epochs=40, reg=1e-3), "hybrid": Hybrid(ItemKNN(neighbours=20),
                                                                               BPR(factors=16, epochs=40, reg=1e-3))}.items():
        recommended = top_k(model.fit(matrix).score(users), matrix, 10)
        ndcg[name] = ranking_metrics(recommended, test)["ndcg@10"]
        in_block = (recommended < 40) == (users[:, None] < 60)
        if name != "popularity":
            assert in_block[:, :5].mean() > 0.8, name  # the first picks come from the user's own taste
    assert min(ndcg["knn"], ndcg["bpr"], ndcg["hybrid"]) > 1.5 * ndcg["popularity"], ndcg


def test_bpr_is_repeatable():
    matrix = planted().matrix
    a = BPR(factors=8, epochs=3).fit(matrix).score(np.arange(5))
    b = BPR(factors=8, epochs=3).fit(matrix).score(np.arange(5))
    assert np.array_equal(a, b)
