"""Drafting a skirt from a size chart's points of measure: front and back with waist darts, A-line flare, waistband.

Method: the straight skirt block of W. Aldrich, *Metric Pattern Cutting* (hip line 20 cm below
the waist; the waist suppression shared between the side seam and one dart in each half, the
back dart longer and deeper than the front), flared from the hip line to the chart's hem. Front
and back are drafted as halves about the centre line and mirrored into whole pieces. The chart's
finished measurements are met exactly: the waist seam (darts closed) measures `waist`, the hip
line `hip`, the hem `hem`, and the centre front runs waist to hem in `length`.
"""

from __future__ import annotations

import numpy as np

from engine.garments.charts import CATEGORIES, load_fabric
from engine.patterns.model import (
    Edge,
    Panel,
    Pattern,
    PatternError,
    Placement,
    Seam,
    SeamSide,
    assemble_outline,
    cubic,
    mirror_run,
    require_positive,
)

METHOD = "straight skirt block with waist darts, flared to the hem (after Aldrich, Metric Pattern Cutting)"
HIP_DEPTH_CM = 20.0
SIDE_SHARE = 0.5  # of each half's waist suppression taken at the side seam; the dart takes the rest
DART_LENGTH_CM = {"front": 10.0, "back": 14.0}
DART_DEPTH_SHARE = {"front": 0.8, "back": 1.2}  # the back dart takes more (the seat), the front less
WAISTBAND_HEIGHT_CM = 8.0  # folded in two: 4 cm finished
UNDERLAP_CM = 3.0  # where the waistband buttons
SQUARED_CM = 3.0  # the side seam rises square to the waist over its last few cm, so the waist is smooth once sewn


def _half_panel(pom: dict, which: str) -> tuple[list[tuple[str, np.ndarray]], float]:
    """The right half of the front or back, waist at y = 0, centre line at x = 0: its edges (hem first)."""
    waist, hip, hem = pom["waist"] / 4, pom["hip"] / 4, pom["hem"] / 4
    suppression = hip - waist
    dart = min((1.0 - SIDE_SHARE) * suppression * DART_DEPTH_SHARE[which], 0.45 * waist)
    side_top = hip - (suppression - dart)  # where the side seam meets the waist
    dart_x = 0.55 * (side_top - dart)
    length = pom["length"]
    side = np.vstack([[[hem, -length]], cubic((hip, -HIP_DEPTH_CM), (hip, -0.45 * HIP_DEPTH_CM),
                                               (side_top, -SQUARED_CM), (side_top, 0.0))])
    runs = [("side", side), ("waist_outer", np.array([[side_top, 0.0], [dart_x + dart / 2, 0.0]])),
            ("dart_a", np.array([[dart_x + dart / 2, 0.0], [dart_x, -DART_LENGTH_CM[which]]])),
            ("dart_b", np.array([[dart_x, -DART_LENGTH_CM[which]], [dart_x - dart / 2, 0.0]])),
            ("waist_centre", np.array([[dart_x - dart / 2, 0.0], [0.0, 0.0]]))]
    return runs, hem


def _skirt_panel(name: str, placement: Placement, pom: dict, which: str, left_is_positive_x: bool) -> Panel:
    right, hem_half = _half_panel(pom, which)
    positive, negative = ("left", "right") if left_is_positive_x else ("right", "left")
    runs = [("hem", np.array([[-hem_half, -pom["length"]], [hem_half, -pom["length"]]]))]
    runs += [(f"{n}_{positive}", pts) for n, pts in right[:-1]]
    centre = np.vstack([right[-1][1], mirror_run(right[-1][1])[1:]])
    runs.append(("waist_centre", centre))
    runs += [(f"{n}_{negative}", mirror_run(pts)) for n, pts in reversed(right[:-1])]
    outline, edges = assemble_outline(runs)
    grain = np.array([[0.0, -HIP_DEPTH_CM], [0.0, -pom["length"] + 3.0]])
    notches = np.array([[pom["hip"] / 4, -HIP_DEPTH_CM], [-pom["hip"] / 4, -HIP_DEPTH_CM]])
    return Panel(name, outline, edges, grain, placement, notches)


