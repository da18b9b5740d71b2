"""Collaborative filtering: the split and metrics do what the protocol says; models find taste."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from recommender.collaborative import (
    BPR,
    EASE,
    Hybrid,
    ItemKNN,
    Popularity,
    Similarity,
    UserKNN,
    similarity,
)
from recommender.interactions import (
    Interactions,
    ranking_metrics,
    stratified_split,
    top_k,
)
from recommender.models import MODELS, make_model
from recommender.neural import MultVAE


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
    bpr = BPR(factors=16, epochs=40, reg=1e-3)
    for name, model in {"popularity": Popularity(), "knn": ItemKNN(neighbours=20),
                        "knn-pearson": ItemKNN(neighbours=20, kind=Similarity.PEARSON),
                        "user-knn": UserKNN(neighbours=20), "user-knn-pearson": UserKNN(neighbours=20, kind="pearson"),
                        "ease": EASE(l2=10.0), "mult-vae": MultVAE(hidden=64, latent=16, steps=60, anneal_steps=50),
                        "bpr": bpr, "hybrid": Hybrid((ItemKNN(neighbours=20), 1.0), (bpr, 1.0))}.items():
        recommended = top_k(model.fit(matrix).score(users), matrix, 10)
        ndcg[name] = ranking_metrics(recommended, test)["ndcg@10"]
        in_block = (recommended < 40) == (users[:, None] < 60)
        if name != "popularity":
            assert in_block[:, :5].mean() > 0.8, name  # the first picks come from the user's own taste
    assert min(v for k, v in ndcg.items() if k != "popularity") > 1.5 * ndcg["popularity"], ndcg


def test_bpr_is_repeatable():
    matrix = planted().matrix
    a = BPR(factors=8, epochs=3).fit(matrix).score(np.arange(5))
    b = BPR(factors=8, epochs=3).fit(matrix).score(np.arange(5))
    assert np.array_equal(a, b)


def test_vae_is_repeatable():
    matrix = planted().matrix
    a = MultVAE(hidden=32, latent=8, steps=3).fit(matrix).score(np.arange(5))
    b = MultVAE(hidden=32, latent=8, steps=3).fit(matrix).score(np.arange(5))
    assert np.array_equal(a, b)


def test_similarities_match_their_definitions():
    rng = np.random.default_rng(3)
    dense = (rng.random((30, 12)) < 0.3).astype(np.float32)
    rows = sparse.csr_matrix(dense)
    cosine = dense @ dense.T / np.outer(np.linalg.norm(dense, axis=1), np.linalg.norm(dense, axis=1) + 1e-12)
    pearson = np.corrcoef(dense)
    kept = np.isfinite(pearson)  # an empty or full row has no correlation
    assert np.allclose(similarity(rows, rows, Similarity.COSINE, 0.0), np.nan_to_num(cosine), atol=1e-5)
    assert np.allclose(similarity(rows, rows, Similarity.PEARSON, 0.0)[kept], np.maximum(pearson, 0)[kept], atol=1e-5)


def test_every_model_is_made_by_name_and_scores_every_item():
    matrix = planted().matrix
    for name in MODELS:
        scores = make_model(name).fit(matrix).score(np.array([0, 70]))
        assert scores.shape == (2, 100) and np.isfinite(scores).all(), name
    with pytest.raises(ValueError, match="unknown recommender model 'svd'.*ease"):
        make_model("svd")
