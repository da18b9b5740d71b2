"""Avatar accuracy and speed on ANSUR II subjects: Fitroom's fitter against plain gradient fitting.

    .venv/bin/python benchmarks/avatar_accuracy.py [--subjects 100] [--seed 0] [--json out/avatar_accuracy.json]

Every avatar is read back off its mesh with `avatars.measure` (not judged by its own loss).
Table 1 (self tape, the first nine measurements plus weight, sex and age given): Fitroom (warm
start + Levenberg-Marquardt on the tape probes) against Adam on the same probes from Anny's mean
body, no warm start, same run and bodies.
Table 2 (self tape, every input ANSUR II has given): what the further measurements reach.
Table 3 (the subject's own heights): each avatar re-measured where the person was measured:
trunk girths at the subject's ANSUR chest, omphalion and buttock heights, the hip as the largest
trunk girth between the subject's crotch (+2 cm, clear of the thighs) and waist, and the
avatar's landmark heights against ANSUR's. Twice: with what shoppers type (stature, chest,
waist, hip, sex) and with every input.
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
from avatars.measurements import CORE_KEYS, BodyMeasurements
from avatars.population import FILLABLE_KEYS, complete
from avatars.tape import trunk_girths_at

GOAL_MM = {k: 5.0 if k in ("stature", "chest", "waist", "hip", "inseam") else 10.0 for k in FILLABLE_KEYS}
SHOPPER_INPUTS = ("stature", "chest", "waist", "hip", "sex")
#: Table 2: girths at the subject's own height of each, and the landmark heights.
GIRTH_AT_HEIGHT = {"chest": "chest_height", "waist": "waist_height", "hip": "hip_height"}
HEIGHTS = ("cervicale_height", "shoulder_height", "axilla_height", "chest_height", "waist_height",
           "hip_height", "knee_height", "inseam")
AT_HEIGHTS = tuple(f"{k} at subject's {h}" for k, h in GIRTH_AT_HEIGHT.items()) + ("hip, max crotch-waist",) + HEIGHTS
AT_HEIGHTS_GOAL_MM = {k: 8.0 if " " in k else 10.0 for k in AT_HEIGHTS}  # girths 8, heights 10


def fit_adam(model: BodyModel, targets: dict[str, float], female: float, steps: int = 60,
             lr: float = 0.05, refresh: int = 10) -> np.ndarray:
    """Plain gradient fitting: Adam from the mean body on the probes, re-laid every `refresh` steps."""
    params = MEAN_PARAMETERS.clone()
    params[0] = female
    free = params.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([free], lr=lr)
    target = torch.tensor([targets[k] for k in CORE_KEYS], dtype=torch.float64)
    probes = None
    for step in range(steps):
        if step % refresh == 0:
            with torch.no_grad():
                vertices = model.vertices(clamp_parameters(free)[None])[0].numpy()
            probes = measure_vertices(model, vertices).probes
        vertices = model.vertices(clamp_parameters(free)[None])
        values = torch.stack([probes[k].evaluate(vertices)[0] for k in CORE_KEYS]) * 100.0
        loss = ((values - target) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        free.grad[0] = 0.0  # sex stays as stated
        optimiser.step()
    with torch.no_grad():
        return model.vertices(clamp_parameters(free)[None])[0].numpy()


def at_own_heights(mesh, subject: dict) -> list[float]:
    """Table 2's errors (mm): trunk girths at the subject's heights, the hip's maximum, landmark heights."""
    cm_to_m = 0.01
    levels = {k: subject[h] * cm_to_m for k, h in GIRTH_AT_HEIGHT.items()}
    between = np.linspace(subject["inseam"] + 2.0, subject["waist_height"], 12) * cm_to_m  # 2 cm: clear of the thighs
    levels.update({f"between {i}": y for i, y in enumerate(between)})
    girths = {k: 100.0 * g for k, g in trunk_girths_at(mesh, levels).items()}
    hip_max = max(g for k, g in girths.items() if k.startswith("between"))
    measured = measure(mesh)
    return ([10.0 * (girths[k] - subject[k]) for k in GIRTH_AT_HEIGHT] + [10.0 * (hip_max - subject["hip"])]
            + [10.0 * (measured[h] - subject[h]) for h in HEIGHTS])


def inputs_of(subject: dict, which: str) -> BodyMeasurements:
    """The subject's measurements as a shopper ("shopper"), a tailor ("nine") or the survey ("all") gives them."""
    given = {k: v for k, v in subject.items() if k != "subject"}
    keep = {"shopper": SHOPPER_INPUTS, "nine": CORE_KEYS + ("weight", "sex", "age"), "all": tuple(given)}[which]
    return BodyMeasurements.from_dict({k: given[k] for k in keep})


def _summary(errors: list[list[float]], keys: tuple[str, ...]) -> dict:
    e = np.array(errors)
    return {"mae_mm": {k: round(float(np.abs(e[:, i]).mean()), 2) for i, k in enumerate(keys)},
            "bias_mm": {k: round(float(e[:, i].mean()), 2) for i, k in enumerate(keys)},
            "max_mm": {k: round(float(np.abs(e[:, i]).max()), 2) for i, k in enumerate(keys)}}


