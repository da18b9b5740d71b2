"""Stock, carts, orders and shopper secrets in the store's SQLite file.

A purchase is one `BEGIN IMMEDIATE` transaction: every line's stock is checked and decremented
together, so two buyers of the last item (even in two server processes sharing the file) cannot
both get it, and a crash leaves either the whole order or none of it. The catalogue's in-memory
stock follows the database, so recommendations never offer what is sold out.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from store.ledger import Ledger, StoreError
from store.pricing import Pricing

MAX_QUANTITY = 10


@dataclass(frozen=True)
class Order:
    id: int
    shopper_id: str
    lines: list[dict]
    total: float
    sold_out: list[tuple[str, str]]  # (product, size) this order emptied


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Shop:
    """The selling side of a `Ledger`: stock per size, carts, orders, and who may act as whom."""

    def __init__(self, store: Ledger, pricing: Pricing | None = None):
        self.store = store
        self.pricing = pricing  # None: list prices
        self.db = store.db
        self.catalog = store.catalog
        rows = [(p.id, size, count) for p in self.catalog.products.values() for size, count in p.sizes.items()]
        with store.transaction():
            self.db.executemany("INSERT OR IGNORE INTO stock VALUES (?, ?, ?)", rows)  # first run: the catalogue's stock
        self.refresh_stock()

    def refresh_stock(self) -> None:
        """Copy the database's stock into the catalogue (what recommendations read)."""
        for product_id, size, count in self.db.execute("SELECT product_id, size, count FROM stock"):
            product = self.catalog.products.get(product_id)
            if product is not None and size in product.sizes:
                product.sizes[size] = count

    def stock(self, product_id: str) -> dict[str, int]:
        self.catalog.get(product_id)
        return dict(self.db.execute("SELECT size, count FROM stock WHERE product_id = ?", (product_id,)).fetchall())

    def set_stock(self, product_id: str, size: str, count: int) -> None:
        """Restock (a designer's edit): the count of one size."""
        self.catalog.check_size(product_id, size)
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 100_000:
            raise StoreError(f"stock count {count!r} must be an integer in [0, 100000]")
        self.db.execute("UPDATE stock SET count = ? WHERE product_id = ? AND size = ?", (count, product_id, size))
        self.catalog.products[product_id].sizes[size] = count

    # shoppers' secrets: a returning shopper proves who they are with the secret given at first join
    def register(self, shopper_id: str, name: str, measurements: dict, fit_preference: str = "regular") -> str:
        secret = secrets.token_urlsafe(18)
        with self.store.transaction():
            self.store.add_shopper(shopper_id, measurements, fit_preference)
            self.db.execute("INSERT INTO shopper_secrets VALUES (?, ?, ?)", (shopper_id, _digest(secret), name))
        return secret

    def authenticate(self, shopper_id: str, secret: str) -> str:
        """The shopper's name if the secret is theirs; StoreError otherwise (same words either way)."""
        row = self.db.execute("SELECT secret_sha256, name FROM shopper_secrets WHERE shopper_id = ?",
                              (shopper_id,)).fetchone()
        if row is None or not secrets.compare_digest(row[0], _digest(secret)):
            raise StoreError("unknown shopper or wrong secret")
        return row[1]

    def cart(self, shopper_id: str) -> list[dict]:
        rows = self.db.execute("SELECT product_id, size, quantity FROM cart_lines WHERE shopper_id = ? "
                               "ORDER BY product_id, size", (shopper_id,)).fetchall()
        return [{"product": p, "size": s, "quantity": q, "price": self.price_for(shopper_id, p)} for p, s, q in rows]

    def price_for(self, shopper_id: str, product_id: str) -> float:
        """What this shopper pays for the product now (the price rules, or list in the experiment's control)."""
        return self.pricing.price_for(shopper_id, product_id) if self.pricing else self.catalog.get(product_id).price

    def add_to_cart(self, shopper_id: str, product_id: str, size: str, quantity: int = 1) -> list[dict]:
        self.store._check(shopper_id, product_id, size)
        if not 1 <= quantity <= MAX_QUANTITY:
            raise StoreError(f"quantity must be 1 to {MAX_QUANTITY}")
        if self.stock(product_id)[size] < quantity:
            raise StoreError(f"{product_id} in size {size} is sold out")
        self.db.execute("INSERT INTO cart_lines VALUES (?, ?, ?, ?) ON CONFLICT (shopper_id, product_id, size) "
                        f"DO UPDATE SET quantity = MIN(quantity + excluded.quantity, {MAX_QUANTITY})",
                        (shopper_id, product_id, size, quantity))
        self.store.record(shopper_id, product_id, "cart", size)
        return self.cart(shopper_id)

    def remove_from_cart(self, shopper_id: str, product_id: str, size: str) -> list[dict]:
        self.db.execute("DELETE FROM cart_lines WHERE shopper_id = ? AND product_id = ? AND size = ?",
                        (shopper_id, product_id, size))
        return self.cart(shopper_id)

    def buy(self, shopper_id: str) -> Order:
        """Turn the cart into an order, all lines or none; StoreError names a line that is out of stock."""
        lines = self.cart(shopper_id)
        if not lines:
            raise StoreError("the cart is empty")
        now, arm = self.store.clock(), self.store.arm(shopper_id)
        with self.store.transaction():
            for line in lines:
                changed = self.db.execute(
                    "UPDATE stock SET count = count - ? WHERE product_id = ? AND size = ? AND count >= ?",
                    (line["quantity"], line["product"], line["size"], line["quantity"])).rowcount
                if changed != 1:
                    raise StoreError(f"{line['product']} in size {line['size']} sold out before you bought it")
            total = round(sum(line["price"] * line["quantity"] for line in lines), 2)
            order_id = self.db.execute("INSERT INTO orders (shopper_id, total, at, arm) VALUES (?, ?, ?, ?)",
                                       (shopper_id, total, now, arm)).lastrowid
            self.db.executemany("INSERT INTO order_lines VALUES (?, ?, ?, ?, ?)",
                                [(order_id, ln["product"], ln["size"], ln["quantity"], ln["price"]) for ln in lines])
            self.db.executemany("INSERT INTO events (shopper_id, product_id, kind, size, at, arm) "
                                "VALUES (?, ?, 'purchase', ?, ?, ?)", [(shopper_id, ln["product"], ln["size"], now, arm)
                                                                      for ln in lines])
            self.db.execute("INSERT INTO stock_outs SELECT ?, product_id, size, ?, ? FROM stock "
                            f"WHERE count = 0 AND (product_id, size) IN (VALUES {', '.join(['(?, ?)'] * len(lines))})",
                            (order_id, arm, now, *[v for ln in lines for v in (ln["product"], ln["size"])]))
            self.db.execute("DELETE FROM cart_lines WHERE shopper_id = ?", (shopper_id,))
        sold_out = []
        for line in lines:
            count = self.stock(line["product"])[line["size"]]
            self.catalog.products[line["product"]].sizes[line["size"]] = count
            if count == 0:
                sold_out.append((line["product"], line["size"]))
        return Order(order_id, shopper_id, lines, total, sold_out)

    def orders(self, shopper_id: str | None = None) -> list[dict]:
        query = "SELECT id, shopper_id, total FROM orders" + (" WHERE shopper_id = ?" if shopper_id else "") + " ORDER BY id"
        return [{"id": i, "shopper": s, "total": t} for i, s, t in self.db.execute(query, (shopper_id,) if shopper_id else ())]

    def forget_idle_shoppers(self, joined_before: float, keep: set[str] = frozenset()) -> int:
        """Delete shoppers who joined before `joined_before` (unix seconds) and left nothing worth keeping:
        no event, feedback, cart line or order. `keep`: shoppers on the floor now. How many went."""
        idle = [row[0] for row in self.db.execute(
            "SELECT id FROM shoppers s WHERE created < ? "
            "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.shopper_id = s.id) "
            "AND NOT EXISTS (SELECT 1 FROM fit_feedback f WHERE f.shopper_id = s.id) "
            "AND NOT EXISTS (SELECT 1 FROM cart_lines c WHERE c.shopper_id = s.id) "
            "AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.shopper_id = s.id)", (joined_before,))
            if row[0] not in keep]
        with self.store.transaction():
            self.db.executemany("DELETE FROM shopper_secrets WHERE shopper_id = ?", [(s,) for s in idle])
            self.db.executemany("DELETE FROM shoppers WHERE id = ?", [(s,) for s in idle])
        return len(idle)
