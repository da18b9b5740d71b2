"""On 100 real ANSUR II bodies the avatars' read-back measurements meet the accuracy goals."""

from __future__ import annotations

import numpy as np
import pytest

from avatars import Avatar, measure
from avatars.ansur import DEFAULT_FOLDER, load_subjects
from avatars.measurements import CORE_KEYS

GOAL_MM = {k: 5.0 if k in ("stature", "chest", "waist", "hip", "inseam") else 10.0 for k in CORE_KEYS}

pytestmark = pytest.mark.skipif(not DEFAULT_FOLDER.exists(), reason="ANSUR data not beside the project")


def test_100_subjects_within_goals(body_model):
    errors = []
    for subject in load_subjects(100, seed=0):
        inputs = {k: subject[k] for k in CORE_KEYS + ("weight", "sex", "age")}
        avatar = Avatar.from_measurements(inputs, model=body_model)
        measured = measure(avatar.mesh)  # read back off the mesh, not from the fit
        errors.append([10.0 * (measured[k] - subject[k]) for k in CORE_KEYS])
    mae = dict(zip(CORE_KEYS, np.abs(np.array(errors)).mean(axis=0)))
    failing = {k: round(v, 2) for k, v in mae.items() if v > GOAL_MM[k]}
    assert not failing, f"mean absolute error over goal (mm): {failing}; all: {mae}"


def test_shoppers_heights_come_out_near_right_on_average(body_model):
    """Given only what shoppers type (stature, chest, waist, hip, sex), 40 avatars' landmark heights, read off the
    mesh, sit where the people's are on average. Before the heights were fitted to the population's, the armpit
    sat 16 mm low, the buttock 22 mm and the knee 9 mm high on these subjects (now -4.5, +12.7, +1.2)."""
    from avatars.measurements import HEIGHT_KEYS

    errors = []
    for subject in load_subjects(40, seed=1):
        avatar = Avatar.from_measurements({k: subject[k] for k in ("stature", "chest", "waist", "hip", "sex")},
                                          model=body_model)
        measured = measure(avatar.mesh)
        errors.append([10.0 * (measured[k] - subject[k]) for k in HEIGHT_KEYS])
    bias = dict(zip(HEIGHT_KEYS, np.array(errors).mean(axis=0)))
    limits = {"axilla_height": 10.0, "knee_height": 4.0, "hip_height": 16.0}
    over = {k: round(b, 1) for k, b in bias.items() if abs(b) > limits.get(k, 8.0)}
    assert not over, f"height bias over its limit (mm): {over}; all: {bias}"
