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

from avatars.body_model import CORE_PARAMETERS, PARAMETER_NAMES, BodyModel, clamp_parameters
from avatars.measurements import CORE_KEYS, MEASUREMENT_KEYS
from avatars.proportions import population_proportions
from avatars.tape import MeasuredBody, measure_body

#: How strongly each parameter is held at its prior value (per unit of parameter, in cm of error).
PRIOR_WEIGHT = {"gender": 30.0, "age": 20.0}
DEFAULT_PRIOR_WEIGHT = 0.5
#: Weight of each target in the fit: the first nine (given or filled) weigh 1; a further
#: measurement (height, length, limb girth) weighs EXTRA_WEIGHT, so that one Anny cannot quite
#: reach does not pull the first nine off their tolerance.
EXTRA_WEIGHT = 0.3
#: Further measurements the first nine's parameters move alone (the knee: where the upper and lower leg
#: split the inseam): they weigh 1, and need no other parameter free.
CORE_REACHED: tuple[str, ...] = ("knee_height",)
#: The fit stops once the first nine are within tolerance and a step gains less than this share.
SETTLED_GAIN = 0.1


@dataclass
class FitResult:
    parameters: torch.Tensor  # (P,)
    vertices: np.ndarray  # (N, 3) avatar frame
    measured: MeasuredBody
    iterations: int


def measure_vertices(model: BodyModel, vertices: np.ndarray, keys: tuple[str, ...] = MEASUREMENT_KEYS) -> MeasuredBody:
    return measure_body(trimesh.Trimesh(vertices, model.faces, process=False), keys)


def probe_jacobian(model: BodyModel, params: torch.Tensor, measured: MeasuredBody,
                   keys: tuple[str, ...] = MEASUREMENT_KEYS, free: torch.Tensor | None = None,
                   step: float = 1e-3) -> torch.Tensor:
    """d(measurement in cm)/d(parameter) of the probes of `measured` for the `free` parameters
    (default all), shape (M, F).

    Forward differences through one batched Anny pass (F + 1 bodies), which on a CPU is
    several times cheaper than M reverse-mode passes.
    """
    free = torch.arange(len(params)) if free is None else free
    batch = params.detach()[None].repeat(len(free) + 1, 1)
    batch[torch.arange(1, len(free) + 1), free] += step
    with torch.no_grad():
        vertices = model.vertices(batch)
        values = torch.stack([measured.probes[k].evaluate(vertices) for k in keys]) * 100.0
    return (values[:, 1:] - values[:, :1]) / step


def _measure(model: BodyModel, params: torch.Tensor, keys: tuple[str, ...]) -> tuple[np.ndarray, MeasuredBody]:
    with torch.no_grad():
        vertices = model.vertices(params[None])[0].numpy()
    return vertices, measure_vertices(model, vertices, keys)


def fit_measurements(
    model: BodyModel,
    targets: dict[str, float],
    start: torch.Tensor,
    prior: torch.Tensor | None = None,
    *,
    tolerance_cm: float = 0.1,
    extra_weight: float = EXTRA_WEIGHT,
    max_iterations: int = 12,
    jacobian_every: int = 2,
) -> FitResult:
    """Move the parameters from `start` until the first nine measurements are within `tolerance_cm`
    and the further ones given (heights, lengths, limb girths) as close as the body allows.

    `targets` holds measurements in cm, the first nine (CORE_KEYS) always; further ones weigh
    EXTRA_WEIGHT. `prior` (default `start`) is where the parameters are pulled when the targets
    leave them free. The parameters that serve only the further measurements start from (and,
    without further targets, stay at) the population's proportions, whatever `start` says.
    """
    start = start.clone()
    prior = start.clone() if prior is None else prior.clone()
    keys = CORE_KEYS + tuple(k for k in MEASUREMENT_KEYS if k in targets and k not in CORE_KEYS)
    further = [k for k in keys if k not in CORE_KEYS and k not in CORE_REACHED]
    free = torch.arange(len(PARAMETER_NAMES) if further else len(CORE_PARAMETERS))
    start[len(CORE_PARAMETERS):] = prior[len(CORE_PARAMETERS):] = population_proportions(float(start[0]))
    weights = torch.tensor([PRIOR_WEIGHT.get(PARAMETER_NAMES[i], DEFAULT_PRIOR_WEIGHT) for i in free],
                           dtype=torch.float64)
    w2 = torch.diag(weights**2)
    target = torch.tensor([targets[k] for k in keys], dtype=torch.float64)
    trust = torch.tensor([1.0 if k in CORE_KEYS or k in CORE_REACHED else extra_weight for k in keys],
                         dtype=torch.float64)
    core = len(CORE_KEYS)

    def evaluate(p: torch.Tensor):
        vertices, measured = _measure(model, p, keys)
        residual = trust * (torch.tensor([measured.values[k] for k in keys], dtype=torch.float64) - target)
        cost = float(residual @ residual + ((weights * (p[free] - prior[free])) ** 2).sum())
        return vertices, measured, residual, cost

    params = clamp_parameters(start.to(torch.float64))
    vertices, measured, residual, cost = evaluate(params)
    jacobian, fresh, damping, gain = None, False, 1e-2, 1.0
    iteration = 0
    for iteration in range(1, max_iterations + 1):
        if float(residual[:core].abs().max()) < tolerance_cm and (not further or gain < SETTLED_GAIN):
            break
        if jacobian is None:
            jacobian, fresh = trust[:, None] * probe_jacobian(model, params, measured, keys, free), True
        elif not fresh and iteration % jacobian_every == 0:
            # refresh the first nine's parameters; the further ones move heights and limbs nearly
            # linearly, so their first columns stay good (and the refresh costs 2/3 of a full one)
            core_free = free[: len(CORE_PARAMETERS)]
            jacobian[:, : len(core_free)] = trust[:, None] * probe_jacobian(model, params, measured, keys, core_free)
            fresh = True
        # Levenberg-Marquardt on |r + J d|^2 + |W (p + d - prior)|^2 over the free parameters
        normal = jacobian.T @ jacobian + w2
        lhs = normal + damping * torch.diag(torch.diagonal(normal))
        rhs = -(jacobian.T @ residual) - w2 @ (params[free] - prior[free])
        candidate = params.clone()
        candidate[free] += torch.linalg.solve(lhs, rhs)
        candidate = clamp_parameters(candidate)
        c_vertices, c_measured, c_residual, c_cost = evaluate(candidate)
        if c_cost < cost:
            gain = (cost - c_cost) / cost
            params, vertices, measured, residual, cost = candidate, c_vertices, c_measured, c_residual, c_cost
            damping, fresh = max(damping / 3.0, 1e-4), False
        elif fresh:
            damping *= 5.0
        else:
            jacobian = None  # a stale Jacobian misled us: refresh before trying again
    return FitResult(params, vertices, measure_vertices(model, vertices), iteration)  # every measurement, once
