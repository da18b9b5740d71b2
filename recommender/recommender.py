"""`Recommender`: the size that fits and the products and outfits that suit, in-process.

Sizes: the latent-size model (learned from the store's fit feedback, cold start = the chart and
physics rule on the shopper's measured girth), never a sold-out size. Products: collaborative
filtering on the store's interactions (item-kNN while they are few, then the model named at
construction, by default Fitroom's EASE + Mult-VAE hybrid), content similarity to what the shopper
looked at (attribute weights learned from the same interactions), and popularity, summed;
filtered by category, price and the shopper's size being in stock; each with a reason. Outfits:
written-down compatibility (see `recommender.content`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from avatars import BodyMeasurements
from avatars.population import complete
from engine.garments.charts import (
    CHART_GENDER,
    COMFORT_MARGIN_CM,
    fit_rules,
    load_chart,
)
from engine.size import chart_size
from recommender.collaborative import ItemKNN, Model
from recommender.content import (
    ATTRIBUTES,
    COMPLEMENTS,
    NEUTRALS,
    ContentIndex,
    compatibility,
)
from recommender.models import make_model
from recommender.persona import Persona, build_personas
from recommender.size_model import Feedback, LatentSizeModel
from store.catalog import Catalog, Product
from store.experiments import Arm, Experiment
from store.ledger import Ledger

KEY_GIRTH = {"tee": "chest", "longsleeve": "chest", "jacket": "chest", "dress": "chest", "trousers": "hip", "skirt": "hip"}
MF_MIN_INTERACTIONS = 2000  # below this, learned models fit noise: item-kNN alone
PART = {"chest": "chest", "hip": "hips"}  # what a shopper calls the girth a size is chosen by


def ease_feel(ease_cm: float, tight_cm: float, loose_cm: float) -> str:
    """tight, snug, comfortable or roomy: how a garment's ease over the body feels."""
    if ease_cm < tight_cm:
        return "tight"
    if ease_cm < tight_cm + COMFORT_MARGIN_CM:
        return "snug"
    return "comfortable" if ease_cm <= loose_cm else "roomy"


def ease_words(ease_cm: float, tight_cm: float, loose_cm: float, part: str) -> str:
    """A garment's ease over the body in a shopper's words: "roomy at the chest, 14 cm to spare"."""
    feel = ease_feel(ease_cm, tight_cm, loose_cm)
    spare = f"{ease_cm:.0f} cm to spare" if ease_cm >= 0 else f"{-ease_cm:.0f} cm short"
    return f"{feel} at the {part}, {spare}"


EVENT_WEIGHT = {"view": 1.0, "tryon": 2.0, "cart": 3.0, "purchase": 4.0, "return": -2.0}


@dataclass(frozen=True)
class Recommendation:
    product_id: str
    size: str | None
    score: float
    reason: str
    ease_cm: float | None = None  # size advice: the garment's girth over the body's, at the girth sizes go by

    def as_dict(self) -> dict:
        return {"product": self.product_id, "size": self.size, "score": round(self.score, 4), "reason": self.reason}


