"""Shared fixtures: the body model is loaded once per test session (about a second once cached)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_BODY = json.loads((ROOT / "examples" / "body.json").read_text())


@pytest.fixture(scope="session")
def body_model():
    from avatars.body_model import load_body_model

    return load_body_model()


@pytest.fixture(scope="session")
def example_avatar(body_model):
    from avatars import Avatar

    return Avatar.from_measurements(EXAMPLE_BODY, model=body_model)
