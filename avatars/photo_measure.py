"""Body measurements from photos: landmark lengths and silhouette widths, scaled by the stated height.

Lengths (shoulder and hip breadth, arm and leg) come from the pose landmarks, torso widths at
nine levels between shoulders and hips from the person mask (and depths from a side photo when
given). A ridge regression trained on synthetic photos of ANSUR bodies with known measurements
(`scripts/train_photo_measurements.py`, weights in `assets/models/photo_measurements.npz`) turns
them into ISO measurements, each with its cross-validated error as the confidence.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from avatars.photo import BodyInPhoto, PhotoError

WEIGHTS_PATH = Path(__file__).resolve().parent.parent / "assets" / "models" / "photo_measurements.npz"
#: What the photo estimates; the other measurements are filled from the population.
ESTIMATED = ("chest", "waist", "hip", "inseam", "shoulder_breadth", "arm_length", "thigh")
#: Levels of the torso read off the silhouette, as fractions of shoulder-to-hip landmark distance.
LEVELS = np.linspace(0.15, 1.15, 9)
LS, RS, LE, RE, LW, RW, LH, RH, LK, RK, LA, RA = 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28


def _run_width(row: np.ndarray, x: float) -> float:
    """Width in pixels of the run of mask pixels in `row` that contains (or is nearest to) column x."""
    inside = np.flatnonzero(row)
    if len(inside) == 0:
        return 0.0
    breaks = np.flatnonzero(np.diff(inside) > 1)
    starts, ends = inside[np.r_[0, breaks + 1]], inside[np.r_[breaks, len(inside) - 1]]
    distance = np.maximum(starts - x, 0) + np.maximum(x - ends, 0)
    best = int(np.argmin(distance))
    return float(ends[best] - starts[best] + 1)


def torso_widths(body: BodyInPhoto) -> np.ndarray:
    """Silhouette widths (pixels) of the torso at `LEVELS`, following the shoulder-to-hip midline."""
    mask = body.mask > 0.5
    shoulders = body.pixels[[LS, RS]].mean(axis=0)
    hips = body.pixels[[LH, RH]].mean(axis=0)
    points = shoulders + LEVELS[:, None] * (hips - shoulders)
    rows = np.clip(np.round(points[:, 1]).astype(int), 0, mask.shape[0] - 1)
    return np.array([_run_width(mask[r], x) for r, x in zip(rows, points[:, 0])])


def _length(body: BodyInPhoto, *pairs: tuple[int, int]) -> float:
    return float(sum(np.linalg.norm(body.pixels[a] - body.pixels[b]) for a, b in pairs))


def photo_features(front: BodyInPhoto, stature_cm: float, side: BodyInPhoto | None = None) -> np.ndarray:
    """Centimetre features of one body: breadths, limb lengths, heights and torso widths (and depths)."""
    scale = front.cm_per_px(stature_cm)
    floor = np.flatnonzero((front.mask > 0.5).any(axis=1))[-1]
    arm = 0.5 * (_length(front, (LS, LE), (LE, LW)) + _length(front, (RS, RE), (RE, RW)))
    leg = 0.5 * (_length(front, (LH, LK), (LK, LA)) + _length(front, (RH, RK), (RK, RA)))
    lengths = np.array([
        _length(front, (LS, RS)), _length(front, (LH, RH)), arm, leg,
        floor - front.pixels[[LH, RH], 1].mean(), floor - front.pixels[[LS, RS], 1].mean(),
    ]) * scale
    parts = [lengths, torso_widths(front) * scale]
    if side is not None:
        parts.append(torso_widths(side) * side.cm_per_px(stature_cm))
    return np.concatenate(parts)


def design_matrix(features: np.ndarray, stature: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Regression inputs: features and stature, sex, and the features' interaction with sex."""
    f = np.asarray(female, dtype=np.float64)[:, None]
    x = np.concatenate([features, np.asarray(stature, dtype=np.float64)[:, None]], axis=1)
    return np.concatenate([np.ones_like(f), x, f, f * x], axis=1)


def fit_ridge(x: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    scale = np.r_[1.0, np.abs(x[:, 1:]).mean(axis=0) + 1e-9]
    xs = x / scale
    penalty = alpha * len(x) * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    return np.linalg.solve(xs.T @ xs + penalty, xs.T @ y) / scale[:, None]


@dataclass(frozen=True)
class PhotoEstimate:
    """Measurements (cm) read from the photo(s), with a one-sigma error for each."""

    values: dict[str, float]
    sigma_cm: dict[str, float]
    views: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def _weights() -> dict[str, np.ndarray]:
    if not WEIGHTS_PATH.exists():
        raise PhotoError(f"the photo measurement model {WEIGHTS_PATH} is missing; "
                         "train it with scripts/train_photo_measurements.py")
    return dict(np.load(WEIGHTS_PATH))


def estimate_measurements(front: BodyInPhoto, stature_cm: float, side: BodyInPhoto | None = None,
                          sex: str | None = None) -> PhotoEstimate:
    """ISO measurements of the body in the photo(s), given the person's stated stature (cm)."""
    weights = _weights()
    view = "front_side" if side is not None else "front"
    female = {"female": 1.0, "male": 0.0}.get(sex or "", 0.5)
    x = design_matrix(photo_features(front, stature_cm, side)[None], np.array([stature_cm]), np.array([female]))
    prediction = (x @ weights[f"{view}_coef"])[0]
    sigma = weights[f"{view}_sigma"]
    keys = [str(k) for k in weights["keys"]]
    return PhotoEstimate(
        values={k: round(float(v), 1) for k, v in zip(keys, prediction)},
        sigma_cm={k: round(float(s), 1) for k, s in zip(keys, sigma)},
        views=("front", "side") if side is not None else ("front",),
    )
