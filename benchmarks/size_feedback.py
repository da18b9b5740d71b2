"""Size prediction from fit feedback with known truth: ANSUR bodies buying catalogue tops.

    .venv/bin/python benchmarks/size_feedback.py [--shoppers 400] [--json out/size_feedback.json]

Truth: every product hides a vanity offset (its sizes are cut 0, ±3 or ±6 cm off the chart).
A shopper buys ~10 tops near their chart size and reports small / fit / large: the verdict the
physics fit analysis gives at the chest (sewn ease against `assets/fit_rules.json`, which the
drape reproduces: sewn girth = chart girth, tested to ±3 cm) on the product's true girth, with
2 cm of noise in how the shopper judges. Held-out feedback (20 %) is predicted by:
  chart-only - the physics rule on the chart girth (knows no offsets). Draping the chart size
               gives the same verdict here, since the sewn girth is the chart's, so a separate
               physics-only row would repeat this one;
  fitroom    - the latent-size model learned from the other 80 % (cold start = chart rule).
Right size first time: the size each method picks for a held-out (shopper, product) truly fits.
"""

from __future__ import annotations

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from avatars.ansur import load_subjects
from engine.garments.charts import fit_rules, load_chart
from recommender.size_model import VERDICTS, Feedback, LatentSizeModel
from store.catalog import Catalog

NOISE_CM = 2.0


def verdict_of(ease: np.ndarray, tight: float, loose: float) -> np.ndarray:
    """Physics rule: 0 large (too loose), 1 fit, 2 small (too tight)."""
    return np.where(ease < tight, 2, np.where(ease > loose, 0, 1))


def macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    scores = []
    for c in range(3):
        tp = np.sum((predicted == c) & (truth == c))
        precision = tp / max(np.sum(predicted == c), 1)
        recall = tp / max(np.sum(truth == c), 1)
        scores.append(0.0 if tp == 0 else 2 * precision * recall / (precision + recall))
    return float(np.mean(scores))


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--shoppers", type=int, default=400)
    parser.add_argument("--purchases", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    category = "tee"
    tight, loose = fit_rules()["ease_cm"][category]["chest"]
    subjects = load_subjects(args.shoppers, seed=args.seed)
    genders = np.array(["women" if s["sex"] == "female" else "men" for s in subjects])
    chest = np.array([s["chest"] for s in subjects])
    products = [p for p in Catalog.load().products.values() if p.category == category]
    offsets = rng.choice([-6.0, -3.0, 0.0, 3.0, 6.0], len(products))
    charts = {g: np.array([s["chest"] for s in load_chart(category, g).sizes]) for g in ("women", "men")}

    rows = []  # shopper, product, size index, chart girth, true verdict (noisy), noiseless verdict
    for u in range(len(subjects)):
        mine = [i for i, p in enumerate(products) if p.gender == genders[u]]
        girths = charts[genders[u]]
        chart_size = int(np.argmax(girths - chest[u] >= tight + 3)) if (girths - chest[u] >= tight + 3).any() else 5
        for product in rng.choice(mine, min(args.purchases, len(mine)), replace=False):
            k = int(np.clip(chart_size + rng.integers(-1, 2), 0, 5))
            ease = girths[k] + offsets[product] - chest[u]
            rows.append((u, product, k, girths[k], verdict_of(ease + rng.normal(0, NOISE_CM), tight, loose)))
    data = np.array(rows, dtype=float)
    test = rng.random(len(data)) < 0.2

    def feedback(mask: np.ndarray) -> Feedback:
        return Feedback(data[mask, 0].astype(int), data[mask, 1].astype(int), data[mask, 3], data[mask, 4].astype(int))
    train, held = feedback(~test), feedback(test)

    chart_only = verdict_of(held.garment_cm - chest[held.shopper], tight, loose)
    model = LatentSizeModel(chest, len(products), tight, loose).fit(train)
    learned = model.predict_proba(held.shopper, held.product, held.garment_cm).argmax(axis=1)
    results = {}
    for name, predicted in (("chart-only", chart_only), ("fitroom", learned)):
        results[name] = {"accuracy": round(float(np.mean(predicted == held.verdict)), 4),
                         "macro_f1": round(macro_f1(held.verdict, predicted), 4)}

    pairs = np.unique(np.stack([held.shopper, held.product], axis=1), axis=0)
    first_time = {"chart-only": [], "fitroom": []}
    for u, p in pairs:
        girths = charts[genders[u]]
        true_fit = verdict_of(girths + offsets[p] - chest[u], tight, loose) == 1
        rule = int(np.argmax(girths - chest[u] >= tight + 3)) if (girths - chest[u] >= tight + 3).any() else 5
        first_time["chart-only"].append(true_fit[rule])
        first_time["fitroom"].append(true_fit[model.best_size(u, p, girths)])
    for name, hits in first_time.items():
        results[name]["right_size_first_time"] = round(float(np.mean(hits)), 4)
    output = {"shoppers": len(subjects), "feedback": len(data), "held_out": int(test.sum()),
              "offset_recovery_corr": round(float(np.corrcoef(model.offset.numpy(), offsets)[0, 1]), 3), **results}

    table = Table(title=f"Size feedback: {len(subjects)} ANSUR shoppers, {len(data)} reports, {category}")
    for column in ("method", "accuracy", "macro-F1", "right size first time"):
        table.add_column(column, justify="right")
    for name, r in results.items():
        table.add_row(name, f"{r['accuracy']:.3f}", f"{r['macro_f1']:.3f}", f"{r['right_size_first_time']:.3f}")
    Console().print(table)
    Console().print(f"vanity offsets recovered: correlation {output['offset_recovery_corr']} "
                    f"(verdict classes {VERDICTS})")
    save(args.json, output)


if __name__ == "__main__":
    main()