def _waistband(waist_cm: float) -> Panel:
    total = waist_cm + UNDERLAP_CM
    corners = np.array([[0.0, 0.0], [waist_cm, 0.0], [total, 0.0], [total, WAISTBAND_HEIGHT_CM], [0.0, WAISTBAND_HEIGHT_CM]])
    edges = (Edge("waist", 0, 1), Edge("underlap", 1, 2), Edge("end_b", 2, 3), Edge("fold", 3, 4), Edge("end_a", 4, 0))
    grain = np.array([[0.25 * total, WAISTBAND_HEIGHT_CM / 2], [0.75 * total, WAISTBAND_HEIGHT_CM / 2]])
    return Panel("waistband", corners, edges, grain, Placement.WAIST)


def draft_skirt(gender: str, size: str, pom: dict) -> Pattern:
    """A skirt whose finished measurements are the chart's `pom` (cm)."""
    require_positive(pom, ("waist", "hip", "hem", "length"), f"skirt size {size}: the chart")
    if not pom["waist"] < pom["hip"] <= pom["hem"] or pom["length"] <= HIP_DEPTH_CM + 2:
        raise PatternError(f"skirt size {size}: needs waist < hip <= hem and a length past the hip line "
                           f"(waist {pom['waist']:g}, hip {pom['hip']:g}, hem {pom['hem']:g}, length {pom['length']:g} cm)")
    fabric = load_fabric(CATEGORIES["skirt"][0])
    front = _skirt_panel("front", Placement.FRONT_TORSO, pom, "front", left_is_positive_x=True)
    back = _skirt_panel("back", Placement.BACK_TORSO, pom, "back", left_is_positive_x=False)
    # round the body without a jump: across the front from left to right, then across the back from right to left
    waist_edges = tuple(SeamSide(piece, edge) for piece, edges in (
        ("front", ("waist_outer_left", "waist_centre", "waist_outer_right")),
        ("back", ("waist_outer_right", "waist_centre", "waist_outer_left"))) for edge in edges)
    seams = [Seam(f"side_{side}", (SeamSide("front", f"side_{side}"),), (SeamSide("back", f"side_{side}"),))
             for side in ("left", "right")]
    seams += [Seam(f"{piece}_dart_{side}", (SeamSide(piece, f"dart_a_{side}"),), (SeamSide(piece, f"dart_b_{side}"),))
              for piece in ("front", "back") for side in ("left", "right")]
    seams.append(Seam("waistband", (SeamSide("waistband", "waist"),), waist_edges))
    panels = {p.name: p for p in (front, back, _waistband(pom["waist"]))}
    pattern = Pattern("skirt", gender, size, fabric.name, panels, tuple(seams), METHOD, {"hip": -HIP_DEPTH_CM})
    pattern.validate(ease_fraction=max(0.05, fabric.comfort_strain_pct / 100.0))
    return pattern


def measure_skirt(pattern: Pattern) -> dict[str, float]:
    """The finished skirt's points of measure (cm): the waist seam with the darts closed, the hip line, the hem, the length."""
    front, back = pattern.panels["front"], pattern.panels["back"]
    return {"waist": waist_seam_cm(pattern), "hip": front.width_at(pattern.levels_cm["hip"]) + back.width_at(pattern.levels_cm["hip"]),
            "hem": front.edge_length("hem") + back.edge_length("hem"),
            "length": float(front.outline[:, 1].max() - front.outline[:, 1].min())}


def waist_seam_cm(pattern: Pattern) -> float:
    """The finished waist: the length of the edges the waistband is sewn to (darts closed), drafted or imported."""
    seam = next((s for s in pattern.seams if s.name == "waistband"), None)
    if seam is None:
        raise PatternError(f"{pattern.category} size {pattern.size}: no seam named 'waistband' to measure the waist by")
    return pattern.side_length(seam.b)
