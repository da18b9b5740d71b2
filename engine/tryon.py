"""Try a garment on an avatar: build the size, drape it, analyse the fit (one call for CLI and server)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from avatars import Avatar
from engine.drape import BodyCollider, DrapeResult, drape
from engine.fit import FitReport, analyse_fit
from engine.garments.build import Garment, build_garment


@dataclass
class TryOn:
    avatar: Avatar
    drape: DrapeResult
    fit: FitReport

    @property
    def garment(self) -> Garment:
        return self.drape.garment


def try_on(avatar: Avatar, category: str, size: str, gender: str | None = None,
           collider: BodyCollider | None = None, garment: Garment | None = None) -> TryOn:
    """Drape `category` in `size` (or a ready `garment`) on the avatar and report its fit."""
    started = time.perf_counter()
    garment = garment or build_garment(avatar, category, size, gender)
    result = drape(garment, avatar.mesh, collider=collider)
    return TryOn(avatar, result, analyse_fit(avatar, result, seconds=time.perf_counter() - started))
