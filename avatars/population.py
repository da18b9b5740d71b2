"""Fill measurements nobody gave from the population, given the ones that were given.

A Gaussian per sex over every body measurement ANSUR II has, weight and age (summary
statistics shipped in `assets/population/ansur_stats.json`); missing values are the
conditional mean given the known ones. Unknown sex uses the average of both models.
Measurements ANSUR II lacks (bust-point breadth, relaxed upper arm) are not filled: when not
given, the fitted body's own value stands.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from avatars.measurements import BODY_MEASUREMENTS, MEASUREMENT_KEYS, BodyMeasurements

#: The measurements the population fills (those with an ANSUR II column).
FILLABLE_KEYS: tuple[str, ...] = tuple(spec.key for spec in BODY_MEASUREMENTS if spec.ansur)
POPULATION_KEYS: tuple[str, ...] = FILLABLE_KEYS + ("weight", "age")
STATS_PATH = Path(__file__).resolve().parent.parent / "assets" / "population" / "ansur_stats.json"


@functools.lru_cache(maxsize=1)
def _stats() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    data = json.loads(STATS_PATH.read_text())
    assert tuple(data["keys"]) == POPULATION_KEYS, "population statistics are for other keys"
    return {sex: (np.array(data[sex]["mean"]), np.array(data[sex]["cov"])) for sex in ("female", "male")}


def conditional_mean(sex: str, known: dict[str, float]) -> dict[str, float]:
    """E[unknown | known] under the sex's Gaussian, for every population key not in `known`."""
    mean, cov = _stats()[sex]
    k = [POPULATION_KEYS.index(key) for key in known]
    u = [i for i in range(len(POPULATION_KEYS)) if i not in k]
    x = np.array(list(known.values())) - mean[k]
    filled = mean[u] + cov[np.ix_(u, k)] @ np.linalg.solve(cov[np.ix_(k, k)], x)
    return {POPULATION_KEYS[i]: float(v) for i, v in zip(u, filled)}


def complete(body: BodyMeasurements) -> tuple[dict[str, float], list[str]]:
    """Targets for the fit (given ones kept, the fillable rest filled) and every key not given."""
    given = body.given()
    known = dict(given)
    for key in ("weight", "age"):
        if getattr(body, key) is not None:
            known[key] = getattr(body, key)
    sexes = [body.sex] if body.sex else ["female", "male"]
    fills = [conditional_mean(sex, known) for sex in sexes]
    filled_keys = [key for key in MEASUREMENT_KEYS if key not in given]
    values = {key: given[key] if key in given else round(float(np.mean([f[key] for f in fills])), 2)
              for key in MEASUREMENT_KEYS if key in given or key in FILLABLE_KEYS}
    return values, filled_keys


def sample_bodies(count: int, rng: np.random.Generator) -> list[dict[str, float | str]]:
    """Plausible shoppers: sex, then stature, chest, waist and hip drawn from that sex's Gaussian."""
    bodies: list[dict[str, float | str]] = []
    while len(bodies) < count:
        sex = "female" if rng.random() < 0.5 else "male"
        mean, cov = _stats()[sex]
        draw = dict(zip(POPULATION_KEYS, rng.multivariate_normal(mean, cov)))
        body = {"sex": sex, **{k: round(float(draw[k]), 1) for k in ("stature", "chest", "waist", "hip")}}
        try:
            BodyMeasurements.from_dict(body)
        except ValueError:
            continue  # a draw from the Gaussian's tails no body has
        bodies.append(body)
    return bodies
