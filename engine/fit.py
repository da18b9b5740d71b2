"""Fit analysis of a draped garment: ease (cm) and strain (%) per body region, and a verdict.

Ease is the garment's girth as sewn minus the body's on the same section (horizontal at the
chest, waist, hip and thigh landmarks; square to the arm at the upper arm; the neckline's
length against the neck base girth): a garment smaller than the body has the negative ease
designers speak of. Strain is how far the draped girth is stretched past the sewn one there
(`strain_pct`), and the most any edge there is stretched (`strain_pct_max`). Thresholds live in one place, `assets/fit_rules.json`. Penetration is measured
independently of the solver: signed distance of every garment vertex to the body mesh.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh

from avatars import Avatar
from avatars.tape import girth_at_height, girth_in_plane
from engine.drape import DrapeResult
from engine.garments.build import body_landmarks, boundary_loops
from engine.garments.charts import CATEGORIES, fit_rules

BAND_M = 0.04  # edges this close to a region's section count towards its strain
HEM_CLEARANCE_M = 0.06  # a girth is read only this far above the garment's lowest edge


@dataclass
class RegionFit:
    ease_cm: float | None
    strain_pct: float
    strain_pct_max: float
    verdict: str
    pressure_kpa: float | None = None  # the cloth's pressure on the body there, when the drape gives it
    over_head_cm: float | None = None  # the neckline's room round the head, pulled on (stretched, any zip open)


@dataclass
class FitReport:
    category: str
    size: str
    regions: dict[str, RegionFit]
    lengths: dict[str, dict] = field(default_factory=dict)
    penetration_mm_max: float = 0.0
    seconds: float = 0.0
    pattern: dict | None = None  # a sewn pattern's pieces, cloth area and points of measure

    def as_dict(self) -> dict:
        regions = {k: {"ease_cm": None if r.ease_cm is None else round(r.ease_cm, 1),
                       "strain_pct": round(r.strain_pct, 2), "strain_pct_max": round(r.strain_pct_max, 2),
                       "verdict": r.verdict} for k, r in self.regions.items()}
        for name, r in self.regions.items():
            if r.pressure_kpa is not None:
                regions[name]["pressure_kpa"] = round(r.pressure_kpa, 3)
            if r.over_head_cm is not None:
                regions[name]["over_head_cm"] = round(r.over_head_cm, 1)
        return {
            "garment": self.category, "size": self.size, "regions": regions, "lengths": self.lengths,
            "penetration_mm_max": round(self.penetration_mm_max, 2),
            "seconds": round(self.seconds, 3),
            **({"pattern": self.pattern} if self.pattern is not None else {}),
        }

    def summary(self) -> str:
        """One line, e.g. "M: chest +6.1 cm, waist +4.0 cm: fits" (without the size when it has no label, as an
        imported pattern whose file names none)."""
        parts = [f"{k} {r.ease_cm:+.1f} cm" for k, r in self.regions.items() if r.ease_cm is not None]
        tight = [k for k, r in self.regions.items() if r.verdict == "tight"]
        loose = [k for k, r in self.regions.items() if r.verdict == "loose"]
        word = f"tight at {', '.join(tight)}" if tight else (f"loose at {', '.join(loose)}" if loose else "fits")
        return f"{self.size + ': ' if self.size else ''}{', '.join(parts)}: {word}"


def penetration_mm(body: trimesh.Trimesh, points: np.ndarray) -> float:
    """Deepest garment point inside the body (mm, 0 if none), independent of the drape solver.

    Ray parity (embree) finds the points inside the watertight body; their depth is the
    distance to the closest point on the body's surface.
    """
    inside = body.contains(points)
    if not inside.any():
        return 0.0
    _, distance, _ = trimesh.proximity.closest_point(body, points[inside])
    return float(distance.max()) * 1000.0


def garment_lengths(category: str, lm, cloth: trimesh.Trimesh, regions: np.ndarray) -> dict[str, dict]:
    """Where the hem and sleeve end fall against the landmarks the fit rules name, and the verdict. A sleeve
    ends at the centre of its hem opening (the open loop nearest the wrist), however the elbow bends."""
    x = cloth.vertices
    construction = CATEGORIES[category][1]
    lengths = {}
    for name, rule in fit_rules()["length_cm"].get(category, {}).items():
        if name == "hem":
            panel = "leg_left" if construction == "trousers" else "torso"
            hem = float(x[regions == panel, 1].min())
            mark = lm.floor if rule["landmark"] == "floor" else lm.crotch
            above = 100.0 * (hem - mark)
        else:
            hem = min((x[loop].mean(axis=0) for loop in boundary_loops(cloth)),
                      key=lambda centre: np.linalg.norm(centre - lm.wrist_left))
            beyond = float((lm.wrist_left - hem) @ (lm.wrist_left - lm.acromion_left)) < 0
            above = 100.0 * np.linalg.norm(lm.wrist_left - hem) * (-1.0 if beyond else 1.0)
        word = "short" if above > rule["short_above"] else "long" if above < rule["long_below"] else "fit"
        lengths[name] = {"above_" + rule["landmark"] + "_cm": round(above, 1), "verdict": word}
    return lengths


def verdict(ease: float | None, strain: float, limits: list[float] | None, comfort_pct: float) -> str:
    if strain > comfort_pct:
        return "tight"
    if ease is None or limits is None:
        return "fit"
    tight_below, loose_above = limits
    return "tight" if ease < tight_below else "loose" if ease > loose_above else "fit"


def analyse_fit(avatar: Avatar, drape: DrapeResult, seconds: float | None = None) -> FitReport:
    """Per-region ease, strain and verdict of a draped garment on this avatar."""
    garment = drape.garment
    cloth = drape.mesh
    sewn = garment.mesh(garment.rest)
    body = avatar.mesh
    lm = body_landmarks(avatar)
    construction = CATEGORIES[garment.category][1]
    rules = fit_rules()
    limits = rules["ease_cm"].get(garment.category, {})
    comfort = garment.fabric.comfort_strain_pct

    edges = cloth.edges_unique
    strain = drape.edge_strain() * 100.0
    middle = cloth.vertices[edges].mean(axis=1)
    edge_region = garment.regions[edges[:, 0]]
    x = cloth.vertices
    y_low = float(x[:, 1].min())

    def band(mask: np.ndarray) -> tuple[float, float]:
        values = strain[mask]
        return (float(values.mean()), float(values.max())) if len(values) else (0.0, 0.0)

    def horizontal(name: str, y: float, body_cm: float, side: str = "torso", panel: str = "torso") -> None:
        if y < max(y_low, float(sewn.vertices[:, 1].min())) + HEM_CLEARANCE_M or y > float(x[:, 1].max()) - 0.01:
            return  # the garment does not reach this level (or only its hem does, where loops break)
        draped_cm = 100.0 * girth_at_height(cloth, y, side=side)
        sewn_cm = 100.0 * girth_at_height(sewn, y, side=side)
        _, peak = band((np.abs(middle[:, 1] - y) < BAND_M) & (edge_region == panel))
        stretch = 100.0 * (draped_cm / sewn_cm - 1.0)
        ease = sewn_cm - body_cm
        regions[name] = RegionFit(ease, stretch, peak, verdict(ease, stretch, limits.get(name), comfort))

    regions: dict[str, RegionFit] = {}
    m = avatar.measured
    if construction in ("top", "dress"):
        neckline = max(boundary_loops(cloth), key=lambda loop: x[loop, 1].mean())
        length = float(np.linalg.norm(x[neckline] - np.roll(x[neckline], 1, axis=0), axis=1).sum())
        mean, peak = band(middle[:, 1] > lm.neck_front[1] - BAND_M)
        ease = 100.0 * length - m["neck_base"]
        regions["neck"] = RegionFit(ease, mean, peak, verdict(ease, mean, limits.get("neck"), comfort))
        shoulders = middle[:, 1] > lm.acromion_left[1] - BAND_M
        mean, peak = band(shoulders & (edge_region == "torso"))
        regions["shoulders"] = RegionFit(None, mean, peak, verdict(None, mean, None, comfort))
        horizontal("chest", lm.bust, m["chest"])
        horizontal("waist", lm.navel, m["waist"])
        horizontal("hip", lm.buttock, m["hip"], panel="skirt" if construction == "dress" else "torso")
        if (garment.regions == "sleeve_left").any():  # sleeves are symmetric: read the left one
            acromion, wrist = lm.acromion_left, lm.wrist_left
            axis = (wrist - acromion) / np.linalg.norm(wrist - acromion)
            reach = float(((x[garment.regions == "sleeve_left"] - acromion) @ axis).max())
            origin = acromion + axis * min(0.12, 0.6 * reach)
            draped_cm = 100.0 * girth_in_plane(cloth, origin, axis)
            sewn_cm = 100.0 * girth_in_plane(sewn, origin, axis)
            body_cm = 100.0 * girth_in_plane(body, origin, axis)
            _, peak = band(edge_region == "sleeve_left")
            if sewn_cm > 0:
                stretch = 100.0 * (draped_cm / sewn_cm - 1.0)
                regions["upper_arm"] = RegionFit(sewn_cm - body_cm, stretch, peak,
                                                 verdict(sewn_cm - body_cm, stretch, limits.get("upper_arm"), comfort))
    else:
        horizontal("waist", lm.navel - 0.02, 100.0 * girth_at_height(body, lm.navel - 0.02),
                   panel="torso")
        horizontal("hip", lm.buttock, m["hip"], panel="skirt" if construction == "skirt" else "torso")
        if construction == "trousers":
            thigh_y = lm.crotch - 0.015 * m["stature"] / 100.0
            horizontal("thigh", thigh_y, m["thigh"], side="left", panel="leg_left")

    lengths = garment_lengths(garment.category, lm, cloth, garment.regions)
    return FitReport(garment.category, garment.size, regions, lengths,
                     penetration_mm(body, x), drape.seconds if seconds is None else seconds)
