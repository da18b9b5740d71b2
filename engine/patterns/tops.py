"""Drafting tops with set-in sleeves (tee, long sleeve, jacket) from a size chart's points of measure.

Method: a flat block drafted from the chest girth, in the manner of the easy-fitting knitwear
and shirt blocks of W. Aldrich, *Metric Pattern Cutting*: no darts, front and back drafted as
halves about the centre line (then mirrored into whole pieces), scye depth and half shoulder
proportional to the chest, shoulder slope fixed, armhole drawn with a French curve. The chart's
finished measurements are then met exactly: chest, waist and hem widths are the side-seam
positions; body length is high point shoulder to hem; the neckline width is solved so the sewn
neckline (front plus back) measures `neck_opening`; the bicep is solved so the sleeve cap measures
the armhole plus the cap ease the fabric wants; sleeve length runs cap top to hem. A jacket's front
is cut in two, each half running 2.5 cm past the centre front for the buttons, and its neckline
takes a stand collar instead of a band.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from engine.garments.charts import CATEGORIES, load_fabric
from engine.patterns.model import (
    Edge,
    Panel,
    Pattern,
    PatternError,
    Placement,
    Seam,
    SeamSide,
    Tack,
    assemble_outline,
    cubic,
    mirror_run,
    mirrored,
    polyline_length,
    require_positive,
)

METHOD = "flat knit/shirt block from the chest girth (after Aldrich, Metric Pattern Cutting), chart POMs met exactly"
SHOULDER_SLOPE_CM = 4.5
HIP_BELOW_WAIST_CM = 20.0
BACK_NECK_DEPTH_CM = 2.0
FRONT_NECK_DEPTH_BEYOND_WIDTH_CM = 1.0  # front neck depth = neck half width + this: a crew neck
ARMHOLE_SCOOP_CM = {"front": 1.6, "back": 0.8}  # how far the armhole curves in from the shoulder point
CAP_HEIGHT_OF_ARMHOLE = {"tee": 0.25, "longsleeve": 0.33, "jacket": 0.36}  # sleeve cap height as a fraction of the armhole
CAP_EASE = {"jersey": 0.0, "shirting": 0.04, "suiting": 0.05}  # extra cap length eased into the armhole
KNIT_NECKBAND_OF_NECKLINE = 0.9  # a knit band is cut shorter and stretched onto the neckline; a woven one is not
KNIT_STRAIN_PCT = 10.0  # fabrics that stretch at least this much comfortably are knits
NECKBAND_HEIGHT_CM = 5.0  # folded in two: 2.5 cm finished
TOPS = ("tee", "longsleeve", "jacket")
FIELDS = ("chest", "waist", "hem", "body_length", "sleeve_length", "sleeve_opening", "neck_opening")
BUTTON_OVERLAP_CM = 2.5  # a jacket front runs past the centre front by this, each side
BUTTONS = 4
#: buttons down the centre front, from this far below the neck point to this far above the hem
BUTTON_BELOW_NECK_CM, BUTTON_ABOVE_HEM_CM = 2.0, 10.0
NECK_SLIT_CM = {"longsleeve": 14.0}  # a woven pullover's front placket (recorded, not cut yet): it passes the head
COLLAR_HEIGHT_CM = 8.0  # a stand collar folded in two: 4 cm finished


def _neck_curve(half_width: float, depth: float) -> np.ndarray:
    """Half a neckline, from the centre line (0, -depth) up to the high point shoulder (half_width, 0)."""
    return cubic((0.0, -depth), (0.55 * half_width, -depth), (half_width, -0.45 * depth), (half_width, 0.0))


def _half_bodice(pom: dict, neck_half: float, neck_depth: float, scoop: float) -> dict[str, np.ndarray]:
    """The runs of the positive-x half of a bodice (centre line at x = 0, high point shoulder at y = 0):
    side (hem up to the underarm), armhole, shoulder, neck (HPS down to the centre line)."""
    chest_half, waist_half, hem_half = pom["chest"] / 4, pom["waist"] / 4, pom["hem"] / 4
    scye, shoulder, waist_depth = _proportions(pom)
    shoulder_point = np.array([shoulder, -SHOULDER_SLOPE_CM])
    underarm = np.array([chest_half, -scye])
    armhole = cubic(underarm, (chest_half - 0.45 * (chest_half - shoulder + scoop), -scye),
                    (shoulder - scoop, -SHOULDER_SLOPE_CM - 0.45 * (scye - SHOULDER_SLOPE_CM)), shoulder_point)
    side = np.array([[hem_half, -pom["body_length"]], [waist_half, -waist_depth], underarm])
    if "hip" in pom:  # a dress: the side seam passes the hip line too
        side = np.insert(side, 1, [pom["hip"] / 4, -(waist_depth + HIP_BELOW_WAIST_CM)], axis=0)
    return {"side": side, "armhole": armhole, "shoulder": np.array([shoulder_point, [neck_half, 0.0]]),
            "neck": _neck_curve(neck_half, neck_depth)[::-1]}


def _bodice(name: str, placement: Placement, pom: dict, neck_half: float, neck_depth: float, scoop: float,
            left_is_positive_x: bool) -> Panel:
    half = _half_bodice(pom, neck_half, neck_depth, scoop)
    hem_half, length = pom["hem"] / 4, pom["body_length"]
    neck = np.vstack([half["neck"], mirror_run(half["neck"])[1:]])
    hem = np.array([[-hem_half, -length], [hem_half, -length]])
    positive, negative = ("left", "right") if left_is_positive_x else ("right", "left")
    outline, edges = assemble_outline([
        ("hem", hem), (f"side_{positive}", half["side"]), (f"armhole_{positive}", half["armhole"]),
        (f"shoulder_{positive}", half["shoulder"]), ("neck", neck), (f"shoulder_{negative}", mirror_run(half["shoulder"])),
        (f"armhole_{negative}", mirror_run(half["armhole"])), (f"side_{negative}", mirror_run(half["side"])),
    ])
    chest_half, scye = pom["chest"] / 4, _proportions(pom)[0]
    notches = np.array([[chest_half, -scye], [-chest_half, -scye], [0.0, -length]])
    grain = np.array([[0.0, -neck_depth - 3.0], [0.0, -length + 3.0]])
    return Panel(name, outline, edges, grain, placement, notches)


def _proportions(pom: dict) -> tuple[float, float, float]:
    """Scye depth, half shoulder and waist depth (cm from the high point shoulder), from the chest and length."""
    chest = pom["chest"]
    scye = chest / 8.0 + 10.5
    shoulder = chest / 8.0 + 6.0
    waist_depth = min(pom["body_length"] - 5.0, 0.35 * chest + 7.0)
    if not scye + 5.0 < waist_depth < pom["body_length"]:
        raise PatternError(f"body length {pom['body_length']:g} cm is too short for a chest of {chest:g} cm")
    return scye, shoulder, waist_depth


def _sleeve(name: str, placement: Placement, pom: dict, armhole_cm: float, cap_fraction: float, cap_ease: float) -> Panel:
    cap_height = cap_fraction * armhole_cm
    length, opening_half = pom["sleeve_length"], pom["sleeve_opening"] / 2

    def cap(bicep_half: float) -> np.ndarray:
        half = cubic((bicep_half, -cap_height), (0.55 * bicep_half, -cap_height), (0.35 * bicep_half, 0.0), (0.0, 0.0))
        return np.vstack([half, mirror_run(half)[1:]])

    target = armhole_cm * (1.0 + cap_ease)
    if polyline_length(cap(0.05)) > target or length <= cap_height:
        raise PatternError(f"{name}: a sleeve {length:g} cm long cannot carry a cap {cap_height:.1f} cm high")
    bicep_half = brentq(lambda b: polyline_length(cap(b)) - target, 0.05, 4.0 * armhole_cm, xtol=1e-6)
    underarm = np.array([[opening_half, -length], [bicep_half, -cap_height]])
    hem = np.array([[-opening_half, -length], [opening_half, -length]])
    outline, edges = assemble_outline([("hem", hem), ("underarm_front", underarm), ("cap", cap(bicep_half)),
                                ("underarm_back", mirror_run(underarm))])
    grain = np.array([[0.0, -3.0], [0.0, -length + 3.0]])
    return Panel(name, outline, edges, grain, placement, notches=np.array([[0.0, 0.0]]))


def _neck_band(name: str, length_cm: float, height_cm: float) -> Panel:
    """A folded band sewn round the neckline (a knit neckband or a stand collar), grain running round it."""
    corners = np.array([[0.0, 0.0], [length_cm, 0.0], [length_cm, height_cm], [0.0, height_cm]])
    edges = (Edge("neckline", 0, 1), Edge("end_b", 1, 2), Edge("fold", 2, 3), Edge("end_a", 3, 0))
    grain = np.array([[length_cm * 0.25, height_cm / 2], [length_cm * 0.75, height_cm / 2]])
    return Panel(name, corners, edges, grain, Placement.NECK)


def solve_neck_half(pom: dict, what: str) -> float:
    """The neckline half width at which front plus back necklines measure the chart's `neck_opening`."""

    def neckline(half_width: float) -> float:
        front = polyline_length(_neck_curve(half_width, half_width + FRONT_NECK_DEPTH_BEYOND_WIDTH_CM))
        return 2.0 * (front + polyline_length(_neck_curve(half_width, BACK_NECK_DEPTH_CM)))

    if not neckline(1.0) < pom["neck_opening"] < neckline(pom["chest"] / 8.0):
        raise PatternError(f"{what}: a neck opening of {pom['neck_opening']:g} cm does not fit a chest of "
                           f"{pom['chest']:g} cm")
    return brentq(lambda w: neckline(w) - pom["neck_opening"], 1.0, pom["chest"] / 8.0, xtol=1e-7)


