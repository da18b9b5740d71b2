"""Content similarity's attribute weights are learned from what shoppers engage with."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from recommender.content import ATTRIBUTES, ContentIndex
from store.catalog import Catalog


def colour_loyal_shoppers(catalog: Catalog, ids: list[str], seed: int = 0) -> sparse.csr_matrix:
    """200 shoppers who each engage with 8 products of one colour, any category, style or season."""
    rng = np.random.default_rng(seed)
    colours = np.array([catalog.products[p].colours[0] for p in ids])
    rows, cols = [], []
    for shopper in range(200):
        same = np.flatnonzero(colours == rng.choice(np.unique(colours)))
        chosen = rng.choice(same, min(8, len(same)), replace=False)
        rows += [shopper] * len(chosen)
        cols += chosen.tolist()
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(200, len(ids)))


def test_weights_start_equal_and_learn_that_colour_is_what_shoppers_follow():
    catalog = Catalog.load()
    index = ContentIndex(catalog)
    assert np.allclose(index.weights, 1 / len(ATTRIBUTES))
    weights = index.learn_weights(colour_loyal_shoppers(catalog, index.ids))
    assert max(weights, key=weights.get) == "colour", weights
    assert weights["colour"] > 0.5 and abs(sum(weights.values()) - 1) < 1e-6, weights


def test_learned_weights_rank_a_shoppers_next_product_better_than_equal_weights():
    catalog = Catalog.load()
    index = ContentIndex(catalog)
    train, held = colour_loyal_shoppers(catalog, index.ids, seed=1), colour_loyal_shoppers(catalog, index.ids, seed=2)

    def hit_rate() -> float:
        hits = []
        for shopper in range(held.shape[0]):
            items = held[shopper].indices
            scores = index.similar_to([index.ids[i] for i in items[:-1]])
            scores[items[:-1]] = -np.inf
            hits.append(items[-1] in np.argsort(-scores)[:10])
        return float(np.mean(hits))

    equal = hit_rate()
    index.learn_weights(train)
    assert hit_rate() > equal + 0.1, (equal, hit_rate())


def test_an_attribute_the_store_filters_on_gets_no_weight_when_learned_within_it():
    catalog = Catalog.load()
    index = ContentIndex(catalog)
    genders = np.array([catalog.products[p].gender for p in index.ids])
    rng = np.random.default_rng(4)
    rows, cols = [], []
    for shopper in range(300):  # gender-loyal, and within it loyal to one category
        mine = np.flatnonzero(genders == ("women" if shopper % 2 else "men"))
        categories = np.array([catalog.products[index.ids[i]].category for i in mine])
        chosen = rng.choice(mine[categories == rng.choice(np.unique(categories))], 6, replace=False)
        rows += [shopper] * 6
        cols += chosen.tolist()
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(300, len(index.ids)))
    everywhere = ContentIndex(catalog).learn_weights(matrix)
    within = index.learn_weights(matrix, within="gender")
    assert everywhere["gender"] > 0.2, everywhere  # across the whole shop, gender predicts a lot
    assert within["gender"] < 0.02 and max(within, key=within.get) == "category", within


def test_too_few_interactions_keep_equal_weights_and_learning_is_repeatable():
    catalog = Catalog.load()
    index = ContentIndex(catalog)
    tiny = sparse.csr_matrix((np.ones(4), ([0, 0, 1, 1], [0, 1, 2, 3])), shape=(2, len(index.ids)))
    assert set(index.learn_weights(tiny).values()) == {1 / len(ATTRIBUTES)}
    matrix = colour_loyal_shoppers(catalog, index.ids)
    assert ContentIndex(catalog).learn_weights(matrix) == ContentIndex(catalog).learn_weights(matrix)
