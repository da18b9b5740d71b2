"""Fit of a sewn pattern: ease from the pattern's points of measure, strain and pressure from the drape.

Ease per region is the finished garment's point of measure, read off the flat pieces (front plus
back widths at the chest line, the neckline's length, the sleeve's width at the bicep line), minus
the body's girth at the same ISO 8559-1 landmark. Strain is how far the cloth is stretched round
the body there: the draped edges near the landmark against their flat lengths, each weighted by how
nearly it runs round the body (`strain_pct`; the most stretched edge, `strain_pct_max`). Pressure
is the cloth's tension over the body's radius there (Laplace): stretch stiffness (N/m) times
strain over girth / 2 pi.
"""

from __future__ import annotations

import numpy as np

from avatars import Avatar
from avatars.tape import girth_in_plane
from engine.fit import BAND_M, HEM_CLEARANCE_M, FitReport, RegionFit, garment_lengths, penetration_mm, verdict
from engine.garments.build import body_landmarks
from engine.garments.charts import CATEGORIES, fit_rules
from engine.patterns.model import Placement
from engine.patterns.sew import SewnGarment

PA_PER_KPA = 1000.0
M_PER_CM = 0.01
UPPER_ARM_BELOW_ACROMION_M = 0.12  # where the sleeve's bicep line sits on the arm


def pressure_kpa(stiffness_n_m: float, strain: float, body_girth_m: float) -> float:
    """The pressure of cloth stretched by `strain` round a limb or trunk of this girth (Laplace's law)."""
    return stiffness_n_m * max(strain, 0.0) / (body_girth_m / (2.0 * np.pi)) / PA_PER_KPA


def pattern_summary(sewn: SewnGarment, poms: dict[str, float]) -> dict:
    """The `pattern` block of fit.json: piece names, cloth area and finished measurements (cm)."""
    panels = sewn.pattern.panels.values()
    return {"pieces": [p.name for p in panels], "area_cm2": round(sum(p.area_cm2 * p.quantity for p in panels), 1),
            "poms_cm": {k: round(v, 1) for k, v in poms.items()}}


def analyse_pattern_fit(avatar: Avatar, sewn: SewnGarment, seconds: float) -> FitReport:
    """Per-region ease (pattern POM minus body), strain, pressure and verdict of a sewn pattern on this avatar."""
    drape, pattern = sewn.drape, sewn.pattern
    garment = drape.garment
    poms = garment.measurements
    cloth, body, lm, m = drape.mesh, avatar.mesh, body_landmarks(avatar), avatar.measured
    construction = CATEGORIES[garment.category][1]
    limits = fit_rules()["ease_cm"].get(garment.category, {})
    fabric = garment.fabric
    x = cloth.vertices
    edges = cloth.edges_unique
    strain = drape.edge_strain() * 100.0
    middle = x[edges].mean(axis=1)
    direction = x[edges[:, 1]] - x[edges[:, 0]]
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    region = garment.regions[edges]
    torso = (region == "torso").all(axis=1)
    reach = (float(x[:, 1].min()) + HEM_CLEARANCE_M, float(x[:, 1].max()) - 0.01)
    regions: dict[str, RegionFit] = {}

    def read(name: str, ease: float | None, band: np.ndarray, around: np.ndarray, body_cm: float | None) -> None:
        """Strain round the body: the band's edges weighted by how nearly they run round it (`around`, 0 to 1)."""
        if not band.any():
            return
        stretch = float(np.average(strain[band], weights=around[band] + 1e-9))
        pressure = None if body_cm is None else pressure_kpa(fabric.stretch_stiffness, stretch / 100.0, body_cm * M_PER_CM)
        regions[name] = RegionFit(ease, stretch, float(strain[band].max()),
                                  verdict(ease, stretch, limits.get(name), fabric.comfort_strain_pct), pressure)

    level = 1.0 - direction[:, 1] ** 2  # horizontal edges run round the trunk

    def horizontal(name: str, pom: str, y: float, body_cm: float) -> None:
        if pom in poms and reach[0] < y < reach[1]:
            read(name, poms[pom] - body_cm, torso & (np.abs(middle[:, 1] - y) < BAND_M), level, body_cm)

    if construction in ("top", "dress"):
        neckline = middle[:, 1] > lm.neck_front[1] - BAND_M
        read("neck", poms["neck_opening"] - m["neck_base"], neckline, level, m["neck_base"])
        read("shoulders", None, torso & (middle[:, 1] > lm.acromion_left[1] - BAND_M) & ~neckline, np.ones(len(edges)), None)
        horizontal("chest", "chest", lm.bust, m["chest"])
        horizontal("waist", "waist", lm.navel, m["waist"])
        horizontal("hip", "hip" if "hip" in poms else "hem", lm.buttock, m["hip"])
        sleeve = next((p for p in pattern.panels.values() if p.placement is Placement.LEFT_ARM), None)
        if sleeve is not None:
            axis = (lm.wrist_left - lm.acromion_left) / np.linalg.norm(lm.wrist_left - lm.acromion_left)
            along = float(((x[garment.regions == "sleeve_left"] - lm.acromion_left) @ axis).max())
            origin = lm.acromion_left + axis * min(UPPER_ARM_BELOW_ACROMION_M, 0.6 * along)
            body_cm = girth_in_plane(body, origin, axis) / M_PER_CM
            on_sleeve = (region == "sleeve_left").all(axis=1) & (np.abs((middle - origin) @ axis) < BAND_M)
            bicep_cm = float(np.ptp(sleeve.outline[:, 0]))  # the sleeve's width at its widest, the bicep line
            read("upper_arm", bicep_cm - body_cm if body_cm > 0 else None, on_sleeve, 1.0 - (direction @ axis) ** 2,
                 body_cm if body_cm > 0 else None)
    else:
        horizontal("waist", "waist", lm.navel, m["waist"])
        horizontal("hip", "hip", lm.buttock, m["hip"])

    return FitReport(garment.category, garment.size, regions, garment_lengths(garment.category, lm, x, garment.regions),
                     penetration_mm(body, x), seconds, pattern_summary(sewn, poms))
