"""The store catalogue: products with attributes and stock per size (format: docs/catalog.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.garments.charts import ASSETS, CATEGORIES, CHARTS, load_chart

DEFAULT_CATALOG = ASSETS / "catalog" / "products.json"
#: The catalogue's colour names, with the sRGB hex renderers and clients draw them in.
COLOUR_HEX = {"black": "#222222", "white": "#f2f2ee", "navy": "#1f2f5c", "grey": "#8a8d91", "beige": "#d8c7a5",
              "olive": "#6b7035", "burgundy": "#6d1f2e", "sky blue": "#8cc4ea", "red": "#c0282d",
              "mustard": "#d1a22c", "pink": "#e8a0b8", "teal": "#1f7f80"}
COLOURS = list(COLOUR_HEX)
UNKNOWN_HEX = "#888888"  # a colour name outside COLOUR_HEX is drawn grey
PATTERNS = ["solid", "solid", "solid", "stripe", "check", "print"]
STYLES = {"tee": ["casual", "sport"], "longsleeve": ["casual", "formal"], "jacket": ["formal", "casual"],
          "dress": ["formal", "casual"], "trousers": ["casual", "formal", "sport"], "skirt": ["casual", "formal"]}
SEASONS = ["spring", "summer", "autumn", "winter", "all"]
OCCASIONS = ("wedding", "office", "party", "date", "sport", "beach", "everyday")
CURRENCIES = ("EUR", "CNY", "USD")
BASE_PRICE = {"tee": 19, "longsleeve": 35, "jacket": 120, "dress": 70, "trousers": 60, "skirt": 45}
NAMES = {"tee": "T-shirt", "longsleeve": "Shirt", "jacket": "Jacket", "dress": "Dress", "trousers": "Trousers",
         "skirt": "Skirt"}
REQUIRED = ("id", "name", "category", "gender", "colours", "pattern", "style", "season", "price", "sizes")


class CatalogError(ValueError):
    """A catalogue file is malformed, or a product or size is unknown."""


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    category: str
    gender: str
    colours: tuple[str, ...]
    pattern: str
    style: str
    season: str
    price: float           # the list price
    sizes: dict[str, int]  # stock per size label
    cost: float | None = None  # what the shop paid: price rules never go under it plus the minimum margin
    occasions: tuple[str, ...] = ()  # what it is worn to (OCCASIONS), for the shopping guide
    currency: str = "EUR"  # of price and cost

    @property
    def hex(self) -> str:
        """The main colour's sRGB hex, as the store page, try-ons and pictures draw it."""
        return COLOUR_HEX.get(self.colours[0], UNKNOWN_HEX)

    @property
    def accent_hex(self) -> str:
        """The colour a print (stripes, checks, dots) is drawn in: the second colour, else white."""
        return COLOUR_HEX.get(self.colours[1], UNKNOWN_HEX) if len(self.colours) > 1 else COLOUR_HEX["white"]

    def in_stock(self, size: str) -> bool:
        return self.sizes.get(size, 0) > 0


