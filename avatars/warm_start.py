"""A learned first guess of Anny's shape parameters from measurements (ridge regression).

Trained offline by `scripts/train_warm_start.py` on sampled Anny bodies measured with
`avatars.tape`; the weights ship in `assets/models/warm_start.npz`. Gauss-Newton fitting
then starts a few centimetres from the answer instead of from the mean body.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import torch

from avatars.body_model import PARAMETER_NAMES, clamp_parameters
from avatars.measurements import CORE_KEYS

WEIGHTS_PATH = Path(__file__).resolve().parent.parent / "assets" / "models" / "warm_start.npz"


def features(measurements: np.ndarray, female: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Quadratic features of measurements (n, 9) relative to stature, plus sex interactions."""
    m = np.asarray(measurements, dtype=np.float64)
    rel = m / m[:, :1]  # proportions of stature
    x = np.concatenate([m[:, :1] / 100.0, rel[:, 1:]], axis=1) / scale
    f = np.asarray(female, dtype=np.float64)[:, None]
    quad = (x[:, :, None] * x[:, None, :])[:, *np.triu_indices(x.shape[1])]
    return np.concatenate([np.ones_like(f), x, quad, f, f * x], axis=1)


def fit_ridge(measurements: np.ndarray, female: np.ndarray, params: np.ndarray, alpha: float = 1e-3) -> dict:
    """Solve the ridge regression from measurements to parameters; returns the arrays to save."""
    scale = np.ones(measurements.shape[1])
    scale = np.abs(features(measurements, female, scale)[:, 1:1 + len(scale)]).mean(axis=0)
    x = features(measurements, female, scale)
    coef = np.linalg.solve(x.T @ x + alpha * len(x) * np.eye(x.shape[1]), x.T @ params)
    return {"coef": coef, "scale": scale, "keys": np.array(CORE_KEYS), "params": np.array(PARAMETER_NAMES)}


@functools.lru_cache(maxsize=1)
def _load() -> dict[str, np.ndarray] | None:
    if not WEIGHTS_PATH.exists():
        return None
    data = dict(np.load(WEIGHTS_PATH))
    if tuple(data["params"]) != PARAMETER_NAMES or tuple(data["keys"]) != CORE_KEYS:
        return None  # trained for another parameterisation: ignore rather than mislead
    return data


def warm_start(targets: dict[str, float], female: float) -> torch.Tensor | None:
    """Predicted parameters for full targets (cm), or None when no trained weights ship."""
    data = _load()
    if data is None:
        return None
    m = np.array([[targets[k] for k in CORE_KEYS]])
    pred = features(m, np.array([female]), data["scale"]) @ data["coef"]
    params = torch.as_tensor(pred[0], dtype=torch.float64)
    params[0] = female
    return clamp_parameters(params)
