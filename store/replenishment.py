"""Reorder points, low-stock alerts and replenishment suggestions per SKU (product and size).

The reorder point covers the lead time's expected demand plus safety stock at the service level:
ROP = d L + z sigma sqrt(L), with d the forecast units per day, sigma the forecast's one-step error
and z the normal quantile of the service level. A suggestion orders up to the same cover over the
lead time plus the review period. Alerts and suggestions live in SQLite; a partial unique index
keeps one open alert and one open suggestion per SKU, so a crossing is reported once.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np

from store.forecast import METHODS
from store.ledger import Ledger, StoreError
from store.settings import OpsSettings

Sku = tuple[str, str]  # (product id, size label)


@dataclass(frozen=True)
class SkuPlan:
    product: str
    size: str
    stock: int
    daily_demand: float
    sigma: float
    reorder_point: float
    order_up_to: float

    @property
    def low(self) -> bool:
        """At or under the reorder point, for a SKU that sells at all."""
        return self.reorder_point > 0 and self.stock <= self.reorder_point

    @property
    def quantity(self) -> int:
        return max(0, math.ceil(self.order_up_to - self.stock)) if self.low else 0


@dataclass(frozen=True)
class Alert:
    id: int
    product: str
    size: str
    stock: int
    reorder_point: float
    raised_at: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Suggestion:
    id: int
    product: str
    size: str
    quantity: int
    stock: int
    reorder_point: float
    suggested_at: float

    def as_dict(self) -> dict:
        return asdict(self)


def demand_history(ledger: Ledger, skus: list[Sku], until: float, day_seconds: float, days: int) -> np.ndarray:
    """Units sold per SKU (rows, in `skus`' order) per day (columns, oldest first) up to `until`."""
    start = until - days * day_seconds
    rows = ledger.db.execute(
        "SELECT l.product_id, l.size, CAST((o.at - ?) / ? AS INTEGER), SUM(l.quantity) FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id WHERE o.at >= ? AND o.at < ? GROUP BY 1, 2, 3",
        (start, day_seconds, start, until)).fetchall()
    index = {sku: n for n, sku in enumerate(skus)}
    history = np.zeros((len(skus), days))
    known = [(index[(p, s)], day, units) for p, s, day, units in rows if (p, s) in index and 0 <= day < days]
    if known:
        row, day, units = map(np.array, zip(*known))
        np.add.at(history, (row, day), units)
    return history


def plan(ledger: Ledger, settings: OpsSettings, now: float | None = None) -> list[SkuPlan]:
    """Forecast, reorder point and order-up-to level of every SKU in the catalogue."""
    now = time.time() if now is None else now
    stock = {(p, s): c for p, s, c in ledger.db.execute("SELECT product_id, size, count FROM stock ORDER BY 1, 2")}
    skus = list(stock)
    history = demand_history(ledger, skus, now, settings.day_seconds, settings.history_days)
    forecast = METHODS[settings.forecast_method](history, **dict(settings.forecast_params))
    z = NormalDist().inv_cdf(settings.service_level)
    lead, cover = settings.lead_time_days, settings.lead_time_days + settings.review_days
    reorder = forecast.rate * lead + z * forecast.sigma * math.sqrt(lead)
    up_to = forecast.rate * cover + z * forecast.sigma * math.sqrt(cover)
    return [SkuPlan(p, s, stock[(p, s)], round(float(d), 4), round(float(e), 4), round(float(r), 2), round(float(u), 2))
            for (p, s), d, e, r, u in zip(skus, forecast.rate, forecast.sigma, reorder, up_to)]


class Replenisher:
    """Raises and clears alerts, makes and settles suggestions, in the ledger's file."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger
        self.db = ledger.db

    def sync(self, plans: list[SkuPlan], now: float) -> tuple[list[Alert], list[Sku], list[Suggestion]]:
        """Open an alert for each SKU that is low and has none; clear those that are not low any more;
        keep one standing suggestion per low SKU. Returns (alerts raised, SKUs cleared, suggestions made)."""
        low = [p for p in plans if p.low]
        fine = [(p.product, p.size) for p in plans if not p.low]
        with self.ledger.transaction():
            before = self.db.execute("SELECT MAX(id) FROM stock_alerts").fetchone()[0] or 0
            suggested_before = self.db.execute("SELECT MAX(id) FROM replenishments").fetchone()[0] or 0
            self.db.executemany("INSERT OR IGNORE INTO stock_alerts (product_id, size, stock, reorder_point, raised_at) "
                                "VALUES (?, ?, ?, ?, ?)", [(p.product, p.size, p.stock, p.reorder_point, now) for p in low])
            cleared = [sku for sku in fine if self.db.execute(
                "UPDATE stock_alerts SET cleared_at = ? WHERE product_id = ? AND size = ? AND cleared_at IS NULL",
                (now, *sku)).rowcount]
            # a suggestion stands while its SKU is low and its stock has not moved; else a fresh one replaces it
            self.db.executemany("UPDATE replenishments SET status = 'withdrawn', decided_at = ? "
                                "WHERE product_id = ? AND size = ? AND status = 'open' AND stock != ?",
                                [(now, *sku, -1) for sku in fine] + [(now, p.product, p.size, p.stock) for p in low])
            self.db.executemany("INSERT OR IGNORE INTO replenishments (product_id, size, quantity, stock, reorder_point, "
                                "suggested_at, status) VALUES (?, ?, ?, ?, ?, ?, 'open')",
                                [(p.product, p.size, p.quantity, p.stock, p.reorder_point, now) for p in low if p.quantity])
        return self.alerts(after=before), cleared, self.suggestions(after=suggested_before)

    def alerts(self, after: int = 0, open_only: bool = True) -> list[Alert]:
        rows = self.db.execute("SELECT id, product_id, size, stock, reorder_point, raised_at FROM stock_alerts "
                               f"WHERE id > ? {'AND cleared_at IS NULL' if open_only else ''} ORDER BY id",
                               (after,)).fetchall()
        return [Alert(*row) for row in rows]

    def suggestions(self, after: int = 0) -> list[Suggestion]:
        rows = self.db.execute("SELECT id, product_id, size, quantity, stock, reorder_point, suggested_at "
                               "FROM replenishments WHERE status = 'open' AND id > ? ORDER BY id", (after,)).fetchall()
        return [Suggestion(*row) for row in rows]

    def approve(self, suggestion_id: int, now: float) -> tuple[Suggestion, int]:
        """Receive a suggestion's units into stock; StoreError, changing nothing, when it no longer applies
        (approved or withdrawn already, or the stock moved since it was made). Returns it and the new count."""
        with self.ledger.transaction():
            row = self.db.execute("SELECT id, product_id, size, quantity, stock, reorder_point, suggested_at, status "
                                  "FROM replenishments WHERE id = ?", (suggestion_id,)).fetchone()
            if row is None:
                raise StoreError(f"no replenishment suggestion {suggestion_id!r}")
            suggestion, status = Suggestion(*row[:7]), row[7]
            if status != "open":
                raise StoreError(f"suggestion {suggestion_id} was {status} already; it no longer applies")
            count = self.db.execute("SELECT count FROM stock WHERE product_id = ? AND size = ?",
                                    (suggestion.product, suggestion.size)).fetchone()[0]
            if count != suggestion.stock:
                raise StoreError(f"suggestion {suggestion_id} was made for {suggestion.stock} in stock of "
                                 f"{suggestion.product} {suggestion.size}, which now has {count}; it no longer applies")
            self.db.execute("UPDATE stock SET count = count + ? WHERE product_id = ? AND size = ?",
                            (suggestion.quantity, suggestion.product, suggestion.size))
            self.db.execute("UPDATE replenishments SET status = 'approved', decided_at = ? WHERE id = ?",
                            (now, suggestion_id))
        return suggestion, count + suggestion.quantity
