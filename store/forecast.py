"""Demand forecasts for sparse, intermittent retail demand, every SKU at once.

Input is a matrix of units sold, one row per SKU and one column per period (oldest first). Each
method returns a `Forecast`: the flat rate it expects per future period and the spread of its
one-step errors over the history, which the reorder point's safety stock needs. Methods:

- `tsb`: Teunter, Syntetos & Babai (2011): smooths the probability of a sale in a period and the
  size of a sale separately; the probability decays through runs of zeros, so a SKU that stopped
  selling forecasts less and less (Croston's method keeps its last level forever).
- `croston`: Croston (1972) with the Syntetos-Boylan (2005) bias correction.
- `ses`: simple exponential smoothing of the units.
- `naive`: the last period's units (the baseline MASE is scaled by).
- `mean`: the average of the history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Forecast:
    rate: np.ndarray    # expected units per future period, per SKU
    sigma: np.ndarray   # root-mean-square one-step error over the history, per SKU (units per period)
    fitted: np.ndarray  # fitted[:, t]: the forecast made after period t (for period t + 1), per SKU


def _spread(history: np.ndarray, one_step: np.ndarray) -> np.ndarray:
    """RMS of y_t - f_(t-1), where `one_step[:, t]` is the forecast made after period t."""
    if history.shape[1] < 2:
        return np.zeros(history.shape[0])
    errors = history[:, 1:] - one_step[:, :-1]
    return np.sqrt(np.mean(errors**2, axis=1))


def _check(history: np.ndarray) -> np.ndarray:
    history = np.asarray(history, dtype=float)
    if history.ndim != 2 or history.shape[1] == 0:
        raise ValueError(f"demand history must be SKUs x periods with at least one period, got shape {history.shape}")
    if not np.all(np.isfinite(history)) or np.any(history < 0):
        raise ValueError("demand history holds negative or non-finite units")
    return history


def tsb(history: np.ndarray, alpha_size: float = 0.1, alpha_probability: float = 0.1) -> Forecast:
    history = _check(history)
    sold = history > 0
    probability = sold.mean(axis=1)
    size = np.where(sold.any(axis=1), history.sum(axis=1) / np.maximum(sold.sum(axis=1), 1), 0.0)
    one_step = np.empty_like(history)
    for t in range(history.shape[1]):
        probability = probability + alpha_probability * (sold[:, t] - probability)
        size = np.where(sold[:, t], size + alpha_size * (history[:, t] - size), size)
        one_step[:, t] = probability * size
    return Forecast(one_step[:, -1], _spread(history, one_step), one_step)


def croston(history: np.ndarray, alpha: float = 0.1) -> Forecast:
    history = _check(history)
    sold = history > 0
    size = np.where(sold.any(axis=1), history.sum(axis=1) / np.maximum(sold.sum(axis=1), 1), 0.0)
    interval = np.full(history.shape[0], float(history.shape[1])) / np.maximum(sold.sum(axis=1), 1)
    since = np.ones(history.shape[0])
    one_step = np.empty_like(history)
    for t in range(history.shape[1]):
        size = np.where(sold[:, t], size + alpha * (history[:, t] - size), size)
        interval = np.where(sold[:, t], interval + alpha * (since - interval), interval)
        since = np.where(sold[:, t], 1.0, since + 1.0)
        one_step[:, t] = (1 - alpha / 2) * size / interval
    return Forecast(one_step[:, -1], _spread(history, one_step), one_step)


def ses(history: np.ndarray, alpha: float = 0.1) -> Forecast:
    history = _check(history)
    level = history.mean(axis=1)
    one_step = np.empty_like(history)
    for t in range(history.shape[1]):
        level = level + alpha * (history[:, t] - level)
        one_step[:, t] = level
    return Forecast(level, _spread(history, one_step), one_step)


def naive(history: np.ndarray) -> Forecast:
    history = _check(history)
    return Forecast(history[:, -1].copy(), _spread(history, history), history)


def mean(history: np.ndarray) -> Forecast:
    history = _check(history)
    running = np.cumsum(history, axis=1) / np.arange(1, history.shape[1] + 1)
    return Forecast(running[:, -1], _spread(history, running), running)


METHODS: dict[str, Callable[[np.ndarray], Forecast]] = {"tsb": tsb, "croston": croston, "ses": ses, "naive": naive,
                                                        "mean": mean}


def mase(actual: np.ndarray, predicted: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Mean absolute scaled error per SKU (Hyndman & Koehler 2006): the forecast's MAE over `actual`
    divided by the in-sample MAE of the one-period naive forecast. NaN where the history never moved."""
    scale = np.mean(np.abs(np.diff(history, axis=1)), axis=1)
    error = np.mean(np.abs(np.asarray(actual, float) - np.asarray(predicted, float).reshape(len(scale), -1)), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, error / scale, np.nan)
