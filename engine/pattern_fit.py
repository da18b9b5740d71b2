"""Fit of a sewn pattern: ease from the pattern's points of measure, strain and pressure from the drape.

Ease per region is the finished garment's point of measure, read off the flat pieces (front plus
back widths at the chest line, the neckline's length, the sleeve's width at the bicep line), minus
the body's girth at the same ISO 8559-1 landmark. Strain is how far the cloth is stretched round
the body there: each draped triangle near the landmark against its flat shape, read along the
direction round the trunk or arm and averaged by area (`strain_pct`; the most stretched triangle,
`strain_pct_max`). Pressure
is the cloth's tension over the body's radius there (Laplace): stretch stiffness (N/m) times
strain over girth / 2 pi. A garment pulled on over the head must get its neckline over the head
girth (`over_head_cm`): a neckline much larger than the neck is by design, one that will not go on
is 'tight'.
"""

from __future__ import annotations

import numpy as np
import trimesh

from avatars import Avatar
from avatars.tape import girth_in_plane
from engine.fit import (
    BAND_M,
    HEM_CLEARANCE_M,
    FitReport,
    RegionFit,
    garment_lengths,
    penetration_mm,
    verdict,
)
from engine.garments.build import body_landmarks
from engine.garments.charts import CATEGORIES, Fabric, fit_rules
from engine.patterns.model import Pattern, Placement
from engine.patterns.sew import M_PER_CM, SewnGarment

PA_PER_KPA = 1000.0
UPPER_ARM_BELOW_ACROMION_M = 0.12  # where the sleeve's bicep line sits on the arm
THIGH_BELOW_CROTCH_OF_STATURE = 0.015
WAIST_UNDER_TOP_M = 0.005  # a skirt's or trousers' waist is read no higher than this under the reach of its top  # where the thigh girth is taken, as the avatar's tape takes it


