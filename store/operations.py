"""The shop's operations in one place: forecast and reorder points, low-stock alerts, replenishment
suggestions an operator approves, price rules and the pricing experiment.

`replan` runs the whole cycle (a server runs it every few minutes, a simulation every simulated day);
`stock_changed` re-checks only the SKUs an order or a restock touched, against the last plan, so an
alert goes out with the order that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from store.experiments import Arm, Experiment, Subject, revenue_lift
from store.forecast import METHODS
from store.ledger import Ledger, StoreError
from store.pricing import PriceChange, Pricing
from store.replenishment import (
    Alert,
    Replenisher,
    Sku,
    SkuPlan,
    Suggestion,
    demand_history,
    plan,
)
from store.settings import OpsSettings


@dataclass
class OpsUpdate:
    """What a cycle or a stock change produced, for the server to push to operators and shoppers."""
    alerts: list[Alert] = field(default_factory=list)
    cleared: list[Sku] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    prices: list[PriceChange] = field(default_factory=list)


class Operations:
    def __init__(self, ledger: Ledger, settings: OpsSettings | None = None):
        self.ledger = ledger
        self.settings = settings or OpsSettings.load()
        self.experiment = self.settings.experiment_of()
        ledger.experiment = self.experiment
        self.pricing = Pricing(ledger, self.settings,
                               self.experiment if self.experiment.subject is Subject.PRICING else None)
        self.replenisher = Replenisher(ledger)
        self.plans: dict[Sku, SkuPlan] = {}

    def replan(self, now: float | None = None) -> OpsUpdate:
        """Forecast every SKU, raise and clear alerts, refresh suggestions, apply the price rules."""
        now = self.ledger.clock() if now is None else now
        plans = plan(self.ledger, self.settings, now)
        self.plans = {(p.product, p.size): p for p in plans}
        alerts, cleared, suggestions = self.replenisher.sync(plans, now)
        day = self.settings.day_seconds
        window = self.settings.price_rules.slow_days * day
        sold = dict(self.ledger.db.execute(
            "SELECT l.product_id, SUM(l.quantity) FROM order_lines l JOIN orders o ON o.id = l.order_id "
            "WHERE o.at >= ? GROUP BY 1", (now - window,)).fetchall())
        stock: dict[str, int] = {}
        demand: dict[str, float] = {}
        for p in plans:
            stock[p.product] = stock.get(p.product, 0) + p.stock
            demand[p.product] = demand.get(p.product, 0.0) + p.daily_demand
        opened = self.ledger.db.execute("SELECT MIN(at) FROM events").fetchone()[0]
        open_days = 0.0 if opened is None else (now - opened) / day
        prices = self.pricing.apply_rules(sold, stock, demand, open_days, now)
        return OpsUpdate(alerts, cleared, suggestions, prices)

    def stock_changed(self, skus: list[Sku], now: float | None = None) -> OpsUpdate:
        """Re-check these SKUs' new counts against the last plan's reorder points."""
        now = self.ledger.clock() if now is None else now
        counts = {sku: self.ledger.db.execute("SELECT count FROM stock WHERE product_id = ? AND size = ?", sku).fetchone()
                  for sku in set(skus) if sku in self.plans}
        updated = [replace(self.plans[sku], stock=row[0]) for sku, row in counts.items() if row is not None]
        self.plans.update({(p.product, p.size): p for p in updated})
        return OpsUpdate(*self.replenisher.sync(updated, now))

    def approve(self, suggestion_id: int, now: float | None = None) -> tuple[Suggestion, OpsUpdate]:
        """Receive a suggestion into stock (StoreError if it no longer applies); clears its alert."""
        now = self.ledger.clock() if now is None else now
        if isinstance(suggestion_id, bool) or not isinstance(suggestion_id, int):
            raise StoreError(f"suggestion id {suggestion_id!r} must be an integer")
        suggestion, count = self.replenisher.approve(suggestion_id, now)
        product = self.ledger.catalog.products.get(suggestion.product)
        if product is not None and suggestion.size in product.sizes:
            product.sizes[suggestion.size] = count
        return suggestion, self.stock_changed([(suggestion.product, suggestion.size)], now)

    def _now_or_then(self, alert: Alert) -> dict:
        """The SKU's stock and reorder point as of the last plan (as raised, if it has none)."""
        plan = self.plans.get((alert.product, alert.size))
        return ({"stock": plan.stock, "reorder_point": plan.reorder_point} if plan else
                {"stock": alert.stock, "reorder_point": alert.reorder_point})

    def dashboard(self, top: int = 12) -> dict:
        """Everything the operator's page draws: the report, stock by category, the store's forecast
        against what it sold, recent price changes and the experiment's arms."""
        now = self.ledger.clock()
        plans = list(self.plans.values()) or plan(self.ledger, self.settings, now)
        days = self.settings.history_days
        history = demand_history(self.ledger, [(p.product, p.size) for p in plans], now, self.settings.day_seconds, days)
        fitted = METHODS[self.settings.forecast_method](history, **dict(self.settings.forecast_params)).fitted.sum(axis=0)
        categories: dict[str, dict] = {}
        for p in plans:
            row = categories.setdefault(self.ledger.catalog.get(p.product).category, {"units": 0, "low": 0})
            row["units"] += p.stock
            row["low"] += p.low
        return {
            **self.report(top),
            "stock": [{"category": c, **row} for c, row in sorted(categories.items())],
            "forecast_vs_actual": {"day": list(range(-days, 0)), "actual": history.sum(axis=0).tolist(),
                                   "forecast": [None, *np.round(fitted[:-1], 3).tolist()],
                                   "next_day": round(float(sum(p.daily_demand for p in plans)), 3)},
            "price_changes": [c.as_dict() for c in self.pricing.changes(30)],
            "ab": ab_report(self.ledger, self.experiment, opening_units(self.ledger, 0.0))
            if self.experiment.active else None,
            "day_seconds": self.settings.day_seconds,
        }

    def report(self, top: int | None = None) -> dict:
        """The operator's view (`fitroom ops --json`): open alerts, what to reorder, the forecast, prices."""
        plans = sorted(self.plans.values(), key=lambda p: -p.daily_demand)[:top]
        return {
            "alerts": [{"product": a.product, "size": a.size, **self._now_or_then(a),
                        "raised": datetime.fromtimestamp(a.raised_at, UTC).isoformat(timespec="seconds")}
                       for a in self.replenisher.alerts()],
            "reorder": [{"id": s.id, "product": s.product, "size": s.size, "quantity": s.quantity}
                        for s in self.replenisher.suggestions()],
            "forecast": [{"product": p.product, "size": p.size, "daily_demand": p.daily_demand, "stock": p.stock,
                          "reorder_point": p.reorder_point} for p in plans],
            "prices": [{"product": pid, "list_price": self.ledger.catalog.get(pid).price, "price": price,
                        "rule": str(rule)} for pid, (price, rule) in sorted(self.pricing.current.items())
                       if pid in self.ledger.catalog.products],
        }