class Recommender:
    """Answers for one store: call `train()` after feedback and events accumulate."""

    def __init__(self, store: Ledger, catalog: Catalog | None = None, model: str | None = None,
                 experiment: Experiment | None = None, arm_models: tuple[str, str] = ("item-knn", "fitroom")):
        """`model`: a name in `recommender.models.MODELS` for the collaborative part, always used;
        None for the store's default, item-kNN until the interactions are enough for the hybrid.
        `experiment` (subject: recommender): its control arm is recommended to by `arm_models[0]`, its
        treatment arm by `arm_models[1]`, so the store's A/B report compares the two."""
        for name in ([model] if model else []) + (list(arm_models) if experiment else []):
            make_model(name)  # an unknown name fails here, when the store opens, not at the first request
        self.store, self.model_name = store, model
        self.experiment, self.arm_models = experiment, arm_models
        self.catalog = catalog or store.catalog
        self.ids = list(self.catalog.products)
        self.index = {pid: i for i, pid in enumerate(self.ids)}
        self.content = ContentIndex(self.catalog)
        self.cf: Model | None = None
        self.cf_by_arm: dict[Arm, Model] = {}
        self.girths = {pid: np.array([self._chart_girth(p, size) for size in p.sizes])
                       for pid, p in self.catalog.products.items()}
        attributes = [(p.category, p.gender, p.colours[0], p.style, p.season) for p in self.catalog.products.values()]
        self.attributes = {name: np.array(column) for name, column in
                           zip(("category", "gender", "colour", "style", "season"), zip(*attributes))}
        self.users: dict[str, int] = {}
        self.size_models: dict[str, tuple[LatentSizeModel, dict[str, int]]] = {}
        self.train()

    # --- training -----------------------------------------------------------------------------
    def train(self) -> None:
        """Refit item-kNN on the store's events and a latent-size model per key girth on its feedback."""
        self._bodies: dict[str, dict[str, float]] = {}
        rows = self.store.interactions()
        self.popularity = np.zeros(len(self.ids), dtype=np.float32)
        self.personas = {}
        if rows:
            shoppers = sorted({r[0] for r in rows})
            self.users = {s: i for i, s in enumerate(shoppers)}
            signed = [(self.users[s], self.index[p], EVENT_WEIGHT[k]) for s, p, k in rows if p in self.index]
            if signed:
                su, si, sw = map(np.array, zip(*signed))
                self.personas = build_personas(sparse.csr_matrix((sw, (su, si)), shape=(len(shoppers), len(self.ids))),
                                               np.bincount(su, minlength=len(shoppers)), shoppers, self.catalog, self.ids)
            known = [(self.users[s], self.index[p], max(EVENT_WEIGHT[k], 0.0)) for s, p, k in rows if p in self.index]
            u, i, w = map(np.array, zip(*known))
            matrix = sparse.csr_matrix((w, (u, i)), shape=(len(shoppers), len(self.ids)))
            matrix.data = np.minimum(matrix.data, 1.0)
            self.popularity = np.asarray(matrix.sum(axis=0)).ravel().astype(np.float32)
            self.content.learn_weights(matrix, within="gender")  # recommend() shows the shopper's own cut only
            if self.experiment is not None:
                self.cf_by_arm = {arm: make_model(name).fit(matrix) for arm, name in zip(Arm, self.arm_models)}
            elif self.model_name is not None:
                self.cf = make_model(self.model_name).fit(matrix)
            else:  # enough interactions for learned models to mean something: the hybrid, else item-kNN alone
                self.cf = (make_model("fitroom") if matrix.nnz >= MF_MIN_INTERACTIONS else ItemKNN(neighbours=50)).fit(matrix)
        notes = self.store.feedback_rows()
        self.noted_by, self.noted_on = {row[0] for row in notes}, {row[1] for row in notes}
        for girth in set(KEY_GIRTH.values()):
            self.size_models[girth] = self._train_sizes(girth)

    def retrained(self) -> Recommender:
        """A new recommender trained on the store's data, safe to call in another thread.

        It reads through a connection of its own (SQLite connections stay in their thread) and then
        answers through this one's store, so the caller swaps it in once it is ready and nobody ever
        sees a half-trained model.
        """
        own = Ledger(self.store.path, self.catalog)
        try:
            fresh = Recommender(own, self.catalog, self.model_name, self.experiment, self.arm_models)
        finally:
            own.close()
        fresh.store = self.store
        return fresh

    def _train_sizes(self, girth: str) -> tuple[LatentSizeModel, dict[str, int]]:
        shoppers = self.store.shopper_ids()
        index = {s: i for i, s in enumerate(shoppers)}
        bodies = np.array([self.body_cm(s)[girth] for s in shoppers]) if shoppers else np.zeros(0)
        tight, loose = fit_rules()["ease_cm"]["tee" if girth == "chest" else "trousers"][
            "chest" if girth == "chest" else "hip"]
        model = LatentSizeModel(bodies, len(self.ids), tight, loose)
        rows = [(index[s], self.index[p], self._chart_girth(self.catalog.get(p), size), ["large", "fit", "small"].index(v))
                for s, p, size, v, _ in self.store.feedback_rows()
                if p in self.index and KEY_GIRTH[self.catalog.get(p).category] == girth]
        if rows:
            s, p, g, v = map(np.array, zip(*rows))
            model.fit(Feedback(s, p, g.astype(float), v))
        return model, index

    @property
    def content_weights(self) -> dict[str, float]:
        """How much each product attribute counts in content similarity, as last learned."""
        return dict(zip(ATTRIBUTES, self.content.weights.round(4).tolist()))

    def persona(self, shopper_id: str) -> Persona:
        """What the shopper's events say about them, as of the last training (empty for a newcomer)."""
        return self.personas.get(shopper_id) or Persona(shopper_id, 0)

    def ease_limits(self, girth: str) -> tuple[float, float]:
        """The ease (cm) under which a size by this girth is tight and over which it is loose, as learned."""
        model = self.size_models[girth][0]
        return -float(model.cuts[1]), -float(model.cuts[0])

    def body_changed(self, shopper_id: str) -> None:
        """The shopper corrected their measurements: read them again at the next size advice."""
        self._bodies.pop(shopper_id, None)

    def forget(self, shopper_id: str) -> None:
        """Drop what this model holds of a shopper who asked to be forgotten (persona, body) until retrained."""
        self.personas.pop(shopper_id, None)
        self._bodies.pop(shopper_id, None)

    def body_cm(self, shopper_id: str) -> dict[str, float]:
        """The shopper's nine measurements (given or filled from the population), cached until train()."""
        if shopper_id not in self._bodies:
            measurements = self.store.shopper(shopper_id)["measurements"]
            self._bodies[shopper_id] = complete(BodyMeasurements.from_dict(measurements))[0]
        return self._bodies[shopper_id]

    @staticmethod
    def _chart_girth(product: Product, size: str) -> float:
        chart = load_chart(product.category, product.gender)
        return float(chart.size(size)[KEY_GIRTH[product.category]])

    # --- answers ------------------------------------------------------------------------------
    def size_for(self, shopper_id: str, product_id: str) -> Recommendation:
        """The in-stock size most likely to fit, or size None with the reason.

        With no fit notes from the shopper or on the product, this is the size `fitroom size` picks
        (`engine.size.chart_size`: the same rule over the chart's points of measure); with notes, the
        latent-size model learned from them decides."""
        product = self.catalog.get(product_id)
        girth = KEY_GIRTH[product.category]
        labels = list(product.sizes)
        girths = self.girths[product_id]
        model, index = self.size_models[girth]
        body = self.body_cm(shopper_id)
        noted = shopper_id in self.noted_by or product_id in self.noted_on
        if shopper_id in index and noted:
            fit = model.predict_proba(np.full(len(labels), index[shopper_id]), np.full(len(labels), self.index[product_id]),
                                      girths)[:, 1]
            how = "from your fit notes" if shopper_id in self.noted_by else "from shoppers' fit notes on it"
        else:  # the chart rule's size first, then the nearest sizes, a larger one before a smaller
            rule = labels.index(chart_size(product.category, product.gender, body))
            steps = np.arange(len(labels)) - rule
            fit = 1.0 / (1.0 + np.abs(steps)) - 0.01 * (steps < 0)
            how = "by the size chart"
        tight, loose = self.ease_limits(girth)
        for k in np.argsort(-fit, kind="stable"):
            if product.in_stock(labels[k]):
                ease = float(girths[k] - body[girth])
                return Recommendation(product_id, labels[k], float(fit[k]),
                                      f"{labels[k]}: {ease_words(ease, tight, loose, PART[girth])} ({how})", ease)
        return Recommendation(product_id, None, 0.0, "sold out in every size")

    def scores(self, shopper_id: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Every product's score for this shopper (popularity, content similarity to what they looked at,
        collaborative filtering), its reason, and the shopper's history (product ids, oldest first)."""
        history = [e["product"] for e in self.store.history(shopper_id) if e["product"] in self.index] \
            if shopper_id else []
        score = 0.05 * np.log1p(self.popularity)
        reason = np.array(["popular in the store"] * len(self.ids), dtype=object)
        if history:
            similar = self.content.similar_to(history[-5:])
            score = score + similar
            reason[similar > 0.5] = f"like {self.catalog.get(history[-1]).name} you looked at"
        arm = self.experiment.arm(shopper_id) if self.experiment and shopper_id else None
        model = self.cf_by_arm.get(arm, self.cf) if arm else self.cf
        if model is not None and shopper_id in self.users:
            cf = model.score(np.array([self.users[shopper_id]]))[0]
            span = float(cf.max() - cf.min())
            if span > 0:
                cf = (cf - cf.min()) / span
                score = score + cf
                reason[cf > 0.8] = "shoppers with your taste chose it"
        return score, reason, history

    def recommend(self, shopper_id: str, k: int = 10, category: str | None = None,
                  price_range: tuple[float, float] | None = None) -> list[Recommendation]:
        """Products for this shopper, each with an in-stock size that fits and a reason."""
        sex = self.store.shopper(shopper_id)["measurements"].get("sex")
        score, reason, history = self.scores(shopper_id)
        seen = set(history)  # what the shopper has already met is not news
        out = []
        for i in np.argsort(-score):
            product = self.catalog.products[self.ids[i]]
            if product.id in seen or (category and product.category != category):
                continue
            if sex and product.gender != CHART_GENDER[sex]:
                continue
            if price_range and not price_range[0] <= product.price <= price_range[1]:
                continue
            size = self.size_for(shopper_id, product.id)
            if size.size is None:
                continue
            out.append(Recommendation(product.id, size.size, float(score[i]), f"{reason[i]}; {size.reason}"))
            if len(out) == k:
                break
        return out

    def outfit(self, product_id: str, k: int = 5, shopper_id: str | None = None) -> list[Recommendation]:
        """Products that make an outfit with this one, best first, in stock in the shopper's size."""
        anchor = self.catalog.get(product_id)
        a = self.attributes
        pairs = {(anchor.category, c) for c in set(a["category"])} & (COMPLEMENTS | {(y, x) for x, y in COMPLEMENTS})
        candidate = np.isin(a["category"], [c for _, c in pairs]) & (a["gender"] == anchor.gender)
        colour = np.where(np.isin(a["colour"], list(NEUTRALS)) | (anchor.colours[0] in NEUTRALS)
                          | (a["colour"] == anchor.colours[0]), 1.0, 0.2)
        score = candidate * colour * np.where(a["style"] == anchor.style, 1.0, 0.4) * np.where(
            (a["season"] == anchor.season) | (a["season"] == "all") | (anchor.season == "all"), 1.0, 0.5)
        out = []
        for i in np.argsort(-score, kind="stable"):
            if score[i] <= 0 or len(out) == k:
                break
            product = self.catalog.products[self.ids[i]]
            value, why = compatibility(anchor, product)  # the exact score (colour pairs too) and its reason
            size = self.size_for(shopper_id, product.id).size if shopper_id else None
            if (shopper_id and size is None) or not any(n > 0 for n in product.sizes.values()):
                continue
            out.append(Recommendation(product.id, size, value, why))
        return sorted(out, key=lambda r: -r.score)
