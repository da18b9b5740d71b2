"""Shared fixtures: the body model is loaded once per test session (about a second once cached)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FITROOM = Path(sys.executable).parent / "fitroom"  # the console script, as users run it
EXAMPLE_BODY = json.loads((ROOT / "examples" / "body.json").read_text())


@pytest.fixture(scope="session")
def body_model():
    from avatars.body_model import load_body_model

    return load_body_model()


@pytest.fixture(scope="session")
def example_avatar(body_model):
    from avatars import Avatar

    return Avatar.from_measurements(EXAMPLE_BODY, model=body_model)


#: A pose a shopper might stand in for a photo (bone rotations in degrees, avatar frame).
PHOTO_POSE = {"root": (0.0, 8.0, 0.0), "upperarm01.L": (0.0, 0.0, 20.0), "upperarm01.R": (10.0, 0.0, -5.0),
              "lowerarm01.L": (0.0, 0.0, 20.0), "upperleg01.R": (0.0, 0.0, -6.0), "lowerleg01.L": (8.0, 0.0, 0.0)}


def photo_of(avatar, rotations: dict, seed: int = 0, view: str = "front"):
    """A synthetic RGB photo of the avatar in a pose: skin, swimwear, a random backdrop."""
    import numpy as np

    from engine.render.studio import (
        PhotoSetting,
        random_background,
        swimwear_mask,
        take_photo,
    )

    setting = PhotoSetting(rotations, np.array([0.8, 0.6, 0.47]), np.array([0.15, 0.2, 0.45]),
                           random_background(np.random.default_rng(seed)), margin=0.12, view=view)
    covered = swimwear_mask(avatar.mesh, avatar.landmarks, female=avatar.inputs.get("sex") == "female")
    return take_photo(avatar.posed(rotations), covered, setting)[0]


# Random tests are derandomized in the normal run (`ci`, the default): they pass or fail the same
# way on every machine. `make fuzz` selects `fuzz`: many more examples, fresh randomness each run.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", max_examples=2000, derandomize=True, deadline=None, print_blob=True)
settings.register_profile("fuzz", max_examples=20_000, deadline=None, print_blob=True)
settings.load_profile("ci")
