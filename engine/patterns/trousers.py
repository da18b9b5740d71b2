"""Drafting trousers from a size chart's points of measure: front and back of each leg, crotch curves, waistband.

Method: the trouser block of W. Aldrich, *Metric Pattern Cutting*, simplified: body rise from the
seat (hip / 4 + 2 cm), hip line 20 cm below the waist, the front a centimetre narrower than the
back at the waist, seat and hem, and the back crotch extension longer than the front (the two
share the chart's thigh: 40 % front, 60 % back). The leg hangs from a crease line halfway across
the thigh. The chart's finished measurements are met exactly: waist (four waist edges), seat at
the hip line, thigh at the crotch line, inseam along the inside leg seam, leg opening at the hem.
Each piece has one waist dart (the back's longer and deeper, over the seat; the front's on the crease
line), the side seam taking the rest of the waist shaping. No pockets or fly facing yet.
"""

from __future__ import annotations

import numpy as np

from engine.garments.charts import CATEGORIES, load_fabric
from engine.patterns.model import (
    Panel,
    Pattern,
    PatternError,
    Placement,
    Seam,
    SeamSide,
    assemble_outline,
    cubic,
    mirrored,
    require_positive,
)
from engine.patterns.skirts import SQUARED_CM, _waistband, waist_seam_cm

METHOD = "trouser block (after Aldrich, Metric Pattern Cutting), chart POMs met exactly"
FIELDS = ("waist", "hip", "thigh", "inseam", "leg_opening")
HIP_LINE_CM = 20.0
FRONT_NARROWER_CM = 1.0  # at the waist, seat and hem the front is this much narrower than the back, per leg
FRONT_SHARE_OF_EXTENSION = 0.4
#: each piece's waist suppression (seat less waist) is shared between a dart and the side seam: the back's dart,
#: halfway across its waist, takes more and reaches further (the seat); the front's sits on the crease line
DART_SHARE = {"front": 0.25, "back": 0.4}
DART_MAX_CM = {"front": 2.0, "back": 3.0}
DART_LENGTH_CM = {"front": 8.0, "back": 12.0}


def _rise(pom: dict) -> float:
    return pom["hip"] / 4.0 + 2.0


def _leg_panel(name: str, placement: Placement, pom: dict, front: bool) -> Panel:
    narrower = -FRONT_NARROWER_CM / 2 if front else FRONT_NARROWER_CM / 2
    finished, seat = pom["waist"] / 4 + narrower, pom["hip"] / 4 + narrower
    part = "front" if front else "back"
    dart = min(DART_SHARE[part] * (seat - finished), DART_MAX_CM[part])  # the side seam takes the rest
    waist = finished + dart  # the waist line across the top, the dart's intake in it
    extension = (pom["thigh"] - pom["hip"] / 2) * (FRONT_SHARE_OF_EXTENSION if front else 1 - FRONT_SHARE_OF_EXTENSION)
    rise, hem_half = _rise(pom), pom["leg_opening"] / 4 + narrower
    crease = (seat - extension) / 2
    inseam_dx = (crease - hem_half) + extension
    if abs(inseam_dx) >= pom["inseam"]:
        raise PatternError(f"{name}: an inseam of {pom['inseam']:g} cm is shorter than the leg is wide")
    hem_y = -rise - np.sqrt(pom["inseam"] ** 2 - inseam_dx ** 2)
    crotch = np.vstack([[[0.0, 0.0]], cubic((0.0, -HIP_LINE_CM), (0.0, -rise + 0.35 * (rise - HIP_LINE_CM)),
                                            (-0.45 * extension, -rise), (-extension, -rise))])
    side = np.vstack([[[crease + hem_half, hem_y], [seat, -rise]],
                      cubic((seat, -HIP_LINE_CM), (seat, -0.45 * HIP_LINE_CM), (waist, -SQUARED_CM), (waist, 0.0))])
    outline, edges = assemble_outline([
        ("crotch", crotch), ("inseam", np.array([[-extension, -rise], [crease - hem_half, hem_y]])),
        ("hem", np.array([[crease - hem_half, hem_y], [crease + hem_half, hem_y]])), ("side", side),
        *_darted_waist(waist, dart, crease if front else waist / 2, DART_LENGTH_CM[part]),
    ])
    grain = np.array([[crease, -HIP_LINE_CM], [crease, hem_y + 5.0]])  # the crease line runs on the straight grain
    notches = np.array([[seat, -HIP_LINE_CM], [-extension, -rise]])
    return Panel(name, outline, edges, grain, placement, notches)


