"""Drape quality checked without the solver's own collision code, fit numbers that move the right way."""

from __future__ import annotations

import numpy as np
import pytest

from avatars import Avatar, BodyMeasurements
from avatars.population import complete
from engine.drape import BodyCollider, drape
from engine.garments.build import build_garment
from engine.size import chart_size, recommend_size
from engine.tryon import try_on


@pytest.fixture(scope="module")
def collider(example_avatar):
    return BodyCollider(example_avatar.mesh)


def test_drape_is_deterministic(example_avatar, body_model, collider):
    garment = build_garment(example_avatar, "tee", "M", model=body_model)
    first = drape(garment, example_avatar.mesh, collider=collider).positions
    second = drape(garment, example_avatar.mesh, collider=collider).positions
    assert np.array_equal(first, second)


def test_a_fitting_tee_is_not_overstretched(example_avatar, collider):
    result = try_on(example_avatar, "tee", "L", collider=collider)
    strain = result.drape.edge_strain() * 100
    assert np.mean(strain) < result.garment.fabric.comfort_strain_pct
    assert result.fit.regions["chest"].verdict == "fit"


def test_ease_grows_with_size(example_avatar, collider):
    ease = [try_on(example_avatar, "tee", label, collider=collider).fit.regions["chest"].ease_cm
            for label in ("XS", "S", "M", "L", "XL")]
    assert all(b > a for a, b in zip(ease, ease[1:])), ease
    assert ease[-1] - ease[0] > 15.0  # the chart grades by 6 cm a size


def test_large_chest_is_tight_in_a_small_tee(body_model):
    avatar = Avatar.from_measurements({"stature": 168.0, "chest": 112.0, "waist": 88.0, "hip": 104.0,
                                       "sex": "female"}, model=body_model)
    fit = try_on(avatar, "tee", "XS").fit
    assert fit.regions["chest"].verdict == "tight"
    assert fit.regions["chest"].ease_cm < -10.0
    assert fit.regions["chest"].strain_pct > 10.0
    report = fit.as_dict()
    assert set(report["regions"]["chest"]) >= {"ease_cm", "strain_pct", "verdict"}
    assert report["penetration_mm_max"] <= 2.0 and report["seconds"] > 0


def test_bigger_body_never_gets_a_smaller_size(body_model):
    small = Avatar.from_measurements({"stature": 165.0, "chest": 86.0, "waist": 70.0, "hip": 94.0,
                                      "sex": "female"}, model=body_model)
    large = Avatar.from_measurements({"stature": 165.0, "chest": 104.0, "waist": 88.0, "hip": 110.0,
                                      "sex": "female"}, model=body_model)
    labels = ["XS", "S", "M", "L", "XL", "XXL"]
    a, b = recommend_size(small, "tee"), recommend_size(large, "tee")
    assert labels.index(b.size) > labels.index(a.size)
    assert a.size in a.reason and "chest" in a.reason
    for avatar, advice in ((small, a), (large, b)):  # the store's chart-only advice names the same sizes
        assert chart_size("tee", "women", complete(BodyMeasurements.from_dict(avatar.inputs))[0]) == advice.size
