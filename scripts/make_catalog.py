"""Generate the default store catalogue, assets/catalog/products.json, from our garment library.

    .venv/bin/python scripts/make_catalog.py [--count 240] [--seed 7]

Deterministic (seeded). Every product names the garment category and size chart behind it, so a
try-on drapes exactly what is sold. The format is documented in docs/catalog.md.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from engine.garments.charts import ASSETS, CATEGORIES, CHARTS, load_chart

COLOURS = ["black", "white", "navy", "grey", "beige", "olive", "burgundy", "sky blue", "red", "mustard", "pink", "teal"]
PATTERNS = ["solid", "solid", "solid", "stripe", "check", "print"]
STYLES = {"tee": ["casual", "sport"], "longsleeve": ["casual", "formal"], "jacket": ["formal", "casual"],
          "dress": ["formal", "casual"], "trousers": ["casual", "formal", "sport"], "skirt": ["casual", "formal"]}
SEASONS = ["spring", "summer", "autumn", "winter", "all"]
BASE_PRICE = {"tee": 19, "longsleeve": 35, "jacket": 120, "dress": 70, "trousers": 60, "skirt": 45}
NAMES = {"tee": "T-shirt", "longsleeve": "Shirt", "jacket": "Jacket", "dress": "Dress", "trousers": "Trousers",
         "skirt": "Skirt"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    charts = sorted(p.stem for p in CHARTS.glob("*.json"))
    products = []
    for index in range(args.count):
        category, gender = charts[index % len(charts)].rsplit("_", 1)
        chart = load_chart(category, gender)
        colours = [str(c) for c in rng.choice(COLOURS, 2, replace=False)]
        pattern = str(rng.choice(PATTERNS))
        style = str(rng.choice(STYLES[category]))
        season = str(rng.choice(SEASONS))
        price = round(float(BASE_PRICE[category] * rng.uniform(0.7, 1.6)), 2)
        stock = {label: int(rng.choice([0, 2, 5, 10, 20], p=[0.08, 0.22, 0.3, 0.25, 0.15])) for label in chart.labels}
        products.append({
            "id": f"P{index + 1:04d}",
            "name": f"{colours[0].title()} {pattern if pattern != 'solid' else ''} {NAMES[category]}".replace("  ", " "),
            "category": category, "gender": gender, "colours": colours, "pattern": pattern,
            "style": style, "season": season, "price": price, "currency": "EUR",
            "garment": category, "size_chart": f"{category}_{gender}", "fabric": CATEGORIES[category][0],
            "sizes": stock,
        })
    path = ASSETS / "catalog" / "products.json"
    path.write_text(json.dumps({"version": 1, "products": products}, indent=1))
    print(f"wrote {len(products)} products to {path}")


if __name__ == "__main__":
    main()
