"""Generate the default store catalogue, assets/catalog/products.json, from our garment library.

    .venv/bin/python scripts/make_catalog.py [--count 240] [--seed 7]

Deterministic (seeded). Every product names the garment category and size chart behind it, so a
try-on drapes exactly what is sold. The format is documented in docs/catalog.md.
"""

from __future__ import annotations

import argparse
import json

from store.catalog import DEFAULT_CATALOG, generate_products


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=240)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    products = generate_products(args.count, args.seed)
    DEFAULT_CATALOG.write_text(json.dumps({"version": 1, "products": products}, indent=1))
    print(f"wrote {len(products)} products to {DEFAULT_CATALOG}")


if __name__ == "__main__":
    main()
