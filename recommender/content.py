"""Content: products as attribute vectors (for cold start), and outfit compatibility between two.

Compatibility is written down, not learned: complementary categories (a top with a bottom, a
jacket over a top or a dress), colour harmony (neutrals go with anything; a colour with itself;
a few classic pairs), the same formality, and seasons that agree.
"""

from __future__ import annotations

import numpy as np

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


class ContentIndex:
    """Unit attribute vectors of every product; cosine similarity by one matrix product."""

    def __init__(self, catalog: Catalog):
        self.ids = list(catalog.products)
        self.index = {pid: i for i, pid in enumerate(self.ids)}
        products = [catalog.products[pid] for pid in self.ids]
        vocabulary = sorted({f"{k}={v}" for p in products for k, v in self._attributes(p)})
        column = {term: j for j, term in enumerate(vocabulary)}
        vectors = np.zeros((len(products), len(vocabulary)), dtype=np.float32)
        for i, p in enumerate(products):
            for k, v in self._attributes(p):
                vectors[i, column[f"{k}={v}"]] = 1.0
        self.vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    @staticmethod
    def _attributes(p: Product) -> list[tuple[str, str]]:
        return [("category", p.category), ("gender", p.gender), ("colour", p.colours[0]), ("pattern", p.pattern),
                ("style", p.style), ("season", p.season), ("price", str(int(np.log2(max(p.price, 1)))))]

    def similar_to(self, product_ids: list[str]) -> np.ndarray:
        """Mean cosine similarity of every product to the given ones (zeros for none)."""
        if not product_ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        rows = self.vectors[[self.index[pid] for pid in product_ids]]
        return (self.vectors @ rows.T).mean(axis=1)
