"""Body measurements: names, ISO 8559-1 meanings, accepted ranges and validation.

Every length is in centimetres, weight in kilograms, age in years. A `BodyMeasurements` is what a
shopper or designer asks for; validation raises `MeasurementError` naming the field, the value
and the accepted range, and never clamps silently.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from avatars.errors import MeasurementError


@dataclass(frozen=True)
class MeasurementSpec:
    """One measurement: its key, the ISO 8559-1 meaning, the accepted range and its ANSUR column."""

    key: str
    iso: str
    low: float
    high: float
    ansur: str | None
    unit: str = "cm"


#: The measurements an avatar is fitted to and read back off the mesh, in fitting order.
BODY_MEASUREMENTS: tuple[MeasurementSpec, ...] = (
    MeasurementSpec("stature", "ISO 8559-1 5.1.1 stature: vertex of the head to the floor, standing", 50, 250, "stature"),
    MeasurementSpec("chest", "ISO 8559-1 5.3.4 chest/bust girth: horizontal, at nipple (bust point) level", 40, 200, "chestcircumference"),
    MeasurementSpec("waist", "ISO 8559-1 5.3.10 waist girth, taken at the navel (omphalion), horizontal", 35, 220, "waistcircumference"),
    MeasurementSpec("hip", "ISO 8559-1 5.3.13 hip girth: horizontal, at maximum buttock protrusion", 40, 220, "buttockcircumference"),
    MeasurementSpec("inseam", "ISO 8559-1 5.1.15 crotch height: floor to the crotch, standing", 20, 130, "crotchheight"),
    MeasurementSpec("neck_base", "ISO 8559-1 5.3.3 neck base girth: over cervicale and the jugular notch", 20, 70, "neckcircumferencebase"),
    MeasurementSpec("shoulder_breadth", "ISO 8559-1 5.2.1 biacromial breadth: acromion to acromion", 15, 70, "biacromialbreadth"),
    MeasurementSpec("thigh", "ISO 8559-1 5.3.20 thigh girth: horizontal, just below the gluteal fold", 20, 110, "thighcircumference"),
    MeasurementSpec("arm_length", "ISO 8559-1 5.4.2 arm length (sleeve outseam): acromion to wrist, along the arm", 20, 100, "sleeveoutseam"),
)
MEASUREMENT_KEYS: tuple[str, ...] = tuple(spec.key for spec in BODY_MEASUREMENTS)
SPECS: dict[str, MeasurementSpec] = {spec.key: spec for spec in BODY_MEASUREMENTS}
#: Extra facts about the shopper that steer the body model but are not read off the mesh.
EXTRA_RANGES: dict[str, tuple[float, float]] = {"weight": (2.0, 300.0), "age": (0.0, 120.0)}
SEXES = ("female", "male")


def _number(field: str, value: Any, low: float, high: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise MeasurementError(field, value, f"a number in [{low:g}, {high:g}] {unit}")
    try:
        value = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise MeasurementError(field, value, f"[{low:g}, {high:g}] {unit}") from None
    if not math.isfinite(value) or not (low <= value <= high):
        raise MeasurementError(field, value, f"[{low:g}, {high:g}] {unit}")
    return value


@dataclass(frozen=True)
class BodyMeasurements:
    """Validated targets for an avatar. Only `stature` is required; `None` means "not given"."""

    stature: float
    chest: float | None = None
    waist: float | None = None
    hip: float | None = None
    inseam: float | None = None
    neck_base: float | None = None
    shoulder_breadth: float | None = None
    thigh: float | None = None
    arm_length: float | None = None
    weight: float | None = None
    sex: str | None = None
    age: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BodyMeasurements:
        """Validate a plain mapping (as in the CLI's JSON file) into measurements."""
        if not isinstance(data, Mapping):
            raise MeasurementError("measurements", data, "a JSON object of measurements in cm")
        known = set(MEASUREMENT_KEYS) | set(EXTRA_RANGES) | {"sex"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise MeasurementError(unknown[0], data[unknown[0]], f"one of the keys {sorted(known)}")
        if data.get("stature") is None:
            raise MeasurementError("stature", None, "a number in [50, 250] cm (stature is required)")
        values: dict[str, Any] = {}
        for key, value in data.items():
            if value is None:
                continue
            if key == "sex":
                if value not in SEXES:
                    raise MeasurementError("sex", value, "'female' or 'male'")
                values[key] = value
            elif key in SPECS:
                spec = SPECS[key]
                values[key] = _number(key, value, spec.low, spec.high, spec.unit)
            else:
                low, high = EXTRA_RANGES[key]
                values[key] = _number(key, value, low, high, "kg" if key == "weight" else "years")
        body = cls(**values)
        body._check_consistent()
        return body

    def _check_consistent(self) -> None:
        """Reject combinations no human body has (each rule names the field it blames)."""
        s = self.stature
        rules = (
            ("inseam", self.inseam, 0.30 * s, 0.60 * s, "between 30% and 60% of stature"),
            ("arm_length", self.arm_length, 0.22 * s, 0.50 * s, "between 22% and 50% of stature"),
            ("shoulder_breadth", self.shoulder_breadth, 0.12 * s, 0.35 * s, "between 12% and 35% of stature"),
            ("neck_base", self.neck_base, 0.12 * s, 0.45 * s, "between 12% and 45% of stature"),
            ("thigh", self.thigh, None, self.hip, "smaller than the hip girth"),
            ("waist", self.waist, None, 2.0 * self.hip if self.hip else None, "at most twice the hip girth"),
        )
        for field, value, low, high, words in rules:
            if value is None:
                continue
            if (low is not None and value < low) or (high is not None and value > high):
                raise MeasurementError(field, value, f"{words} (stature {s:g} cm)", contradictory=True)

    def given(self) -> dict[str, float]:
        """The body measurements that were stated (not filled), in fitting order."""
        return {k: getattr(self, k) for k in MEASUREMENT_KEYS if getattr(self, k) is not None}

    def as_dict(self) -> dict[str, Any]:
        keys = MEASUREMENT_KEYS + ("weight", "sex", "age")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
