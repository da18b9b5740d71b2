"""Errors raised for bad avatar input, each saying what is wrong in the user's words."""

from __future__ import annotations

from typing import Any


class AvatarError(ValueError):
    """Base class of every avatar input error."""


class MeasurementError(AvatarError):
    """A measurement is missing, not a number, out of the human range, or contradicts another.

    Carries `field`, `value` and `accepted` so callers (CLI, server) can report them as data.
    """

    def __init__(self, field: str, value: Any, accepted: str, *, contradictory: bool = False):
        self.field = field
        self.value = value
        self.accepted = accepted
        what = "contradicts the other measurements" if contradictory else "is out of range"
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        super().__init__(f"measurement {field!r} = {shown} {what}; accepted: {accepted}")


class MeshError(AvatarError):
    """A body mesh cannot be measured (empty, not finite, or not a standing body)."""
