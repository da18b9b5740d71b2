"""Every recommender model by name, with the settings chosen for it, so a store, a benchmark or an
A/B arm can pick one with a string (`make_model("ease")`).

Settings were chosen on a validation split carved out of MovieLens-100k's training part, never on
its test part (`benchmarks/recommend.py --tune` repeats the search).
"""

from __future__ import annotations

from collections.abc import Callable

from recommender.collaborative import (
    BPR,
    EASE,
    Hybrid,
    ItemKNN,
    Model,
    Popularity,
    Similarity,
    UserKNN,
)
from recommender.neural import MultVAE


def fitroom_hybrid() -> Hybrid:
    """Fitroom's blend: EASE's linear item-to-item weights and Mult-VAE's nonlinear taste, equally
    (item-kNN's neighbours added nothing on validation)."""
    return Hybrid((EASE(), 1.0), (MultVAE(), 1.0))


MODELS: dict[str, Callable[[], Model]] = {
    "popularity": Popularity,
    "item-knn": ItemKNN,
    "item-knn-pearson": lambda: ItemKNN(kind=Similarity.PEARSON),
    "user-knn": UserKNN,
    "user-knn-pearson": lambda: UserKNN(kind=Similarity.PEARSON),
    "bpr": BPR,
    "ease": EASE,
    "mult-vae": MultVAE,
    "fitroom": fitroom_hybrid,
}


def make_model(name: str) -> Model:
    """A fresh, unfitted model by its name in `MODELS`."""
    if name not in MODELS:
        raise ValueError(f"unknown recommender model {name!r}; known: {', '.join(MODELS)}")
    return MODELS[name]()
