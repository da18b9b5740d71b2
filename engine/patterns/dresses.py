"""Drafting a sleeveless dress from a size chart's points of measure: front and back, shoulder to hem.

Method: the bodice of `engine.patterns.tops` (flat block after Aldrich, *Metric Pattern Cutting*)
carried down to the hem as a shift: the side seam passes the chest, waist and hip (20 cm below the
waist) at the chart's girths and flares to the hem; no sleeves, the armholes and neckline finished
by facings (not drawn yet). `length` runs from the cervicale (centre back neck) to the hem, and
the neckline is solved to `neck_opening` as for tops.
"""

from __future__ import annotations

import numpy as np

from engine.garments.charts import CATEGORIES, load_fabric
from engine.patterns.model import (
    Pattern,
    PatternError,
    Placement,
    Seam,
    SeamSide,
    require_positive,
)
from engine.patterns.tops import (
    ARMHOLE_SCOOP_CM,
    BACK_NECK_DEPTH_CM,
    FRONT_NECK_DEPTH_BEYOND_WIDTH_CM,
    HIP_BELOW_WAIST_CM,
    _bodice,
    _proportions,
    solve_neck_half,
)

METHOD = "shift dress from the flat bodice block (after Aldrich, Metric Pattern Cutting), chart POMs met exactly"
FIELDS = ("chest", "waist", "hip", "hem", "length", "neck_opening")
ZIP_CM = 40.0  # a centre-back zip from the neck (recorded, not cut yet): a woven shift passes the head by it


def draft_dress(gender: str, size: str, pom: dict) -> Pattern:
    """A sleeveless dress whose finished measurements are the chart's `pom` (cm)."""
    require_positive(pom, FIELDS, f"dress size {size}: the chart")
    body = {**{k: pom[k] for k in FIELDS}, "body_length": pom["length"] + BACK_NECK_DEPTH_CM}
    _, _, waist_depth = _proportions(body)
    if body["body_length"] < waist_depth + HIP_BELOW_WAIST_CM + 5.0:
        raise PatternError(f"dress size {size}: a length of {pom['length']:g} cm ends above the hip line")
    fabric = load_fabric(CATEGORIES["dress"][0])
    neck_half = solve_neck_half(body, f"dress size {size}")
    front = _bodice("front", Placement.FRONT_TORSO, body, neck_half, neck_half + FRONT_NECK_DEPTH_BEYOND_WIDTH_CM,
                    ARMHOLE_SCOOP_CM["front"], left_is_positive_x=True)
    back = _bodice("back", Placement.BACK_TORSO, body, neck_half, BACK_NECK_DEPTH_CM, ARMHOLE_SCOOP_CM["back"],
                   left_is_positive_x=False)
    seams = tuple(Seam(f"{part}_{side}", (SeamSide("front", f"{part}_{side}"),), (SeamSide("back", f"{part}_{side}"),))
                  for part in ("shoulder", "side") for side in ("left", "right"))
    scye, _, _ = _proportions(body)
    pattern = Pattern("dress", gender, size, fabric.name, {"front": front, "back": back}, seams, METHOD,
                      {"chest": -scye, "waist": -waist_depth, "hip": -(waist_depth + HIP_BELOW_WAIST_CM)},
                      neck_slit_cm=ZIP_CM)
    pattern.validate(ease_fraction=max(0.05, fabric.comfort_strain_pct / 100.0))
    return pattern


def measure_dress(pattern: Pattern) -> dict[str, float]:
    """The finished dress's points of measure (cm): girths across front plus back, cervicale to hem, neckline."""
    front, back = pattern.panels["front"], pattern.panels["back"]
    girths = {level: front.width_at(y) + back.width_at(y) for level, y in pattern.levels_cm.items()}
    neck = back.edge_points("neck")
    centre_back_neck = float(neck[np.argmin(np.abs(neck[:, 0])), 1])
    return {**girths, "hem": front.edge_length("hem") + back.edge_length("hem"),
            "length": centre_back_neck - float(back.outline[:, 1].min()),
            "neck_opening": front.edge_length("neck") + back.edge_length("neck")}
