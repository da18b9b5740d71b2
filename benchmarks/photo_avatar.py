"""Avatars from photos against ground truth: synthetic photos of ANSUR bodies in known poses.

    .venv/bin/python benchmarks/photo_avatar.py [--subjects 60] [--seed 0] [--json out/photo_avatar.json]

Each subject becomes an avatar (the truth), photographed by `engine.render.studio` in a random
pose, skin tone, swimwear, backdrop and framing, front and side. The whole pipeline runs on the
pictures: MediaPipe, measurements from the photo, avatar fitting, inverse kinematics. Reported:
limb angle error (angle between true and solved upper/lower arm and leg directions), keypoint
reprojection error (% of body height), and girth/length errors of the built avatar, front photo
alone and with the side photo. Peer in the same run: the avatar from stated height and sex alone
(the population's typical body), which is what a shop without a photo would have.
The subjects are those the training script (`scripts/train_photo_measurements.py`) leaves out.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from avatars import Avatar
from avatars.ansur import load_subjects
from avatars.body_model import load_body_model
from avatars.from_photo import avatar_from_photo
from avatars.photo import PhotoError
from avatars.photo_measure import ESTIMATED
from avatars.photo_pose import POSED_BONES, KeypointRig, limb_angle_errors
from engine.render.studio import random_setting, swimwear_mask, take_photo

GOAL = {"reprojection_pct": 3.0, "chest": 3.0, "waist": 3.0, "hip": 3.0}
METHODS = ("front", "front_side", "height_only")


def run(count: int, seed: int) -> dict:
    model = load_body_model()
    rng = np.random.default_rng(seed)
    errors = {m: {k: [] for k in ESTIMATED} for m in METHODS}
    angles, reprojection, seconds, failures = [], [], [], []
    for subject in tqdm(load_subjects(count, seed), desc="photographing and rebuilding ANSUR subjects"):
        truth = Avatar.from_measurements({k: v for k, v in subject.items() if k != "subject"}, model=model)
        setting = random_setting(rng)
        covered = swimwear_mask(truth.mesh, truth.landmarks, subject["sex"] == "female")
        front, _ = take_photo(truth.posed(setting.rotations, model=model), covered, setting)
        side, _ = take_photo(truth.posed({}, model=model), covered, random_setting(rng, view="side"))
        stature = truth.measured["stature"]
        try:
            started = time.perf_counter()
            built = {"front": avatar_from_photo(front, stature, sex=subject["sex"], model=model)}
            seconds.append(time.perf_counter() - started)
            built["front_side"] = avatar_from_photo(front, stature, side=side, sex=subject["sex"], model=model)
        except PhotoError as exc:
            failures.append(f"{subject['subject']}: {exc}")
            continue
        baseline = Avatar.from_measurements({"stature": stature, "sex": subject["sex"]}, model=model)
        measured = {"front": built["front"].avatar.measured, "front_side": built["front_side"].avatar.measured,
                    "height_only": baseline.measured}
        for method in METHODS:
            for key in ESTIMATED:
                errors[method][key].append(measured[method][key] - truth.measured[key])
        rig = KeypointRig(model, truth.parameters)
        true_rotvecs = np.zeros((len(POSED_BONES), 3))
        for bone, value in setting.rotations.items():
            true_rotvecs[POSED_BONES.index(bone)] = np.radians(value)
        angles.append(limb_angle_errors(rig, built["front"].pose.rotvecs, true_rotvecs))
        reprojection.append(100 * built["front"].pose.reprojection_error)
    angles_array = np.array(angles)
    return {
        "subjects": count, "seed": seed, "rebuilt": len(reprojection), "failures": failures,
        "limb_angle_error_deg": {"mean": round(float(angles_array.mean()), 2),
                                 "median": round(float(np.median(angles_array)), 2),
                                 "p90": round(float(np.percentile(angles_array, 90)), 2)},
        "reprojection_pct_of_height": {"mean": round(float(np.mean(reprojection)), 2),
                                       "max": round(float(np.max(reprojection)), 2)},
        "mae_cm": {m: {k: round(float(np.mean(np.abs(v))), 2) for k, v in errors[m].items()} for m in METHODS},
        "bias_cm": {m: {k: round(float(np.mean(v)), 2) for k, v in errors[m].items()} for m in METHODS},
        "seconds_per_photo_median": round(statistics.median(seconds), 2),
    }


def print_table(result: dict) -> None:
    table = Table(title=f"Avatars from synthetic photos: {result['rebuilt']} of {result['subjects']} "
                        f"ANSUR subjects (seed {result['seed']})")
    for column in ("measurement", "goal MAE cm", "front photo", "front + side", "height only (peer)"):
        table.add_column(column, justify="right")
    for key in ESTIMATED:
        table.add_row(key, f"{GOAL[key]:.0f}" if key in GOAL else "",
                      *(f"{result['mae_cm'][m][key]:.2f}" for m in METHODS))
    console = Console()
    console.print(table)
    r, a = result["reprojection_pct_of_height"], result["limb_angle_error_deg"]
    console.print(f"reprojection error: mean {r['mean']} % of height, max {r['max']} % (goal <= 3 %)")
    console.print(f"limb angle error: mean {a['mean']} deg, median {a['median']}, p90 {a['p90']}")
    ratio = {k: result["mae_cm"]["height_only"][k] / max(result["mae_cm"]["front"][k], 1e-9) for k in ("chest", "waist", "hip")}
    console.print("peer/front MAE ratio: " + ", ".join(f"{k} {v:.1f}x" for k, v in ratio.items()))
    console.print(f"seconds per photo (median, model loaded): {result['seconds_per_photo_median']}")
    for failure in result["failures"]:
        console.print(f"[yellow]not rebuilt[/] {failure}")


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--subjects", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = run(args.subjects, args.seed)
    print_table(result)
    save(args.json, result)


if __name__ == "__main__":
    main()
