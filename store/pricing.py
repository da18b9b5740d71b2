"""Prices that move by rules, inside guardrails: never above the list price, never under the floor
(cost plus the minimum margin), never more than the maximum markdown off list. Every change is
stored with the rule that made it; a shopper in the pricing experiment's control arm sees list prices.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum

from store.catalog import Catalog, CatalogError, Product
from store.experiments import Arm, Experiment
from store.ledger import Ledger, StoreError
from store.settings import OpsSettings


class PriceRule(StrEnum):
    LIST = "list"
    SLOW_MOVER = "slow_mover"
    OVERSTOCK = "overstock"
    MANUAL = "manual"


class PriceError(StoreError):
    """A price or markdown that would break a guardrail, or a product that cannot be priced."""


@dataclass(frozen=True)
class PriceChange:
    product: str
    list_price: float
    old_price: float
    price: float
    rule: PriceRule
    at: float

    def as_dict(self) -> dict:
        return {**asdict(self), "rule": str(self.rule)}


def _cents(value: float) -> float:
    return round(value + 1e-9, 2)


class Pricing:
    """Current prices, read from and written to the ledger's `prices` and `price_changes` tables."""

    def __init__(self, ledger: Ledger, settings: OpsSettings, experiment: Experiment | None = None):
        self.ledger = ledger
        self.catalog: Catalog = ledger.catalog
        self.settings = settings
        self.experiment = experiment
        self.current: dict[str, tuple[float, PriceRule]] = {}
        self.version = 0  # counts changes seen, so a cache of prices knows when it is stale
        self.reload()

    def reload(self) -> None:
        """Read the prices again (another process sharing the file may have changed them)."""
        current = {p: (price, PriceRule(rule)) for p, price, rule in
                   self.ledger.db.execute("SELECT product_id, price, rule FROM prices")}
        if current != self.current:
            self.current, self.version = current, self.version + 1

    def _product(self, product_id: str) -> Product:
        try:
            return self.catalog.get(product_id)
        except CatalogError as exc:
            raise PriceError(str(exc)) from None

    def lowest(self, product: Product) -> float:
        """The lowest price the guardrails allow: the floor, or the maximum markdown if that is higher.
        A product without a cost cannot be marked down at all."""
        if product.cost is None:
            return product.price
        floor = product.cost * (1 + self.settings.min_margin)
        return min(product.price, _cents(max(floor, product.price * (1 - self.settings.price_rules.max_markdown))))

    def price(self, product_id: str) -> float:
        """The price the rules set (the list price when none did)."""
        product = self._product(product_id)
        return self.current.get(product_id, (product.price, PriceRule.LIST))[0]

    def rule(self, product_id: str) -> PriceRule:
        return self.current.get(product_id, (0.0, PriceRule.LIST))[1]

    def price_for(self, shopper_id: str, product_id: str) -> float:
        """What this shopper pays: list price in the experiment's control arm, the rules' price otherwise."""
        arm = self.experiment.arm(shopper_id) if self.experiment else None
        return self._product(product_id).price if arm is Arm.CONTROL else self.price(product_id)

    def set_price(self, product_id: str, price: float, rule: PriceRule, now: float) -> PriceChange | None:
        """Store a new price with its rule; PriceError, changing nothing, if it breaks a guardrail.
        None when the price is the current one."""
        product = self._product(product_id)
        if isinstance(price, bool) or not isinstance(price, int | float) or not price > 0:
            raise PriceError(f"price {price!r} for {product_id} must be a number above 0")
        price = _cents(price)
        if price > product.price:
            raise PriceError(f"price {price:.2f} for {product_id} is above its list price {product.price:.2f}")
        if price < self.lowest(product):
            raise PriceError(f"price {price:.2f} for {product_id} is under its floor {self.lowest(product):.2f} "
                             f"(cost {product.cost} plus {self.settings.min_margin:.0%} margin, at most "
                             f"{self.settings.price_rules.max_markdown:.0%} off list)")
        old = self.price(product_id)
        if price == old:
            return None
        with self.ledger.transaction():
            self.ledger.db.execute("INSERT INTO prices VALUES (?, ?, ?) ON CONFLICT (product_id) DO UPDATE SET "
                                   "price = excluded.price, rule = excluded.rule", (product_id, price, str(rule)))
            self.ledger.db.execute("INSERT INTO price_changes (product_id, old_price, new_price, rule, at) "
                                   "VALUES (?, ?, ?, ?, ?)", (product_id, old, price, str(rule), now))
        self.current[product_id] = (price, rule)
        self.version += 1
        return PriceChange(product_id, product.price, old, price, rule, now)

    def markdown(self, product_id: str, fraction: float, rule: PriceRule, now: float) -> PriceChange | None:
        """Take `fraction` off the current price; PriceError if the result breaks a guardrail."""
        if isinstance(fraction, bool) or not isinstance(fraction, int | float) or not 0 < fraction < 1:
            raise PriceError(f"markdown {fraction!r} must be a fraction between 0 and 1")
        return self.set_price(product_id, self.price(product_id) * (1 - fraction), rule, now)

    def changes(self, limit: int = 100) -> list[PriceChange]:
        rows = self.ledger.db.execute("SELECT product_id, old_price, new_price, rule, at FROM price_changes "
                                      "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [PriceChange(p, self.catalog.get(p).price, old, new, PriceRule(rule), at)
                for p, old, new, rule, at in rows if p in self.catalog.products]

    def apply_rules(self, sold: dict[str, float], stock: dict[str, int], daily_demand: dict[str, float],
                    open_days: float, now: float) -> list[PriceChange]:
        """Mark down slow movers and overstock, once per rule window per product, clamped to the guardrails.

        `sold`: units per product over the slow-mover window; `stock`: units on hand; `daily_demand`:
        forecast units per day; `open_days`: how long the store has sold (no rule fires before a window)."""
        self.reload()
        rules, day = self.settings.price_rules, self.settings.day_seconds
        if open_days < rules.slow_days:
            return []
        changes = []
        last_changes = dict(self.ledger.db.execute("SELECT product_id, MAX(at) FROM price_changes GROUP BY 1"))
        for product_id, product in self.catalog.products.items():
            last = last_changes.get(product_id)
            if last is not None and now - last < rules.slow_days * day:
                continue
            on_hand, units = stock.get(product_id, 0), sold.get(product_id, 0.0)
            if rules.slow_mover and on_hand and units / (units + on_hand) < rules.max_sell_through:
                rule, fraction = PriceRule.SLOW_MOVER, rules.slow_markdown
            elif rules.overstock and on_hand > rules.cover_days * daily_demand.get(product_id, 0.0):
                rule, fraction = PriceRule.OVERSTOCK, rules.overstock_markdown
            else:
                continue
            price = max(self.lowest(product), self.price(product_id) * (1 - fraction))
            change = self.set_price(product_id, price, rule, now) if fraction else None
            if change:
                changes.append(change)
        return changes
