"""Fit Anny's shape parameters so the body's read-back measurements hit the targets.

Gauss-Newton with a Levenberg-Marquardt damping and a pull towards a prior: each step measures
the body with the real tape (`measure_body`), then differentiates the very same tape lines
(its probes) through Anny to get the Jacobian. The Jacobian is refreshed only
every few steps (a chord method), since one measurement costs much less than a Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import trimesh

from avatars.body_model import PARAMETER_NAMES, BodyModel, clamp_parameters
from avatars.measurements import MEASUREMENT_KEYS
from avatars.tape import MeasuredBody, measure_body

#: How strongly each parameter is held at its prior value (per unit of parameter, in cm of error).
PRIOR_WEIGHT = {"gender": 30.0, "age": 20.0}
DEFAULT_PRIOR_WEIGHT = 0.5


@dataclass
class FitResult:
    parameters: torch.Tensor  # (P,)
    vertices: np.ndarray  # (N, 3) avatar frame
    measured: MeasuredBody
    iterations: int


def measure_vertices(model: BodyModel, vertices: np.ndarray) -> MeasuredBody:
    return measure_body(trimesh.Trimesh(vertices, model.faces, process=False))


def probe_jacobian(model: BodyModel, params: torch.Tensor, measured: MeasuredBody,
                   step: float = 1e-3) -> torch.Tensor:
    """d(measurement in cm)/d(parameter) of the probes of `measured`, shape (M, P).

    Forward differences through one batched Anny pass (P + 1 bodies), which on a CPU is
    several times cheaper than M reverse-mode passes.
    """
    batch = params.detach()[None].repeat(len(params) + 1, 1)
    batch[1:] += step * torch.eye(len(params), dtype=batch.dtype)
    with torch.no_grad():
        vertices = model.vertices(batch)
        values = torch.stack([measured.probes[k].evaluate(vertices) for k in MEASUREMENT_KEYS]) * 100.0
    return (values[:, 1:] - values[:, :1]) / step


def _measure(model: BodyModel, params: torch.Tensor) -> tuple[np.ndarray, MeasuredBody]:
    with torch.no_grad():
        vertices = model.vertices(params[None])[0].numpy()
    return vertices, measure_vertices(model, vertices)


def fit_measurements(
    model: BodyModel,
    targets: dict[str, float],
    start: torch.Tensor,
    prior: torch.Tensor | None = None,
    *,
    tolerance_cm: float = 0.1,
    max_iterations: int = 12,
    jacobian_every: int = 2,
) -> FitResult:
    """Move the parameters from `start` until every measurement is within `tolerance_cm`.

    `targets` holds all nine body measurements in cm; `prior` (default `start`) is where the
    parameters are pulled when the measurements leave them free (16 parameters, 9 targets).
    """
    prior = start.clone() if prior is None else prior
    weights = torch.tensor([PRIOR_WEIGHT.get(n, DEFAULT_PRIOR_WEIGHT) for n in PARAMETER_NAMES],
                           dtype=torch.float64)
    w2 = torch.diag(weights**2)
    target = torch.tensor([targets[k] for k in MEASUREMENT_KEYS], dtype=torch.float64)

    def evaluate(p: torch.Tensor):
        vertices, measured = _measure(model, p)
        residual = torch.tensor([measured.values[k] for k in MEASUREMENT_KEYS], dtype=torch.float64) - target
        cost = float(residual @ residual + ((weights * (p - prior)) ** 2).sum())
        return vertices, measured, residual, cost

    params = clamp_parameters(start.to(torch.float64))
    vertices, measured, residual, cost = evaluate(params)
    jacobian, fresh, damping = None, False, 1e-2
    iteration = 0
    for iteration in range(1, max_iterations + 1):
        if float(residual.abs().max()) < tolerance_cm:
            break
        if jacobian is None or (not fresh and iteration % jacobian_every == 0):
            jacobian, fresh = probe_jacobian(model, params, measured), True
        # Levenberg-Marquardt on |r + J d|^2 + |W (p + d - prior)|^2
        normal = jacobian.T @ jacobian + w2
        lhs = normal + damping * torch.diag(torch.diagonal(normal))
        rhs = -(jacobian.T @ residual) - w2 @ (params - prior)
        candidate = clamp_parameters(params + torch.linalg.solve(lhs, rhs))
        c_vertices, c_measured, c_residual, c_cost = evaluate(candidate)
        if c_cost < cost:
            params, vertices, measured, residual, cost = candidate, c_vertices, c_measured, c_residual, c_cost
            damping, fresh = max(damping / 3.0, 1e-4), False
        elif fresh:
            damping *= 5.0
        else:
            jacobian = None  # a stale Jacobian misled us: refresh before trying again
    return FitResult(params, vertices, measured, iteration)
