"""A/B experiments: shoppers split into arms by a stable hash of their id, so a shopper keeps their
arm across visits and server processes, and the split needs no stored state."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Arm(StrEnum):
    CONTROL = "control"
    TREATMENT = "treatment"


class Subject(StrEnum):
    """What an experiment varies between its arms."""
    PRICING = "pricing"          # control pays list prices, treatment the price rules' prices
    RECOMMENDER = "recommender"  # each arm is recommended to by its own model (OpsSettings.recommender_arms)


@dataclass(frozen=True)
class Experiment:
    name: str
    treatment_share: float = 0.5
    active: bool = True
    subject: Subject = Subject.PRICING

    def arm(self, shopper_id: str) -> Arm | None:
        """The shopper's arm (None while the experiment is off): SHA-256 of name and id, as a fraction."""
        if not self.active:
            return None
        digest = hashlib.sha256(f"{self.name}:{shopper_id}".encode()).digest()
        return Arm.TREATMENT if int.from_bytes(digest[:8], "big") / 2**64 < self.treatment_share else Arm.CONTROL


def revenue_lift(control: np.ndarray, treatment: np.ndarray, resamples: int = 2000, seed: int = 0) -> dict:
    """Lift of mean revenue per shopper, treatment over control, in percent, with a 95 % percentile
    bootstrap interval (shoppers resampled within each arm; seeded, so a report is reproducible)."""
    if len(control) == 0 or len(treatment) == 0 or control.sum() <= 0:
        return {"estimate": None, "ci95": [None, None]}
    rng = np.random.default_rng(seed)
    control_means = control[rng.integers(0, len(control), (resamples, len(control)))].mean(axis=1)
    treatment_means = treatment[rng.integers(0, len(treatment), (resamples, len(treatment)))].mean(axis=1)
    kept = control_means > 0  # a resample of a sparse arm may hold no buyer at all
    lifts = 100 * (treatment_means[kept] / control_means[kept] - 1)
    low, high = np.percentile(lifts, [2.5, 97.5])
    return {"estimate": round(100 * (treatment.mean() / control.mean() - 1), 2),
            "ci95": [round(float(low), 2), round(float(high), 2)]}