def button_heights(neck_depth_cm: float, length_cm: float) -> np.ndarray:
    """Where a jacket's buttons go down the centre front (y, cm, the neck point at 0), evenly from just below the
    neckline to well above the hem."""
    return np.linspace(-neck_depth_cm - BUTTON_BELOW_NECK_CM, -length_cm + BUTTON_ABOVE_HEM_CM, BUTTONS)


def buttoned(holes: np.ndarray) -> tuple[Tack, ...]:
    """A button at each of these points of the left front (cm), through its hole at the same place in the right
    front (the left's mirror image: x flips)."""
    return tuple(Tack(f"button_{k + 1}", "front_left", (float(x), float(y)), "front_right", (-float(x), float(y)))
                 for k, (x, y) in enumerate(holes))


def _jacket_fronts(pom: dict, neck_half: float) -> tuple[Panel, Panel]:
    """Left and right fronts, each running past the centre front by the button overlap."""
    half = _half_bodice(pom, neck_half, neck_half + FRONT_NECK_DEPTH_BEYOND_WIDTH_CM, ARMHOLE_SCOOP_CM["front"])
    length, hem_half, depth = pom["body_length"], pom["hem"] / 4, neck_half + FRONT_NECK_DEPTH_BEYOND_WIDTH_CM
    front_edge = np.array([[0.0, -depth], [-BUTTON_OVERLAP_CM, -depth], [-BUTTON_OVERLAP_CM, -length]])
    outline, edges = assemble_outline([
        ("hem", np.array([[-BUTTON_OVERLAP_CM, -length], [hem_half, -length]])), ("side_left", half["side"]),
        ("armhole_left", half["armhole"]), ("shoulder_left", half["shoulder"]), ("neck", half["neck"]),
        ("front_edge", front_edge)])
    scye = _proportions(pom)[0]
    buttons = np.stack([np.zeros(BUTTONS), button_heights(depth, length)], axis=1)  # and their holes in the right front
    left = Panel("front_left", outline, edges, np.array([[hem_half / 2, -depth], [hem_half / 2, -length + 3.0]]),
                 Placement.FRONT_TORSO, np.array([[pom["chest"] / 4, -scye]]), drill_holes=buttons)
    right = mirrored(left, "front_right", Placement.FRONT_TORSO,
                     {f"{part}_left": f"{part}_right" for part in ("side", "armhole", "shoulder")})
    return left, right


