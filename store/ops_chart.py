"""The operator's picture of the top SKUs: units sold per day, the forecast carried forward, and the
stock on hand run down by that forecast against the reorder point (`fitroom ops` writes it)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from store.ledger import Ledger  # noqa: E402
from store.replenishment import SkuPlan, demand_history  # noqa: E402
from store.settings import OpsSettings  # noqa: E402

AHEAD_DAYS = 14
COLUMNS = 4


def stock_chart(ledger: Ledger, settings: OpsSettings, plans: list[SkuPlan], now: float, path: Path) -> Path:
    """One panel per SKU in `plans` (up to 12): history bars, forecast line, projected stock and reorder point."""
    plans = plans[:12]
    if not plans:
        raise ValueError("no SKU to chart")
    history = demand_history(ledger, [(p.product, p.size) for p in plans], now, settings.day_seconds,
                             settings.history_days)
    rows = (len(plans) + COLUMNS - 1) // COLUMNS
    figure, axes = plt.subplots(rows, COLUMNS, figsize=(4 * COLUMNS, 2.8 * rows), squeeze=False, dpi=90)
    past = np.arange(-settings.history_days, 0)
    ahead = np.arange(0, AHEAD_DAYS + 1)
    legend: list = []
    for axis, sku, sold in zip(axes.flat, plans, history):
        axis.bar(past, sold, width=0.9, color="#8a8d91", label="sold / day")
        axis.plot(ahead, np.full(len(ahead), sku.daily_demand), color="#1f2f5c", label="forecast / day")
        stock_axis = axis.twinx()
        stock_axis.plot(ahead, np.maximum(sku.stock - sku.daily_demand * ahead, 0), color="#1f7f80", label="stock")
        stock_axis.axhline(sku.reorder_point, color="#c0282d", linestyle="--", linewidth=1, label="reorder point")
        stock_axis.set_ylim(0, max(sku.stock, sku.reorder_point, 1) * 1.15)
        axis.set_ylim(0, max(sold.max(initial=0), sku.daily_demand, 1) * 1.3)
        axis.axvline(0, color="black", linewidth=0.6)
        axis.set_title(f"{sku.product} {sku.size}: {sku.stock} in stock" + ("  LOW" if sku.low else ""),
                       fontsize=10, color="#c0282d" if sku.low else "black")
        axis.set_xlabel("days from now", fontsize=8)
        axis.set_ylabel("units sold / day", fontsize=8)
        stock_axis.set_ylabel("units in stock", fontsize=8, color="#1f7f80")
        axis.tick_params(labelsize=7)
        stock_axis.tick_params(labelsize=7, colors="#1f7f80")
        if not legend:
            legend = axis.get_legend_handles_labels()[0] + stock_axis.get_legend_handles_labels()[0]
    for axis in list(axes.flat)[len(plans):]:
        axis.axis("off")
    figure.legend(legend, [h.get_label() for h in legend], loc="lower center", ncol=4, fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path
