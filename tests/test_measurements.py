"""Bad measurements raise MeasurementError naming the field, the value and the accepted range."""

from __future__ import annotations

import math

import pytest

from avatars import BodyMeasurements, MeasurementError


@pytest.mark.parametrize(
    "data, field",
    [
        ({"stature": math.nan}, "stature"),
        ({"stature": -170.0}, "stature"),
        ({"stature": 251.0}, "stature"),
        ({"stature": 49.0}, "stature"),
        ({"stature": "tall"}, "stature"),
        ({"stature": True}, "stature"),
        ({"stature": 170.0, "chest": math.inf}, "chest"),
        ({"stature": 170.0, "waist": -3.0}, "waist"),
        ({"stature": 170.0, "weight": 0.5}, "weight"),
        ({"stature": 170.0, "age": 130}, "age"),
        ({"stature": 170.0, "sex": "robot"}, "sex"),
        ({"stature": 170.0, "wingspan": 180.0}, "wingspan"),
        ({"chest": 96.0}, "stature"),
        ({"stature": None}, "stature"),
        ({"stature": 170.0, "knee_height": math.nan}, "knee_height"),
        ({"stature": 170.0, "head": 120.0}, "head"),
    ],
)
def test_bad_values_name_the_field(data, field):
    with pytest.raises(MeasurementError) as info:
        BodyMeasurements.from_dict(data)
    assert info.value.field == field
    assert field in str(info.value)
    assert "accepted" in str(info.value)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"stature": 170.0, "inseam": 120.0}, "inseam"),  # legs longer than 60 % of the body
        ({"stature": 170.0, "arm_length": 20.0}, "arm_length"),
        ({"stature": 170.0, "hip": 90.0, "thigh": 95.0}, "thigh"),
        ({"stature": 120.0, "shoulder_breadth": 60.0}, "shoulder_breadth"),
        ({"stature": 170.0, "cervicale_height": 171.0}, "cervicale_height"),  # above the stature
        ({"stature": 170.0, "inseam": 78.0, "waist_height": 75.0}, "waist_height"),  # below the crotch
        ({"stature": 170.0, "axilla_height": 140.0, "shoulder_height": 135.0}, "shoulder_height"),
        ({"stature": 170.0, "knee_height": 50.0, "hip_height": 45.0}, "hip_height"),
    ],
)
def test_contradictory_values_are_rejected(data, field):
    with pytest.raises(MeasurementError, match="contradicts") as info:
        BodyMeasurements.from_dict(data)
    assert info.value.field == field


def test_range_is_in_the_message():
    with pytest.raises(MeasurementError, match=r"\[50, 250\] cm"):
        BodyMeasurements.from_dict({"stature": 300})


def test_valid_input_keeps_every_value():
    body = BodyMeasurements.from_dict({"stature": 172, "chest": 96.5, "sex": "female", "age": 30})
    assert body.given() == {"stature": 172.0, "chest": 96.5}
    assert body.sex == "female" and body.age == 30.0


def test_real_bodies_pass_the_height_order():
    """ANSUR II has crotches above the buttock point and nipples above the armpit: both are allowed."""
    body = BodyMeasurements.from_dict({"stature": 175.0, "inseam": 84.5, "hip_height": 83.0,
                                       "axilla_height": 132.4, "chest_height": 133.2, "shoulder_height": 144.0})
    assert body.hip_height == 83.0 and body.chest_height == 133.2
