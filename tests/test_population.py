"""Missing measurements come from the population given the known ones, and are reported as filled."""

from __future__ import annotations

from avatars import BodyMeasurements
from avatars.measurements import MEASUREMENT_KEYS
from avatars.population import FILLABLE_KEYS, complete


def test_fills_every_missing_key_and_says_so():
    values, filled = complete(BodyMeasurements.from_dict({"stature": 172.0, "chest": 96.0, "sex": "female"}))
    assert set(values) == set(FILLABLE_KEYS)  # ANSUR II has no bust-point breadth nor relaxed upper arm
    assert values["stature"] == 172.0 and values["chest"] == 96.0
    assert sorted(filled) == sorted(set(MEASUREMENT_KEYS) - {"stature", "chest"})


def test_heights_are_filled_in_proportion():
    values, _ = complete(BodyMeasurements.from_dict({"stature": 180.0, "chest": 100.0, "waist": 85.0,
                                                     "hip": 100.0, "sex": "male"}))
    heights = [values[k] for k in ("knee_height", "hip_height", "waist_height", "axilla_height",
                                   "shoulder_height", "cervicale_height", "stature")]
    assert heights == sorted(heights)
    assert 0.58 < values["waist_height"] / 180.0 < 0.62  # ANSUR men: omphalion at 60 % of stature


def test_fill_follows_what_is_known():
    short, _ = complete(BodyMeasurements.from_dict({"stature": 155.0, "sex": "male"}))
    tall, _ = complete(BodyMeasurements.from_dict({"stature": 195.0, "sex": "male"}))
    assert tall["inseam"] - short["inseam"] > 10.0  # inseam grows with stature
    assert tall["arm_length"] > short["arm_length"]
    light, _ = complete(BodyMeasurements.from_dict({"stature": 175.0, "sex": "female", "weight": 50.0}))
    heavy, _ = complete(BodyMeasurements.from_dict({"stature": 175.0, "sex": "female", "weight": 100.0}))
    assert heavy["waist"] - light["waist"] > 15.0  # weight tells about girths
    assert 0.40 < light["inseam"] / 175.0 < 0.55


def test_sexes_differ_where_populations_do():
    female, _ = complete(BodyMeasurements.from_dict({"stature": 170.0, "sex": "female"}))
    male, _ = complete(BodyMeasurements.from_dict({"stature": 170.0, "sex": "male"}))
    assert male["neck_base"] > female["neck_base"]
    assert male["shoulder_breadth"] > female["shoulder_breadth"]