def ab_report(ledger: Ledger, experiment: Experiment, opening_units: int, since: float = 0.0) -> dict:
    """The experiment's arms over shoppers who joined since `since`: shoppers, orders, revenue, units,
    sell-through (units over the arm's share of the opening stock), stock-outs, and the revenue lift."""
    shoppers = ledger.db.execute("SELECT id FROM shoppers WHERE created >= ?", (since,)).fetchall()
    arms = {shopper: experiment.arm(shopper) or Arm.CONTROL for (shopper,) in shoppers}
    spent = dict(ledger.db.execute("SELECT shopper_id, SUM(total) FROM orders WHERE at >= ? GROUP BY 1", (since,)))
    orders = dict(ledger.db.execute("SELECT shopper_id, COUNT(*) FROM orders WHERE at >= ? GROUP BY 1", (since,)))
    units = dict(ledger.db.execute("SELECT o.shopper_id, SUM(l.quantity) FROM order_lines l JOIN orders o "
                                   "ON o.id = l.order_id WHERE o.at >= ? GROUP BY 1", (since,)))
    outs = dict(ledger.db.execute("SELECT arm, COUNT(*) FROM stock_outs WHERE at >= ? GROUP BY 1", (since,)))
    report, revenue = {}, {}
    for arm in Arm:
        members = [s for s, a in arms.items() if a is arm]
        revenue[arm] = np.array([spent.get(s, 0.0) for s in members])
        share = len(members) / max(len(arms), 1)
        sold = sum(units.get(s, 0) for s in members)
        report[str(arm)] = {"shoppers": len(members), "orders": sum(orders.get(s, 0) for s in members),
                            "revenue": round(float(revenue[arm].sum()), 2), "units": sold,
                            "sell_through": round(sold / (opening_units * share), 4) if opening_units and share else 0.0,
                            "stock_outs": outs.get(str(arm), 0)}
    return {"experiment": experiment.name, "arms": report,
            "lift_revenue_pct": revenue_lift(revenue[Arm.CONTROL], revenue[Arm.TREATMENT])}


def operations_summary(path: Path, settings: OpsSettings, since: float) -> dict:
    """What the store's operations did since `since` (a simulation's start): alerts raised, price
    changes, suggestions, and the experiment's report when it ran."""
    ledger = Ledger(path)
    try:
        db = ledger.db
        count = {table: db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} >= ?", (since,)).fetchone()[0]
                 for table, column in (("stock_alerts", "raised_at"), ("price_changes", "at"),
                                       ("replenishments", "suggested_at"))}
        summary = {"alerts": count["stock_alerts"], "price_changes": count["price_changes"],
                   "reorder_suggestions": count["replenishments"]}
        if settings.experiment_active:
            experiment = settings.experiment_of()
            summary["ab"] = {**ab_report(ledger, experiment, opening_units(ledger, since), since),
                             "alerts": count["stock_alerts"], "price_changes": count["price_changes"]}
        return summary
    finally:
        ledger.close()


def opening_units(ledger: Ledger, since: float) -> int:
    """Units that were in stock at `since`: on hand now, plus sold since, less received since."""
    db = ledger.db
    on_hand = db.execute("SELECT COALESCE(SUM(count), 0) FROM stock").fetchone()[0]
    sold = db.execute("SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id "
                      "WHERE o.at >= ?", (since,)).fetchone()[0]
    received = db.execute("SELECT COALESCE(SUM(quantity), 0) FROM replenishments WHERE status = 'approved' "
                          "AND decided_at >= ?", (since,)).fetchone()[0]
    return on_hand + sold - received
