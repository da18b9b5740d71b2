"""Demand forecasts on a simulated store history: MASE against the naive forecast, and the service
level the reorder points built on each forecast actually reach.

    .venv/bin/python benchmarks/forecast.py [--days 210] [--json out/forecast.json]

History: every SKU of the default catalogue (product x size), one row of units sold per day.
A product has a popularity (log-normal), sizes take shares of it (a bell over the size range),
weekends sell 1.5x, some products launch late and some fade away, a markdown now and then lifts
demand by a price elasticity of 2, and a sale is a basket of one or more units: sparse, lumpy,
intermittent retail demand. Rolling origins every 7 days over the last 8 weeks; each method
forecasts the next 7 days from everything before the origin.

MASE (Hyndman & Koehler 2006): a forecast's MAE over the horizon divided by the in-sample MAE of
the one-day naive forecast; below 1 beats naive. SKUs whose history never moved are left out.
Cycle service: the share of (SKU, origin) where demand over the 3-day lead time stayed within the
reorder point d L + z sigma sqrt(L) at the 95 % target (store/replenishment.py's rule); the mean
reorder point is what that service costs in stock.
"""

from __future__ import annotations

import time
from statistics import NormalDist

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from store import forecast
from store.catalog import Catalog

HORIZON, LEAD, SERVICE = 7, 3, 0.95


def simulated_history(days: int, seed: int) -> np.ndarray:
    """Units per SKU per day for every SKU of the default catalogue."""
    rng = np.random.default_rng(seed)
    products = list(Catalog.load().products.values())
    rows = []
    for product in products:
        popularity = rng.lognormal(np.log(0.4), 1.0)
        labels = list(product.sizes)
        shares = np.exp(-0.5 * ((np.arange(len(labels)) - (len(labels) - 1) / 2) / 1.2) ** 2)
        rates = popularity * shares / shares.sum()
        day = np.arange(days)
        profile = np.ones(days)
        launch = rng.integers(0, days // 2) if rng.random() < 0.2 else 0
        profile[day < launch] = 0
        if rng.random() < 0.25:  # fades after a random day
            fade = rng.integers(days // 3, days)
            profile *= np.where(day > fade, np.exp(-(day - fade) / 20), 1)
        profile *= np.where(day % 7 >= 5, 1.5, 1.0)
        for start in rng.integers(0, days, rng.poisson(1.5)):  # two weeks of markdown at 20 % off
            profile[start:start + 14] *= 0.8 ** -2
        orders = rng.poisson(np.outer(rates, profile) / 1.3)  # baskets average 1.3 units
        rows.append(orders + rng.binomial(orders, 0.3))
    return np.concatenate(rows).astype(float)


def evaluate(history: np.ndarray, method, origins: list[int]) -> dict:
    z = NormalDist().inv_cdf(SERVICE)
    scores, served, stock = [], [], []
    started = time.perf_counter()
    for origin in origins:
        past, future = history[:, :origin], history[:, origin:origin + HORIZON]
        result = method(past)
        scores.append(forecast.mase(future, result.rate, past))
        reorder = result.rate * LEAD + z * result.sigma * np.sqrt(LEAD)
        moving = past.sum(axis=1) > 0
        served.append((future[:, :LEAD].sum(axis=1) <= reorder + 1e-9)[moving])
        stock.append(reorder[moving])
    seconds = time.perf_counter() - started
    scores = np.concatenate(scores)
    return {"mase_mean": float(np.nanmean(scores)), "mase_median": float(np.nanmedian(scores)),
            "cycle_service": float(np.concatenate(served).mean()), "mean_reorder_point": float(np.concatenate(stock).mean()),
            "seconds": seconds}


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--days", type=int, default=210)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    history = simulated_history(args.days, args.seed)
    origins = list(range(args.days - 8 * HORIZON, args.days - HORIZON + 1, HORIZON))
    results = {name: evaluate(history, method, origins) for name, method in forecast.METHODS.items()}
    naive = results["naive"]["mase_mean"]
    table = Table(title=f"Demand forecasts: {history.shape[0]} SKUs, {args.days} days, "
                        f"{history.mean():.2f} units/SKU/day, {np.mean(history == 0):.0%} zero days")
    for column in ("method", "MASE mean", "vs naive", "MASE median", "cycle service (target 0.95)",
                   "mean reorder point", "seconds"):
        table.add_column(column, justify="right")
    for name, r in sorted(results.items(), key=lambda item: item[1]["mase_mean"]):
        table.add_row(name, f"{r['mase_mean']:.3f}", f"{r['mase_mean'] / naive:.2f}x", f"{r['mase_median']:.3f}",
                      f"{r['cycle_service']:.3f}", f"{r['mean_reorder_point']:.2f}", f"{r['seconds']:.2f}")
    Console().print(table)
    save(args.json, {"skus": history.shape[0], "days": args.days, "zero_share": float(np.mean(history == 0)),
                     "methods": results})


if __name__ == "__main__":
    main()
