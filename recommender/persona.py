"""Personas (用户画像): what each shopper's events say about them, and which segment they fall in.

Affinities are the shares of a shopper's event weight (a purchase counts more than a view; a return
counts against) that went to each category, colour and style. The price index is the weighted mean
of each product's price over its category's median; price sensitivity is the share of weight on
products priced under that median. Segments come from k-means over every shopper's category and
style affinities and price index (seeded, so a store's segments are the same each training), named
by what their centre leans to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.cluster.vq import kmeans2

from store.catalog import Catalog

MIN_EVENTS = 3  # fewer than this: no persona worth showing, segment "new"
SEGMENTS = 4


@dataclass
class Persona:
    shopper: str
    events: int
    categories: dict[str, float] = field(default_factory=dict)  # share of event weight, largest first
    colours: dict[str, float] = field(default_factory=dict)
    styles: dict[str, float] = field(default_factory=dict)
    price_index: float | None = None  # 1: category median prices; 0.8: a fifth under
    price_sensitivity: float | None = None  # share of weight on products under their category's median price
    typical_price: float | None = None  # weighted mean price of what they engage with
    segment: str = "new"

    def as_dict(self) -> dict:
        return {"shopper": self.shopper, "events": self.events, "categories": self.categories, "colours": self.colours,
                "styles": self.styles, "price_index": self.price_index, "price_sensitivity": self.price_sensitivity,
                "typical_price": self.typical_price, "segment": self.segment}

    def top(self, kind: str) -> str | None:
        values = getattr(self, kind)
        return next(iter(values), None) if values and next(iter(values.values())) >= 0.3 else None


def _shares(affinity: np.ndarray, names: list[str]) -> list[dict[str, float]]:
    """Each shopper's shares over 5 %, largest first."""
    order = np.argsort(-affinity, axis=1)
    return [{names[j]: round(float(row[j]), 3) for j in idx if row[j] > 0.05} for row, idx in zip(affinity, order)]


def build_personas(matrix: sparse.csr_matrix, events: np.ndarray, shoppers: list[str], catalog: Catalog,
                   ids: list[str], seed: int = 0) -> dict[str, Persona]:
    """Personas of every shopper in `matrix` (shoppers x products, summed event weights, rows in `shoppers`
    order); `events`: how many events each shopper has."""
    products = [catalog.products[i] for i in ids]
    if not shoppers:
        return {}
    weights = matrix.maximum(0).tocsr()  # a return counts against, never below nothing
    counts = np.asarray(events)
    features, names = {}, {}
    for kind, values in (("categories", [p.category for p in products]), ("colours", [p.colours[0] for p in products]),
                         ("styles", [p.style for p in products])):
        names[kind] = sorted(set(values))
        features[kind] = (np.array(values)[:, None] == np.array(names[kind])[None, :]).astype(float)
    prices = np.array([p.price for p in products])
    categories = np.array([p.category for p in products])
    median = {c: float(np.median(prices[categories == c])) for c in set(categories)}
    index = prices / np.array([median[c] for c in categories])
    total = np.maximum(np.asarray(weights.sum(axis=1)).ravel(), 1e-9)
    price_index, sensitivity = weights @ index / total, weights @ (index < 1.0) / total
    mean_price = weights @ prices / total
    affinity = {kind: np.asarray(weights @ features[kind]) / total[:, None] for kind in features}
    shares = {kind: _shares(affinity[kind], names[kind]) for kind in features}
    personas = {}
    for n, shopper in enumerate(shoppers):
        personas[shopper] = Persona(shopper, int(counts[n]), shares["categories"][n], shares["colours"][n],
                                    shares["styles"][n], round(float(price_index[n]), 3), round(float(sensitivity[n]), 3),
                                    round(float(mean_price[n]), 2))
    _segment(personas, shoppers, affinity, price_index, counts, names, seed)
    return personas


def _segment(personas, shoppers, affinity, price_index, counts, names, seed: int) -> None:
    """k-means over category and style affinities and the price index of shoppers with enough events."""
    active = np.flatnonzero(counts >= MIN_EVENTS)
    if len(active) < SEGMENTS * 3:
        return
    x = np.hstack([affinity["categories"], affinity["styles"], 0.5 * (price_index[:, None] - 1.0)])[active]
    k = min(SEGMENTS, len(np.unique(x.round(6), axis=0)))  # no more segments than distinct shoppers
    centres, labels = kmeans2(x, k, seed=seed, minit="++") if k > 1 else (x.mean(axis=0, keepdims=True),
                                                                          np.zeros(len(x), int))
    n_cat = len(names["categories"])
    for label, centre in enumerate(centres):
        category = names["categories"][int(np.argmax(centre[:n_cat]))]
        style = names["styles"][int(np.argmax(centre[n_cat:-1]))]
        price = "budget" if centre[-1] < -0.05 else "premium" if centre[-1] > 0.05 else "mid-price"
        for k in np.flatnonzero(labels == label):
            personas[shoppers[active[k]]].segment = f"{style} {category}, {price}"
