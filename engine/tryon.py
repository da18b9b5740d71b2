"""Try a garment on an avatar: draft its pattern and sew it on, or drape a ready garment; analyse the fit
(one call for CLI and server)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from avatars import Avatar
from engine.drape import BodyCollider, DrapeResult, drape
from engine.fit import FitReport, analyse_fit
from engine.garments.build import Garment, build_garment
from engine.garments.charts import CHART_GENDER
from engine.pattern_fit import analyse_pattern_fit
from engine.patterns import Pattern, draft
from engine.patterns.sew import SewnGarment, sew

SEWN = ("tee", "longsleeve", "jacket", "dress", "skirt", "trousers")  # drafted and placed for sewing


@dataclass
class TryOn:
    avatar: Avatar
    drape: DrapeResult
    fit: FitReport
    sewn: SewnGarment | None = None  # how the garment was sewn, when it was sewn from a pattern

    @property
    def garment(self) -> Garment:
        return self.drape.garment


def try_on(avatar: Avatar, category: str, size: str, gender: str | None = None,
           collider: BodyCollider | None = None, garment: Garment | None = None, pattern: Pattern | None = None) -> TryOn:
    """Sew `category` in `size` from its drafted pattern (or sew the given `pattern`, or drape a ready
    `garment`) on the avatar and report its fit."""
    started = time.perf_counter()
    if pattern is None and garment is None and category in SEWN:
        pattern = draft(category, gender or CHART_GENDER.get(avatar.inputs.get("sex", ""), "women"), size)
    if pattern is not None:
        sewn = sew(pattern, avatar, collider=collider)
        return TryOn(avatar, sewn.drape, analyse_pattern_fit(avatar, sewn, time.perf_counter() - started), sewn)
    garment = garment or build_garment(avatar, category, size, gender)
    result = drape(garment, avatar.mesh, collider=collider)
    return TryOn(avatar, result, analyse_fit(avatar, result, seconds=time.perf_counter() - started))
