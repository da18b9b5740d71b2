"""Train photo -> measurements (run offline; writes assets/models/photo_measurements.npz).

    .venv/bin/python scripts/train_photo_measurements.py --subjects 300

ANSUR II subjects (those the benchmark does not draw) become avatars, photographed front and
side by `engine.render.studio` in random poses, skin tones, swimwear, backdrops and framings.
Ridge regressions learn photo features -> measured girths and lengths, for the front photo alone
and with a side photo; each keeps its 5-fold cross-validated RMS error as its confidence.
"""

from __future__ import annotations

import argparse

import numpy as np
from tqdm import tqdm

from avatars.ansur import load_subjects
from avatars.avatar import Avatar
from avatars.body_model import load_body_model
from avatars.photo import PhotoError, find_body
from avatars.photo_measure import (
    ESTIMATED,
    WEIGHTS_PATH,
    design_matrix,
    fit_ridge,
    photo_features,
)
from engine.render.studio import random_setting, swimwear_mask, take_photo

BENCHMARK_SEED, BENCHMARK_COUNT = 0, 100  # benchmarks/photo_avatar.py draws these: keep them out


def photograph(avatar: Avatar, rng: np.random.Generator, model) -> tuple[np.ndarray, np.ndarray] | None:
    """Front and front+side features of one random photo session, or None if MediaPipe misses."""
    front_setting = random_setting(rng)
    posed = avatar.posed(front_setting.rotations, model=model)
    covered = swimwear_mask(avatar.mesh, avatar.landmarks, avatar.inputs.get("sex") == "female")
    side_setting = random_setting(rng, view="side")
    side_pose = avatar.posed({"root": (0.0, float(rng.uniform(-8, 8)), 0.0)}, model=model)
    try:
        front = find_body(take_photo(posed, covered, front_setting)[0])
        side = find_body(take_photo(side_pose, covered, side_setting)[0], full_body=False)
    except PhotoError:
        return None
    stature = avatar.measured["stature"]
    return photo_features(front, stature), photo_features(front, stature, side)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=300)
    parser.add_argument("--alpha", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    held_out = {s["subject"] for s in load_subjects(BENCHMARK_COUNT, BENCHMARK_SEED)}
    pool = [s for s in load_subjects(100_000, args.seed) if s["subject"] not in held_out]
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(pool), size=min(args.subjects, len(pool)), replace=False)
    model = load_body_model()
    rows: dict[str, list] = {"front": [], "front_side": [], "y": [], "stature": [], "female": []}
    for i in tqdm(pick, desc="photographing avatars"):
        subject = pool[i]
        avatar = Avatar.from_measurements({k: v for k, v in subject.items() if k != "subject"}, model=model)
        features = photograph(avatar, rng, model)
        if features is None:
            continue
        rows["front"].append(features[0])
        rows["front_side"].append(features[1])
        rows["y"].append([avatar.measured[k] for k in ESTIMATED])
        rows["stature"].append(avatar.measured["stature"])
        # a third of the shoppers do not say their sex: the model must work without it
        rows["female"].append(0.5 if rng.random() < 1 / 3 else float(subject["sex"] == "female"))
    y, stature, female = (np.array(rows[k]) for k in ("y", "stature", "female"))
    out = {"keys": np.array(ESTIMATED), "samples": np.array(len(y))}
    folds = np.arange(len(y)) % 5
    for view in ("front", "front_side"):
        x = design_matrix(np.array(rows[view]), stature, female)
        residuals = np.concatenate([
            y[folds == k] - x[folds == k] @ fit_ridge(x[folds != k], y[folds != k], args.alpha) for k in range(5)])
        out[f"{view}_coef"] = fit_ridge(x, y, args.alpha)
        out[f"{view}_sigma"] = np.sqrt((residuals ** 2).mean(axis=0))
        print(view, "cross-validated RMS (cm):", dict(zip(ESTIMATED, out[f"{view}_sigma"].round(2))))
    np.savez(WEIGHTS_PATH, **out)
    print(f"wrote {WEIGHTS_PATH} from {len(y)} photographed bodies")


if __name__ == "__main__":
    main()
