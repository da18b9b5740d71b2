"""Content: products as attribute vectors (for cold start), and outfit compatibility between two.

Compatibility is written down, not learned: complementary categories (a top with a bottom, a
jacket over a top or a dress), colour harmony (neutrals go with anything; a colour with itself;
a few classic pairs), the same formality, and seasons that agree. Similarity between products
for a shopper's taste weighs each attribute by what the store's interactions say it is worth.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, sparse

from store.catalog import Catalog, Product

NEUTRALS = {"black", "white", "navy", "grey", "beige"}
COLOUR_PAIRS = {frozenset(p) for p in [("olive", "mustard"), ("burgundy", "pink"), ("sky blue", "mustard"),
                                         ("teal", "beige"), ("red", "navy"), ("olive", "burgundy")]}
TOPS, BOTTOMS = {"tee", "longsleeve"}, {"trousers", "skirt"}
COMPLEMENTS = {("tee", "jacket"), ("longsleeve", "jacket"), ("dress", "jacket")} | {
    (a, b) for a in TOPS for b in BOTTOMS} | {("jacket", b) for b in BOTTOMS}


def complementary(a: str, b: str) -> bool:
    return (a, b) in COMPLEMENTS or (b, a) in COMPLEMENTS


def colour_harmony(a: Product, b: Product) -> float:
    """1 for a neutral or the same colour, 0.8 for a classic pair, 0.2 otherwise."""
    x, y = a.colours[0], b.colours[0]
    if x in NEUTRALS or y in NEUTRALS or x == y:
        return 1.0
    return 0.8 if frozenset((x, y)) in COLOUR_PAIRS else 0.2


def compatibility(a: Product, b: Product) -> tuple[float, str]:
    """How well two products make an outfit (0: not an outfit), and why."""
    if a.id == b.id or not complementary(a.category, b.category) or a.gender != b.gender:
        return 0.0, ""
    colour = colour_harmony(a, b)
    formality = 1.0 if a.style == b.style else 0.4
    season = 1.0 if "all" in (a.season, b.season) or a.season == b.season else 0.5
    reasons = [f"{b.category} goes with a {a.category}"]
    if colour >= 0.8:
        reasons.append(f"{b.colours[0]} goes with {a.colours[0]}")
    if formality == 1.0:
        reasons.append(f"both {a.style}")
    return colour * formality * season, ", ".join(reasons)


ATTRIBUTES = ("category", "gender", "colour", "pattern", "style", "season", "price band")


def _attribute_values(p: Product) -> tuple[str, ...]:
    """A product's value of each of `ATTRIBUTES` (the price band is the power of two under the price)."""
    return (p.category, p.gender, p.colours[0], p.pattern, p.style, p.season, str(int(np.log2(max(p.price, 1)))))


class ContentIndex:
    """Products as attribute values; two products' similarity is the weighted share of attributes
    they agree on. The weights start equal (the cosine of one-hot vectors) and are learned from
    interactions by `learn_weights`: an attribute weighs what it tells about which products the
    same shopper engages with."""

    def __init__(self, catalog: Catalog):
        self.ids = list(catalog.products)
        self.index = {pid: i for i, pid in enumerate(self.ids)}
        values = np.array([_attribute_values(catalog.products[pid]) for pid in self.ids]).reshape(-1, len(ATTRIBUTES))
        self.codes = np.stack([np.unique(column, return_inverse=True)[1] for column in values.T], axis=1)
        self.weights = np.full(len(ATTRIBUTES), 1.0 / len(ATTRIBUTES))

    def learn_weights(self, matrix: sparse.csr_matrix, within: str | None = None, seed: int = 0) -> dict[str, float]:
        """Fit the attribute weights to a shoppers x products matrix; returns them by attribute name.

        For every interaction (shopper, product), one other product of the same shopper is a positive
        pair and one product drawn at random a negative; a logistic regression on which attributes each
        pair agrees on, with weights kept non-negative, tells how much each attribute predicts a shared
        shopper. `within` names an attribute the caller already filters on (the store shows a shopper
        their own gender's cut): negatives are drawn with the anchor's value of it, so the weights say
        what matters beyond the filter. Weights are normalised to sum to 1, so similarities stay in
        [0, 1]; too few pairs (or no attribute that helps) keeps the equal weights.
        """
        rng = np.random.default_rng(seed)
        counts = np.diff(matrix.indptr)
        rows = np.repeat(np.arange(matrix.shape[0]), counts)
        keep = counts[rows] >= 2
        if keep.sum() < 50:
            return dict(zip(ATTRIBUTES, self.weights.tolist()))
        anchor = matrix.indices[keep]
        start, count = matrix.indptr[rows[keep]], counts[rows[keep]]
        offset = (np.flatnonzero(keep) - start + rng.integers(1, count)) % count  # another of the shopper's products
        positive = matrix.indices[start + offset]
        if within is None:
            negative = rng.integers(0, len(self.ids), len(anchor))
        else:  # a random product of the anchor's stratum: products sorted by stratum, then an offset in its run
            stratum = self.codes[:, ATTRIBUTES.index(within)]
            by_stratum = np.argsort(stratum, kind="stable")
            first = np.searchsorted(stratum[by_stratum], stratum[anchor])
            size = np.bincount(stratum)[stratum[anchor]]
            negative = by_stratum[first + (rng.random(len(anchor)) * size).astype(int)]
        agree = np.concatenate([self.codes[anchor] == self.codes[positive], self.codes[anchor] == self.codes[negative]])
        label = np.r_[np.ones(len(anchor)), np.zeros(len(anchor))]
        features = np.c_[agree.astype(float), np.ones(len(label))]

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            z = features @ w
            p = 1.0 / (1.0 + np.exp(-z))
            value = np.logaddexp(0.0, z).sum() - label @ z + 0.5 * w[:-1] @ w[:-1]
            return value, features.T @ (p - label) + np.r_[w[:-1], 0.0]

        bounds = [(0.0, None)] * len(ATTRIBUTES) + [(None, None)]
        fitted = optimize.minimize(loss, np.zeros(len(ATTRIBUTES) + 1), jac=True, method="L-BFGS-B", bounds=bounds).x[:-1]
        if fitted.sum() > 1e-6:
            self.weights = fitted / fitted.sum()
        return dict(zip(ATTRIBUTES, self.weights.round(4).tolist()))

    def similar_to(self, product_ids: list[str]) -> np.ndarray:
        """Mean weighted agreement of every product with the given ones (zeros for none)."""
        if not product_ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        given = self.codes[[self.index[pid] for pid in product_ids]]
        agree = self.codes[:, None, :] == given[None, :, :]
        return (agree @ self.weights).mean(axis=1).astype(np.float32)
