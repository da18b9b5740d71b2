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
#: The measurements every avatar had first; the warm-start regressor reads these.
CORE_KEYS: tuple[str, ...] = tuple(spec.key for spec in BODY_MEASUREMENTS)
BODY_MEASUREMENTS += (
    # heights above the floor, standing (ISO 8559-1 heights; ANSUR II's names)
    MeasurementSpec("cervicale_height", "ISO 8559-1 cervical height: floor to cervicale (7th cervical vertebra)", 30, 230, "cervicaleheight"),
    MeasurementSpec("shoulder_height", "ISO 8559-1 shoulder (acromion) height: floor to the acromion", 30, 220, "acromialheight"),
    MeasurementSpec("axilla_height", "ISO 8559-1 armpit height: floor to the armpit, where the arm leaves the trunk", 25, 210, "axillaheight"),
    MeasurementSpec("chest_height", "ISO 8559-1 bust/chest height: floor to the bust point (nipple)", 25, 200, "chestheight"),
    MeasurementSpec("waist_height", "ISO 8559-1 waist height: floor to the waist at the navel (omphalion)", 20, 160, "waistheightomphalion"),
    MeasurementSpec("hip_height", "ISO 8559-1 hip height: floor to the maximum buttock protrusion", 15, 140, "buttockheight"),
    MeasurementSpec("knee_height", "ISO 8559-1 knee height: floor to the middle of the patella", 8, 80, "kneeheightmidpatella"),
    # lengths over the surface and more girths
    MeasurementSpec("back_waist_length", "ISO 8559-1 back waist length: cervicale down the spine to the waist (navel level), a tape bridging hollows", 15, 80, "waistbacklength"),
    MeasurementSpec("front_waist_length", "ISO 8559-1 front waist length: jugular notch down the front midline to the waist (navel level); ANSUR took it sitting", 10, 70, "waistfrontlengthsitting"),
    MeasurementSpec("bust_point_breadth", "ISO 8559-1 bust point to bust point: straight across, between the nipples", 5, 40, None),
    MeasurementSpec("upper_arm", "ISO 8559-1 upper arm girth: square to the arm, midway between acromion and elbow, relaxed", 10, 70, None),
    MeasurementSpec("wrist", "ISO 8559-1 wrist girth: over the wrist bone, square to the forearm", 8, 30, "wristcircumference"),
    MeasurementSpec("calf", "ISO 8559-1 calf girth: maximum horizontal girth of the calf", 15, 70, "calfcircumference"),
    MeasurementSpec("head", "ISO 8559-1 head girth: maximum, horizontal above the brow ridges (a garment must pass over it)", 35, 75, "headcircumference"),
)
#: The landmark heights (ISO 8559-1): fitted whether given or filled from the population, so that they
#: come out right on average when a shopper gives only stature and girths.
HEIGHT_KEYS: tuple[str, ...] = ("cervicale_height", "shoulder_height", "axilla_height", "chest_height", "waist_height",
                                "hip_height", "knee_height")
#: Heights above the floor that climb in this order on every body, under its stature. The crotch
#: (inseam) sits between knee and waist but above the buttock point on some bodies, and the bust
#: point between waist and shoulder but above the armpit on some (ANSUR II has both).
HEIGHT_ORDERS: tuple[tuple[str, ...], ...] = (
    ("knee_height", "hip_height", "waist_height", "axilla_height", "shoulder_height", "cervicale_height", "stature"),
    ("knee_height", "inseam", "waist_height"),
    ("waist_height", "chest_height", "shoulder_height"),
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
    cervicale_height: float | None = None
    shoulder_height: float | None = None
    axilla_height: float | None = None
    chest_height: float | None = None
    waist_height: float | None = None
    hip_height: float | None = None
    knee_height: float | None = None
    back_waist_length: float | None = None
    front_waist_length: float | None = None
    bust_point_breadth: float | None = None
    upper_arm: float | None = None
    wrist: float | None = None
    calf: float | None = None
    head: float | None = None
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
        self._check_height_order()

    def _check_height_order(self) -> None:
        """Given heights must climb from the knee to the stature (knee < hip < waist < ... < cervicale)."""
        for order in HEIGHT_ORDERS:
            heights = [(k, getattr(self, k)) for k in order if getattr(self, k) is not None]
            for (below, low), (above, high) in zip(heights, heights[1:]):
                if low < high:
                    continue
                if above == "stature":
                    raise MeasurementError(below, low, f"below the stature ({high:g} cm)", contradictory=True)
                raise MeasurementError(above, high, f"above {below} ({low:g} cm); heights climb "
                                       + " < ".join(order), contradictory=True)

    def given(self) -> dict[str, float]:
        """The body measurements that were stated (not filled), in fitting order."""
        return {k: getattr(self, k) for k in MEASUREMENT_KEYS if getattr(self, k) is not None}

    def as_dict(self) -> dict[str, Any]:
        keys = MEASUREMENT_KEYS + ("weight", "sex", "age")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
