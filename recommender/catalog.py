"""The store catalogue: products with attributes and stock per size (format: docs/catalog.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from engine.garments.charts import ASSETS, CATEGORIES

DEFAULT_CATALOG = ASSETS / "catalog" / "products.json"
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
    price: float
    sizes: dict[str, int]  # stock per size label

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
        products = []
        for index, raw in enumerate(data.get("products", []) if isinstance(data, dict) else []):
            missing = [k for k in REQUIRED if k not in raw]
            if missing:
                raise CatalogError(f"product #{index} ({raw.get('id', '?')}) lacks {missing}")
            if raw["category"] not in CATEGORIES:
                raise CatalogError(f"product {raw['id']}: unknown category {raw['category']!r}")
            stock = raw["sizes"]
            if not isinstance(stock, dict) or any(not isinstance(v, int) or v < 0 for v in stock.values()):
                raise CatalogError(f"product {raw['id']}: 'sizes' must map size labels to stock counts >= 0")
            products.append(Product(str(raw["id"]), raw["name"], raw["category"], raw["gender"],
                                    tuple(raw["colours"]), raw["pattern"], raw["style"], raw["season"],
                                    float(raw["price"]), dict(stock)))
        if not products:
            raise CatalogError(f"catalogue {path} holds no products")
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