def draft_top(category: str, gender: str, size: str, pom: dict) -> Pattern:
    """A tee or long-sleeve pattern whose finished measurements are the chart's `pom` (cm)."""
    if category not in TOPS:
        raise PatternError(f"drafting {category!r} is not written yet; tops that are: {list(TOPS)}")
    require_positive(pom, FIELDS, f"{category} size {size}: the chart")
    fabric = load_fabric(CATEGORIES[category][0])
    neck_half = solve_neck_half(pom, f"{category} size {size}")
    back = _bodice("back", Placement.BACK_TORSO, pom, neck_half, BACK_NECK_DEPTH_CM, ARMHOLE_SCOOP_CM["back"],
                   left_is_positive_x=False)
    if category == "jacket":
        fronts = _jacket_fronts(pom, neck_half)
        front_of = {"left": "front_left", "right": "front_right"}
        necks = (SeamSide("front_right", "neck"), SeamSide("back", "neck"), SeamSide("front_left", "neck"))
    else:
        fronts = (_bodice("front", Placement.FRONT_TORSO, pom, neck_half, neck_half + FRONT_NECK_DEPTH_BEYOND_WIDTH_CM,
                          ARMHOLE_SCOOP_CM["front"], left_is_positive_x=True),)
        front_of = {"left": "front", "right": "front"}
        necks = (SeamSide("front", "neck"), SeamSide("back", "neck"))
    armhole = fronts[0].edge_length("armhole_left") + back.edge_length("armhole_left")
    cap_fraction, cap_ease = CAP_HEIGHT_OF_ARMHOLE[category], CAP_EASE.get(fabric.name, 0.03)
    sleeves = [_sleeve(f"sleeve_{side}", placement, pom, armhole, cap_fraction, cap_ease)
               for side, placement in (("left", Placement.LEFT_ARM), ("right", Placement.RIGHT_ARM))]
    neckline = sum(p.edge_length("neck") for p in (*fronts, back))
    if category == "jacket":
        finish = _neck_band("collar", neckline, COLLAR_HEIGHT_CM)
    else:
        knit = fabric.comfort_strain_pct >= KNIT_STRAIN_PCT
        finish = _neck_band("neckband", (KNIT_NECKBAND_OF_NECKLINE if knit else 1.0) * neckline, NECKBAND_HEIGHT_CM)
    panels = {p.name: p for p in (*fronts, back, *sleeves, finish)}
    seams = top_seams(front_of, necks, finish.name, sleeves=True, band_ends_sewn=category != "jacket")
    scye, _, waist_depth = _proportions(pom)
    tacks = buttoned(fronts[0].drill_holes) if category == "jacket" else ()
    pattern = Pattern(category, gender, size, fabric.name, panels, tuple(seams), METHOD,
                      {"chest": -scye, "waist": -waist_depth}, tacks, NECK_SLIT_CM.get(category, 0.0))
    pattern.validate(ease_fraction=max(0.05, fabric.comfort_strain_pct / 100.0))
    return pattern