class Catalog:
    """Products by id; raises CatalogError naming what is wrong or unknown."""

    def __init__(self, products: list[Product]):
        self.products = {p.id: p for p in products}
        if len(self.products) != len(products):
            raise CatalogError("catalogue has duplicate product ids")

    @classmethod
    def load(cls, path: Path = DEFAULT_CATALOG) -> "Catalog":
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CatalogError(f"cannot read catalogue {path}: {exc}") from exc
        return cls.from_dicts(data.get("products", []) if isinstance(data, dict) else [], str(path))

    @classmethod
    def from_dicts(cls, rows: list[dict], source: str = "catalogue") -> "Catalog":
        """Validate product records (docs/catalog.md) into a catalogue."""
        products = []
        for index, raw in enumerate(rows):
            missing = [k for k in REQUIRED if k not in raw]
            if missing:
                raise CatalogError(f"product #{index} ({raw.get('id', '?')}) lacks {missing}")
            if raw["category"] not in CATEGORIES:
                raise CatalogError(f"product {raw['id']}: unknown category {raw['category']!r}")
            stock = raw["sizes"]
            if not isinstance(stock, dict) or any(not isinstance(v, int) or v < 0 for v in stock.values()):
                raise CatalogError(f"product {raw['id']}: 'sizes' must map size labels to stock counts >= 0")
            price, cost = raw["price"], raw.get("cost")
            if isinstance(price, bool) or not isinstance(price, int | float) or not 0 < price < 1e6:
                raise CatalogError(f"product {raw['id']}: price {price!r} must be a number above 0")
            if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int | float) or not 0 < cost <= price):
                raise CatalogError(f"product {raw['id']}: cost {cost!r} must be a number above 0 and at most the price")
            occasions, currency = raw.get("occasions", []), raw.get("currency", "EUR")
            if not isinstance(occasions, list) or any(o not in OCCASIONS for o in occasions):
                raise CatalogError(f"product {raw['id']}: occasions {occasions!r} must be a list of {OCCASIONS}")
            if currency not in CURRENCIES:
                raise CatalogError(f"product {raw['id']}: currency {currency!r} is not one of {CURRENCIES}")
            if raw["pattern"] not in PATTERNS:
                raise CatalogError(f"product {raw['id']}: pattern {raw['pattern']!r} is not one of {sorted(set(PATTERNS))}")
            products.append(Product(str(raw["id"]), raw["name"], raw["category"], raw["gender"],
                                    tuple(raw["colours"]), raw["pattern"], raw["style"], raw["season"],
                                    float(price), dict(stock), None if cost is None else float(cost),
                                    tuple(occasions), currency))
        if not products:
            raise CatalogError(f"{source} holds no products")
        return cls(products)

    def __len__(self) -> int:
        return len(self.products)

    def get(self, product_id: str) -> Product:
        try:
            return self.products[product_id]
        except KeyError:
            raise CatalogError(f"unknown product {product_id!r}") from None

    def check_size(self, product_id: str, size: str) -> Product:
        product = self.get(product_id)
        if size not in product.sizes:
            raise CatalogError(f"product {product_id} has no size {size!r}; sizes: {list(product.sizes)}")
        return product


def occasions_for(category: str, style: str, season: str) -> list[str]:
    """What a garment of this category, style and season is worn to (a merchandiser's rule of thumb)."""
    tags = set()
    if style == "formal":
        tags.add("office")
        if category in ("dress", "jacket", "longsleeve", "skirt"):
            tags.add("wedding")
    if category in ("dress", "skirt") or (category == "longsleeve" and style == "formal"):
        tags.add("party")
    if category in ("dress", "skirt") or (category == "longsleeve" and style == "casual"):
        tags.add("date")
    if style == "sport":
        tags.add("sport")
    if style == "casual":
        tags.add("everyday")
        if season in ("summer", "all") and category in ("tee", "dress", "skirt"):
            tags.add("beach")
    return [o for o in OCCASIONS if o in tags]


def _unique(name: str, accent: str, taken: set[str]) -> str:
    """The name, or with its second colour, or numbered, so no two products on the floor read alike."""
    candidates = [name, f"{name} with {accent}"] + [f"{name} with {accent} No. {n}" for n in range(2, 100)]
    chosen = next(c for c in candidates if c not in taken)
    taken.add(chosen)
    return chosen


def generate_products(count: int = 240, seed: int = 7) -> list[dict]:
    """`count` products drawn (seeded) over our garment library: every chart, colours, patterns,
    styles, seasons, prices and stock per size, some sizes sold out."""
    rng = np.random.default_rng(seed)
    costs = np.random.default_rng(seed + 1).uniform(0.35, 0.55, count)  # a stream of its own: the rest stays as it was
    charts = sorted(p.stem for p in CHARTS.glob("*.json"))
    products: list[dict] = []
    names: set[str] = set()
    for index in range(count):
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
            "name": _unique(f"{colours[0].title()} {pattern if pattern != 'solid' else ''} {NAMES[category]}"
                            .replace("  ", " "), colours[1], names),
            "category": category, "gender": gender, "colours": colours, "pattern": pattern,
            "style": style, "season": season, "occasions": occasions_for(category, style, season), "price": price, "cost": round(price * float(costs[index]), 2), "currency": "EUR",
            "garment": category, "size_chart": f"{category}_{gender}", "fabric": CATEGORIES[category][0],
            "sizes": stock,
        })
    return products