def run(count: int, seed: int) -> dict:
    started = time.perf_counter()
    model = load_body_model()
    Avatar.from_measurements({"stature": 170.0}, model=model)  # warm-up: kernels, caches
    load_seconds = time.perf_counter() - started
    subjects = load_subjects(count, seed)
    errors = {"fitroom": [], "adam": [], "all": []}
    seconds = {"fitroom": [], "adam": [], "all": [], "shopper": []}
    heights = {"all": [], "shopper": []}
    for subject in tqdm(subjects, desc="fitting ANSUR subjects"):
        body = inputs_of(subject, "nine")
        t0 = time.perf_counter()
        avatar = Avatar.from_measurements(body, model=model)
        seconds["fitroom"].append(time.perf_counter() - t0)
        errors["fitroom"].append(_errors(measure(avatar.mesh), subject, CORE_KEYS))

        for which in ("all", "shopper"):
            t0 = time.perf_counter()
            other = Avatar.from_measurements(inputs_of(subject, which), model=model)
            seconds[which].append(time.perf_counter() - t0)
            heights[which].append(at_own_heights(other.mesh, subject))
            if which == "all":
                errors["all"].append(_errors(measure(other.mesh), subject, FILLABLE_KEYS))

        targets, _ = complete(body)
        t0 = time.perf_counter()
        vertices = fit_adam(model, targets, 1.0 if body.sex == "female" else 0.0)
        seconds["adam"].append(time.perf_counter() - t0)
        errors["adam"].append(_errors(measure_vertices(model, vertices).values, subject, CORE_KEYS))
    result = {"subjects": len(subjects), "seed": seed, "model_load_seconds": round(load_seconds, 2)}
    for method, keys in (("fitroom", CORE_KEYS), ("adam", CORE_KEYS), ("all", FILLABLE_KEYS)):
        result[method] = {**_summary(errors[method], keys), **_timing(seconds[method])}
    result["shopper"] = _timing(seconds["shopper"])
    result["at_own_heights"] = {which: _summary(errs, AT_HEIGHTS) for which, errs in heights.items()}
    return result


def _timing(seconds: list[float]) -> dict:
    return {"seconds_median": round(statistics.median(seconds), 3),
            "seconds_p90": round(float(np.percentile(seconds, 90)), 3)}


def _errors(measured: dict[str, float], subject: dict, keys: tuple[str, ...]) -> list[float]:
    return [10.0 * (measured[k] - subject[k]) for k in keys]


def print_table(result: dict) -> None:
    console = Console()
    title = f"Avatar read-back error (mm) on {result['subjects']} ANSUR subjects (seed {result['seed']})"
    table = Table(title=f"{title}, the first nine given")
    for column in ("measurement", "goal MAE", "fitroom MAE", "fitroom max", "adam MAE", "adam max"):
        table.add_column(column, justify="right")
    f, a = result["fitroom"], result["adam"]
    for k in CORE_KEYS:
        table.add_row(k, f"{GOAL_MM[k]:.0f}", f"{f['mae_mm'][k]:.2f}", f"{f['max_mm'][k]:.1f}",
                      f"{a['mae_mm'][k]:.2f}", f"{a['max_mm'][k]:.1f}")
    table.add_row("s/avatar median", "0.5", f"{f['seconds_median']:.3f}", f"p90 {f['seconds_p90']:.3f}",
                  f"{a['seconds_median']:.3f}", f"p90 {a['seconds_p90']:.3f}")
    console.print(table)
    console.print(f"model load + warm-up: {result['model_load_seconds']} s; "
                  f"speed ratio adam/fitroom (median): {a['seconds_median'] / f['seconds_median']:.1f}x")
    every = Table(title=f"{title}, every input given")
    for column in ("measurement", "goal MAE", "MAE", "bias", "max"):
        every.add_column(column, justify="right")
    e = result["all"]
    for k in FILLABLE_KEYS:
        every.add_row(k, f"{GOAL_MM[k]:.0f}", f"{e['mae_mm'][k]:.2f}", f"{e['bias_mm'][k]:+.2f}", f"{e['max_mm'][k]:.1f}")
    every.add_row("s/avatar median", "0.5", f"{e['seconds_median']:.3f}", "", f"p90 {e['seconds_p90']:.3f}")
    console.print(every)
    heights = Table(title="Re-measured at the subject's own heights (mm)")
    heights.add_column("measure")
    heights.add_column("goal MAE", justify="right")
    for which in ("shopper", "all"):
        for column in ("MAE", "bias", "max"):
            heights.add_column(f"{which} {column}", justify="right")
    for k in AT_HEIGHTS:
        cells = [f"{result['at_own_heights'][w][s][k]:.1f}" for w in ("shopper", "all")
                 for s in ("mae_mm", "bias_mm", "max_mm")]
        heights.add_row(k, f"{AT_HEIGHTS_GOAL_MM[k]:.0f}", *cells)
    console.print(heights)
    console.print(f"shopper inputs: {result['shopper']['seconds_median']:.3f} s/avatar median "
                  f"(p90 {result['shopper']['seconds_p90']:.3f})")


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