def strain_across(cloth: trimesh.Trimesh, rest_edge_m: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Per face: how far the cloth is stretched (length ratio - 1) along the direction in its plane square to
    `axis`, i.e. round the trunk or the arm. Each face's rest metric comes from its three flat edge lengths:
    a deformed vector d had the rest length sqrt(d' M d), and d' M d = L**2 along every edge fixes M."""
    x, faces = cloth.vertices, cloth.faces
    normal = cloth.face_normals
    first = x[faces[:, 1]] - x[faces[:, 0]]
    e1 = first / np.linalg.norm(first, axis=1, keepdims=True)
    e2 = np.cross(normal, e1)
    sides = x[faces[:, [1, 2, 0]]] - x[faces]  # (F, 3, 3): the edges v0v1, v1v2, v2v0
    u, v = np.einsum("fkd,fd->fk", sides, e1), np.einsum("fkd,fd->fk", sides, e2)
    rest = rest_edge_m[cloth.faces_unique_edges]
    metric = np.linalg.solve(np.stack([u * u, 2 * u * v, v * v], axis=2), rest**2)  # (M11, M12, M22) per face
    tangent = np.cross(normal, axis)
    tangent /= np.maximum(np.linalg.norm(tangent, axis=1, keepdims=True), 1e-12)
    tu, tv = np.einsum("fd,fd->f", tangent, e1), np.einsum("fd,fd->f", tangent, e2)
    rest_length = metric[:, 0] * tu**2 + 2 * metric[:, 1] * tu * tv + metric[:, 2] * tv**2
    return 1.0 / np.sqrt(np.maximum(rest_length, 1e-12)) - 1.0


def pressure_kpa(stiffness_n_m: float, strain: float, body_girth_m: float) -> float:
    """The pressure of cloth stretched by `strain` round a limb or trunk of this girth (Laplace's law)."""
    return stiffness_n_m * max(strain, 0.0) / (body_girth_m / (2.0 * np.pi)) / PA_PER_KPA


def over_head(neck: RegionFit | None, neckline_cm: float, pattern: Pattern, fabric: Fabric, head_cm: float | None,
              rule: dict) -> None:
    """For a garment pulled on over the head: the neckline's room round the head, stretched as far as the fabric
    goes and opened by any zip or placket; under the rule's margin the neck is 'tight' (it will not go on)."""
    if neck is None or head_cm is None or pattern.category not in rule["categories"]:
        return
    passage_cm = neckline_cm * (1.0 + fabric.max_stretch_pct / 100.0) + 2.0 * pattern.neck_slit_cm
    neck.over_head_cm = passage_cm - head_cm
    if neck.over_head_cm < rule["margin_cm"]:
        neck.verdict = "tight"


#: lengths read off the pattern, on a person standing straight: (rule, the POM, the body's length it ends against)
POM_LENGTHS = {"sleeve": ("sleeve_length", "arm_length"), "hem": ("inseam", "inseam")}


def pattern_lengths(rules: dict[str, dict], poms: dict[str, float], body_cm: dict[str, float]) -> dict[str, dict]:
    """Where a sleeve or trouser hem ends against its landmark, from the pattern's length and the body's tape: the
    sleeve from the shoulder point along a straight arm, the trouser leg from the crotch down a straight leg (the
    avatar's A pose bends the elbow, which takes 5 cm off a sleeve's reach, and its bare foot catches the hem)."""
    lengths = {}
    for name, rule in rules.items():
        pom, body = POM_LENGTHS.get(name, (None, None))
        if pom in poms and body in body_cm:
            above = body_cm[body] - poms[pom]
            word = "short" if above > rule["short_above"] else "long" if above < rule["long_below"] else "fit"
            lengths[name] = {f"above_{rule['landmark']}_cm": round(above, 1), "verdict": word}
    return lengths


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
    rules = fit_rules()
    limits = rules["ease_cm"].get(garment.category, {})
    fabric = garment.fabric
    x = cloth.vertices
    centre = x[cloth.faces].mean(axis=1)
    area = cloth.area_faces
    region = garment.regions[cloth.faces]
    torso = (region == "torso").all(axis=1)
    left_leg = (region == "leg_left").all(axis=1)
    trunk = torso | left_leg | (region == "leg_right").all(axis=1)  # above the crotch, trouser legs are the trunk
    reach = (float(x[:, 1].min()) + HEM_CLEARANCE_M, float(x[:, 1].max()) - 0.01)
    regions: dict[str, RegionFit] = {}

    def read(name: str, ease: float | None, band: np.ndarray, around: np.ndarray, body_cm: float | None) -> None:
        """Strain round the body in the band's faces (area-weighted), from `around`, every face's strain (%) round
        the trunk or the arm."""
        if not band.any():
            return
        stretch = float(np.average(around[band], weights=area[band]))
        pressure = None if body_cm is None else pressure_kpa(fabric.stretch_stiffness, stretch / 100.0, body_cm * M_PER_CM)
        regions[name] = RegionFit(ease, stretch, float(around[band].max()),
                                  verdict(ease, stretch, limits.get(name), fabric.comfort_strain_pct), pressure)

    round_trunk = 100.0 * strain_across(cloth, garment.rest_edge_m, np.array([0.0, 1.0, 0.0]))

    def horizontal(name: str, pom: str, y: float, body_cm: float) -> None:
        if pom in poms and reach[0] < y < reach[1]:
            read(name, poms[pom] - body_cm, trunk & (np.abs(centre[:, 1] - y) < BAND_M), round_trunk, body_cm)

    if construction in ("top", "dress"):
        neckline = centre[:, 1] > lm.neck_front[1] - BAND_M
        read("neck", poms["neck_opening"] - m["neck_base"], neckline, round_trunk, m["neck_base"])
        over_head(regions.get("neck"), poms["neck_opening"], pattern, fabric, m.get("head"), rules["over_head"])
        read("shoulders", None, torso & (centre[:, 1] > lm.acromion_left[1] - BAND_M) & ~neckline, round_trunk, None)
        horizontal("chest", "chest", lm.bust, m["chest"])
        horizontal("waist", "waist", lm.navel, m["waist"])
        horizontal("hip", "hip" if "hip" in poms else "hem", lm.buttock, m["hip"])
        sleeve = next((p for p in pattern.panels.values() if p.placement is Placement.LEFT_ARM), None)
        if sleeve is not None:
            axis = (lm.wrist_left - lm.acromion_left) / np.linalg.norm(lm.wrist_left - lm.acromion_left)
            along = float(((x[garment.regions == "sleeve_left"] - lm.acromion_left) @ axis).max())
            origin = lm.acromion_left + axis * min(UPPER_ARM_BELOW_ACROMION_M, 0.6 * along)
            body_cm = girth_in_plane(body, origin, axis) / M_PER_CM
            on_sleeve = (region == "sleeve_left").all(axis=1) & (np.abs((centre - origin) @ axis) < BAND_M)
            bicep_cm = float(np.ptp(sleeve.outline[:, 0]))  # the sleeve's width at its widest, the bicep line
            read("upper_arm", bicep_cm - body_cm if body_cm > 0 else None, on_sleeve,
                 100.0 * strain_across(cloth, garment.rest_edge_m, axis), body_cm if body_cm > 0 else None)
    else:  # a waistband rests where the body is as large as it, often a little under the navel: read it there
        horizontal("waist", "waist", min(lm.navel, reach[1] - WAIST_UNDER_TOP_M), m["waist"])
        horizontal("hip", "hip", lm.buttock, m["hip"])
        if "thigh" in poms:  # read on the left leg, just under the crotch
            thigh_y = lm.crotch - THIGH_BELOW_CROTCH_OF_STATURE * m["stature"] * M_PER_CM
            read("thigh", poms["thigh"] - m["thigh"], left_leg & (np.abs(centre[:, 1] - thigh_y) < BAND_M), round_trunk,
                 m["thigh"])

    lengths = (garment_lengths(garment.category, lm, cloth, garment.regions)
               | pattern_lengths(rules["length_cm"].get(garment.category, {}), poms, m))
    return FitReport(garment.category, garment.size, regions, lengths, penetration_mm(body, x), seconds,
                     pattern_summary(sewn, poms))
