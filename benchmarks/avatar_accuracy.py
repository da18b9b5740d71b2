"""Avatar accuracy and speed on ANSUR II subjects: Fitroom's fitter against plain gradient fitting.

    .venv/bin/python benchmarks/avatar_accuracy.py [--subjects 100] [--seed 0] [--json out/avatar_accuracy.json]

Fitroom: warm start (learned regressor) + Levenberg-Marquardt on the tape probes.
Baseline, same run and bodies: Adam on the same probes from Anny's mean body, no warm start.
Both are judged by reading the finished mesh with `avatars.measure` (not by their own losses).
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch
from figures import arguments, save
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from avatars import Avatar, measure
from avatars.ansur import load_subjects
from avatars.body_model import (
    MEAN_PARAMETERS,
    BodyModel,
    clamp_parameters,
    load_body_model,
)
from avatars.fitting import measure_vertices
from avatars.measurements import MEASUREMENT_KEYS, BodyMeasurements
from avatars.population import complete

GOAL_MM = {k: 5.0 if k in ("stature", "chest", "waist", "hip", "inseam") else 10.0 for k in MEASUREMENT_KEYS}


def fit_adam(model: BodyModel, targets: dict[str, float], female: float, steps: int = 60,
             lr: float = 0.05, refresh: int = 10) -> np.ndarray:
    """Plain gradient fitting: Adam from the mean body on the probes, re-laid every `refresh` steps."""
    params = MEAN_PARAMETERS.clone()
    params[0] = female
    free = params.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([free], lr=lr)
    target = torch.tensor([targets[k] for k in MEASUREMENT_KEYS], dtype=torch.float64)
    probes = None
    for step in range(steps):
        if step % refresh == 0:
            with torch.no_grad():
                vertices = model.vertices(clamp_parameters(free)[None])[0].numpy()
            probes = measure_vertices(model, vertices).probes
        vertices = model.vertices(clamp_parameters(free)[None])
        values = torch.stack([probes[k].evaluate(vertices)[0] for k in MEASUREMENT_KEYS]) * 100.0
        loss = ((values - target) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        free.grad[0] = 0.0  # sex stays as stated
        optimiser.step()
    with torch.no_grad():
        return model.vertices(clamp_parameters(free)[None])[0].numpy()


def run(count: int, seed: int) -> dict:
    started = time.perf_counter()
    model = load_body_model()
    Avatar.from_measurements({"stature": 170.0}, model=model)  # warm-up: kernels, caches
    load_seconds = time.perf_counter() - started
    subjects = load_subjects(count, seed)
    errors = {"fitroom": [], "adam": []}
    seconds = {"fitroom": [], "adam": []}
    for subject in tqdm(subjects, desc="fitting ANSUR subjects"):
        body = BodyMeasurements.from_dict({k: v for k, v in subject.items() if k != "subject"})
        t0 = time.perf_counter()
        avatar = Avatar.from_measurements(body, model=model)
        seconds["fitroom"].append(time.perf_counter() - t0)
        errors["fitroom"].append(_errors(measure(avatar.mesh), subject))

        targets, _ = complete(body)
        t0 = time.perf_counter()
        vertices = fit_adam(model, targets, 1.0 if body.sex == "female" else 0.0)
        seconds["adam"].append(time.perf_counter() - t0)
        errors["adam"].append(_errors(measure_vertices(model, vertices).values, subject))
    result = {"subjects": len(subjects), "seed": seed, "model_load_seconds": round(load_seconds, 2)}
    for method in errors:
        e = np.abs(np.array(errors[method]))
        result[method] = {
            "mae_mm": {k: round(float(e[:, i].mean()), 2) for i, k in enumerate(MEASUREMENT_KEYS)},
            "max_mm": {k: round(float(e[:, i].max()), 2) for i, k in enumerate(MEASUREMENT_KEYS)},
            "seconds_median": round(statistics.median(seconds[method]), 3),
            "seconds_p90": round(float(np.percentile(seconds[method], 90)), 3),
        }
    return result


def _errors(measured: dict[str, float], subject: dict) -> list[float]:
    return [10.0 * (measured[k] - subject[k]) for k in MEASUREMENT_KEYS]


def print_table(result: dict) -> None:
    table = Table(title=f"Avatar read-back error on {result['subjects']} ANSUR subjects (seed {result['seed']})")
    for column in ("measurement", "goal MAE mm", "fitroom MAE", "fitroom max", "adam MAE", "adam max"):
        table.add_column(column, justify="right")
    for k in MEASUREMENT_KEYS:
        table.add_row(k, f"{GOAL_MM[k]:.0f}", f"{result['fitroom']['mae_mm'][k]:.2f}",
                      f"{result['fitroom']['max_mm'][k]:.1f}", f"{result['adam']['mae_mm'][k]:.2f}",
                      f"{result['adam']['max_mm'][k]:.1f}")
    f, a = result["fitroom"], result["adam"]
    table.add_row("s/avatar median", "0.5", f"{f['seconds_median']:.3f}", f"p90 {f['seconds_p90']:.3f}",
                  f"{a['seconds_median']:.3f}", f"p90 {a['seconds_p90']:.3f}")
    console = Console()
    console.print(table)
    console.print(f"model load + warm-up: {result['model_load_seconds']} s; "
                  f"speed ratio adam/fitroom (median): {a['seconds_median'] / f['seconds_median']:.1f}x")


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run(args.subjects, args.seed)
    print_table(result)
    save(args.json, result)


if __name__ == "__main__":
    main()
