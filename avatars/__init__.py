"""Avatars: rigged Anny bodies fitted to ISO 8559-1 tape measurements, and the tape to check them."""

from avatars.avatar import Avatar
from avatars.errors import AvatarError, MeasurementError, MeshError
from avatars.measurements import BODY_MEASUREMENTS, MEASUREMENT_KEYS, BodyMeasurements
from avatars.tape import measure, measure_body

__all__ = [
    "BODY_MEASUREMENTS",
    "MEASUREMENT_KEYS",
    "Avatar",
    "AvatarError",
    "BodyMeasurements",
    "MeasurementError",
    "MeshError",
    "measure",
    "measure_body",
]