def top_seams(front_of: dict[str, str], necks: tuple[SeamSide, ...], band: str | None, sleeves: bool,
              band_ends_sewn: bool) -> tuple[Seam, ...]:
    """How a top is sewn: shoulders and sides front to back, each sleeve's cap into its armhole and its
    underarm shut, the band round the neckline (its ends joined, unless they finish a jacket's front edges).
    `front_of` names the front piece on each side."""
    seams = [Seam(f"{part}_{side}", (SeamSide(front_of[side], f"{part}_{side}"),), (SeamSide("back", f"{part}_{side}"),))
             for part in ("shoulder", "side") for side in ("left", "right")]
    if sleeves:  # each armhole as one run from the underarm over the shoulder point and back down, as the cap runs
        seams += [Seam("sleeve_left", (SeamSide("sleeve_left", "cap"),),
                       (SeamSide(front_of["left"], "armhole_left"), SeamSide("back", "armhole_left"))),
                  Seam("sleeve_right", (SeamSide("sleeve_right", "cap"),),
                       (SeamSide("back", "armhole_right"), SeamSide(front_of["right"], "armhole_right")))]
        seams += [Seam(f"underarm_{side}", (SeamSide(f"sleeve_{side}", "underarm_front"),),
                       (SeamSide(f"sleeve_{side}", "underarm_back"),)) for side in ("left", "right")]
    if band:
        seams.append(Seam(band, (SeamSide(band, "neckline"),), necks))
        if band_ends_sewn:
            seams.append(Seam(f"{band}_ends", (SeamSide(band, "end_a"),), (SeamSide(band, "end_b"),)))
    return tuple(seams)


def measure_top(pattern: Pattern) -> dict[str, float]:
    """The finished garment's points of measure (cm), read off the pieces the way a QC tape would:
    girths as front plus back widths at the drafting lines, lengths along the pieces, openings along the edges."""
    back, sleeve = pattern.panels["back"], pattern.panels.get("sleeve_left")
    fronts = [p for name, p in pattern.panels.items() if name.startswith("front")]
    overlaps = 2 * BUTTON_OVERLAP_CM if len(fronts) == 2 else 0.0  # buttoned, the overlaps lie one on the other

    def girth(level: str) -> float:
        return sum(p.width_at(pattern.levels_cm[level]) for p in (*fronts, back)) - overlaps

    poms = {
        "chest": girth("chest"), "waist": girth("waist"),
        "hem": sum(p.edge_length("hem") for p in (*fronts, back)) - overlaps,
        "body_length": float(back.outline[:, 1].max() - back.outline[:, 1].min()),
        "neck_opening": sum(p.edge_length("neck") for p in (*fronts, back)),
    }
    if sleeve is not None:  # a tank has none
        poms |= {"sleeve_length": float(np.ptp(sleeve.outline[:, 1])), "sleeve_opening": sleeve.edge_length("hem")}
    return poms