def _darted_waist(waist: float, dart: float, at: float, length: float) -> list[tuple[str, np.ndarray]]:
    """The waist line from the side seam (x = `waist`) to the centre (x = 0), a dart `dart` wide centred on `at`."""
    at = float(np.clip(at, dart / 2 + 1.0, waist - dart / 2 - 1.0))
    return [("waist_0", np.array([[waist, 0.0], [at + dart / 2, 0.0]])),
            ("dart_a_0", np.array([[at + dart / 2, 0.0], [at, -length]])),
            ("dart_b_0", np.array([[at, -length], [at - dart / 2, 0.0]])),
            ("waist_1", np.array([[at - dart / 2, 0.0], [0.0, 0.0]]))]


def draft_trousers(gender: str, size: str, pom: dict) -> Pattern:
    """Trousers whose finished measurements are the chart's `pom` (cm)."""
    require_positive(pom, FIELDS, f"trousers size {size}: the chart")
    if not pom["waist"] < pom["hip"] + 10 or pom["thigh"] - pom["hip"] / 2 < 2.0:
        raise PatternError(f"trousers size {size}: a thigh of {pom['thigh']:g} cm leaves no crotch for a seat of "
                           f"{pom['hip']:g} cm (the thigh must pass half the seat by 2 cm)")
    fabric = load_fabric(CATEGORIES["trousers"][0])
    # drafted side seam at +x: the right front (seen from the front) and the left back (seen from behind), so that
    # every waist edge runs the same way round the body; the waistband starts and ends at the centre front (the fly)
    front_right = _leg_panel("front_right", Placement.RIGHT_LEG, pom, front=True)
    back_left = _leg_panel("back_left", Placement.LEFT_LEG, pom, front=False)
    panels = {p.name: p for p in (front_right, mirrored(front_right, "front_left", Placement.LEFT_LEG),
                                  back_left, mirrored(back_left, "back_right", Placement.RIGHT_LEG),
                                  _waistband(pom["waist"]))}
    seams = [Seam(f"{edge}_{side}", (SeamSide(f"front_{side}", edge),), (SeamSide(f"back_{side}", edge),))
             for edge in ("side", "inseam") for side in ("left", "right")]
    seams += [Seam(f"{part}_crotch", (SeamSide(f"{part}_left", "crotch"),), (SeamSide(f"{part}_right", "crotch"),))
              for part in ("front", "back")]
    seams += [Seam(f"{piece}_dart_0", (SeamSide(piece, "dart_a_0"),), (SeamSide(piece, "dart_b_0"),)) for piece in panels
              if piece != "waistband"]
    # each piece's waist runs round it counter-clockwise: side to centre on the pieces drafted, centre to side on
    # their mirrors
    seams.append(Seam("waistband", (SeamSide("waistband", "waist"),), tuple(
        SeamSide(piece, edge) for piece in ("front_left", "back_left", "back_right", "front_right")
        for edge in (("waist_0", "waist_1") if piece in ("front_right", "back_left") else ("waist_1", "waist_0")))))
    pattern = Pattern("trousers", gender, size, fabric.name, panels, tuple(seams), METHOD,
                      {"hip": -HIP_LINE_CM, "thigh": -_rise(pom)})
    pattern.validate(ease_fraction=max(0.05, fabric.comfort_strain_pct / 100.0))
    return pattern


def measure_trousers(pattern: Pattern) -> dict[str, float]:
    """The finished trousers' points of measure (cm), read off the pieces."""
    legs = [pattern.panels[f"{part}_{side}"] for part in ("front", "back") for side in ("left", "right")]
    front, back = pattern.panels["front_right"], pattern.panels["back_right"]
    return {"waist": waist_seam_cm(pattern),
            "hip": sum(p.width_at(pattern.levels_cm["hip"]) for p in legs),
            "thigh": front.width_at(pattern.levels_cm["thigh"]) + back.width_at(pattern.levels_cm["thigh"]),
            "inseam": front.edge_length("inseam"),
            "leg_opening": front.edge_length("hem") + back.edge_length("hem")}
