"""Avatars: rigged Anny bodies fitted to ISO 8559-1 tape measurements, and the tape to check them."""

from avatars.avatar import Avatar
from avatars.errors import AvatarError, MeasurementError, MeshError
from avatars.tape import measure, measure_body
from avatars.measurements import BODY_MEASUREMENTS, MEASUREMENT_KEYS, BodyMeasurements

__all__ = [
    "Avatar", "AvatarError", "BODY_MEASUREMENTS", "BodyMeasurements", "MEASUREMENT_KEYS",
    "MeasurementError", "MeshError", "measure", "measure_body",
]
