"""Avatars: rigged Anny bodies fitted to ISO 8559-1 tape measurements or photos, and the tape to check them."""

from avatars.avatar import Avatar
from avatars.errors import AvatarError, MeasurementError, MeshError
from avatars.from_photo import PhotoAvatar, avatar_from_photo
from avatars.measurements import BODY_MEASUREMENTS, MEASUREMENT_KEYS, BodyMeasurements
from avatars.photo import PhotoError
from avatars.tape import measure, measure_body

__all__ = [
    "BODY_MEASUREMENTS",
    "MEASUREMENT_KEYS",
    "Avatar",
    "AvatarError",
    "BodyMeasurements",
    "MeasurementError",
    "MeshError",
    "PhotoAvatar",
    "PhotoError",
    "avatar_from_photo",
    "measure",
    "measure_body",
]
