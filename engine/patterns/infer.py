"""Seams for imported patterns. DXF carries pieces, not sewing, so seams are inferred for tops, dresses and
jackets here and for skirts and trousers in `infer_bottoms`.

A top's pieces are recognised by name (FRONT, BACK, SLEEVE, and NECKBAND, BAND, RIB or COLLAR). Each
outline is split at its corners into edges, which are named by where they lie round the piece:
- a bodice, counter-clockwise from the hem: side, armhole, shoulder, neck, shoulder, armhole, side;
- a sleeve: hem, underarm, cap, underarm (one sleeve cut twice serves both arms, its front forward on each);
- a band: neckline, end, fold, end.
The seams are those every set-in-sleeve top is sewn with (`tops.top_seams`); without sleeves it is a
tank, whose armholes stay open. A dress is sewn as a top (most often a tank) carried down to its hem:
told by its Category text, a piece name saying DRESS, or a back longer than DRESS_MIN_LENGTH_CM. A
jacket (its Category, or a front cut twice, or a left and a right front) has a front with the button
overlap: hem, side, armhole, shoulder, neck, front edge, where the neck run's last straight step is
the overlap's; its right front is the left one's mirror image, its collar's ends finish the front
edges, and it is buttoned where the file's drill holes (layer 13) mark the centre front, or else down
it as drafted. A JSON sidecar can say what a piece is (`"pieces"`: name to front,
back, sleeve or band), name its edges (`"edges"`: names in the order the error lists them), say what
the garment is (`"category"`), how long a zip or placket opens its neckline (`"neck_slit_cm"`) or give the seams outright (`"seams"`: name, and runs `a` and `b` of
[piece, edge] pairs). When the pieces say too little, the error lists every piece's edges with their
lengths, so the designer can write one.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from engine.garments.charts import CATEGORIES, GarmentError, load_fabric
from engine.patterns.dxf import DxfPiece, read_dxf
from engine.patterns.infer_bottoms import bottom_kind, skirt_or_trousers
from engine.patterns.model import (
    Edge,
    Panel,
    Pattern,
    PatternError,
    Placement,
    Seam,
    SeamSide,
    Tack,
    mirrored,
)
from engine.patterns.runs import (
    as_piece,
    centred_from_top,
    edge_table,
    from_corner,
    lower_long_run,
    moved,
    named,
    outline_runs,
    sidecar_edges,
    sort_pieces,
    with_edges,
)
from engine.patterns.tops import HIP_BELOW_WAIST_CM, _proportions, button_heights, buttoned, top_seams

BODICE = ("hem", "side_{a}", "armhole_{a}", "shoulder_{a}", "neck", "shoulder_{b}", "armhole_{b}", "side_{b}")
SLEEVE = ("hem", "underarm_front", "cap", "underarm_back")
BAND = ("neckline", "end_b", "fold", "end_a")
BAND_WORDS = ("NECKBAND", "COLLAR", "BAND", "RIB")
KINDS = ("front", "back", "sleeve", "band", None)
CHEST_BELOW_UNDERARM_CM = 0.5  # the chest is measured just under the armholes
LONG_SLEEVE_CM = 40.0  # a sleeve longer than this makes a long-sleeve top
MAX_NECK_SLIT_CM = 80.0
JACKET_FRONT = ("hem", "side_left", "armhole_left", "shoulder_left", "neck", "front_edge")
MIN_OVERLAP_CM = 1.0  # a jacket front's neck ends in a straight step at least this long: the button overlap
BUTTON_LINE_CM = 1.0  # drill holes this close to the centre front mark buttons (others: pockets, darts)
DRESS_MIN_LENGTH_CM = 85.0  # a top whose back is longer than this, shoulder to hem, is a dress
METHOD = "imported from DXF; seams inferred for a set-in-sleeve top"


def _band(panel: Panel) -> Panel:
    """A band's long lower run is the neckline: counter-clockwise from it come an end, the fold and the other end."""
    runs = outline_runs(panel)
    if len(runs) != 4:
        raise PatternError(f"piece {panel.name!r}: a band has 4 edges between corners, this one {len(runs)}")
    neckline = lower_long_run(panel, runs)
    return with_edges(panel, BAND, runs[neckline:] + runs[:neckline])


def read_sidecar(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        sidecar = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise PatternError(f"{path}: not a readable seams sidecar ({exc})") from None
    if not isinstance(sidecar, dict):
        raise PatternError(f"{path}: a seams sidecar is a JSON object with 'edges' and/or 'seams'")
    return sidecar


def _sidecar_seams(sidecar: dict, where: str) -> tuple[Seam, ...]:
    seams = []
    for k, seam in enumerate(sidecar["seams"]):
        try:
            seams.append(Seam(str(seam.get("name", f"seam_{k}")), tuple(SeamSide(str(p), str(e)) for p, e in seam["a"]),
                              tuple(SeamSide(str(p), str(e)) for p, e in seam["b"])))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise PatternError(f"{where}: seam {k} must be {{\"name\": ..., \"a\": [[piece, edge], ...], "
                               f"\"b\": [[piece, edge], ...]}}") from None
    return tuple(seams)


def _check_sidecar(sidecar: dict) -> None:
    """PatternError unless the sidecar's entries have their documented shapes."""
    shapes = {"pieces": (dict, "an object of piece name to what it is"),
              "edges": (dict, "an object of piece name to a list of edge names"),
              "category": (str, "a category name"), "fabric": (str, "a fabric name"), "seams": (list, "a list of seams")}
    for key, (kind, described) in shapes.items():
        if key in sidecar and not isinstance(sidecar[key], kind):
            raise PatternError(f"the sidecar's {key!r} must be {described}")
    if not all(isinstance(v, str) for v in sidecar.get("pieces", {}).values()):
        raise PatternError("the sidecar's 'pieces' must say what each piece is as a word (front, back, ...)")
    if not all(isinstance(v, list) for v in sidecar.get("edges", {}).values()):
        raise PatternError("the sidecar's 'edges' must give each piece a list of edge names")


def _neck_slit_cm(sidecar: dict) -> float:
    """The sidecar's `"neck_slit_cm"`: a zip or placket opening the neckline (cm), 0 when it has none."""
    slit = sidecar.get("neck_slit_cm", 0.0)
    if isinstance(slit, bool) or not isinstance(slit, (int, float)) or not 0.0 <= slit <= MAX_NECK_SLIT_CM:
        raise PatternError(f"the sidecar's neck_slit_cm must be a number of cm from 0 to {MAX_NECK_SLIT_CM:g}; got {slit!r}")
    return float(slit)


def _kind(name: str) -> str | None:
    upper = name.upper()
    return ("band" if any(w in upper for w in BAND_WORDS) else "sleeve" if "SLEEVE" in upper
            else "back" if "BACK" in upper else "front" if "FRONT" in upper else None)


def _top_panels(panels: dict[str, Panel], sidecar: dict, category: str | None) -> dict[str, Panel]:
    """Front (a jacket's: front_left and front_right), back, sleeves and band under the drafts' names and in their
    frames, their edges named; the sidecar may say what a piece is (`"pieces": {name: "front"|"back"|"sleeve"|
    "band"}`) and name its edges (`"edges"`). A jacket is one by category, or by a front cut twice or two fronts."""
    kinds = sort_pieces(panels, sidecar, _kind, KINDS)
    edges = sidecar_edges(sidecar)
    fronts = kinds.get("front", [])
    jacket = category == "jacket" or (category is None and (len(fronts) == 2 or any(f.quantity == 2 for f in fronts)))
    if jacket and len(fronts) == 2:  # a left and a right front: the left one serves both, mirrored
        kinds["front"] = [f for f in fronts if "RIGHT" not in f.name.upper()][:1] or fronts[:1]
    if len(kinds.get("front", [])) != 1 or len(kinds.get("back", [])) != 1 or kinds.get(None):
        raise PatternError("a top needs one FRONT and one BACK piece, and every piece named FRONT, BACK, SLEEVE "
                           "or NECKBAND/COLLAR/BAND/RIB (or called one in the sidecar's \"pieces\")")

    def edged(panel: Panel, names: tuple[str, ...]) -> Panel:
        return named(panel, edges[panel.name], hem_first=False) if panel.name in edges else named(panel, names)

    out = {"back": as_piece(edged(kinds["back"][0], tuple(n.format(a="right", b="left") for n in BODICE)),
                            "back", Placement.BACK_TORSO)}
    if not jacket:
        out["front"] = as_piece(edged(kinds["front"][0], tuple(n.format(a="left", b="right") for n in BODICE)),
                                "front", Placement.FRONT_TORSO)
    sleeves = kinds.get("sleeve", [])
    if len(sleeves) == 1:  # one sleeve cut twice: sewing rolls each with its front forward
        sleeve = edged(sleeves[0], SLEEVE)
        out |= {"sleeve_left": as_piece(sleeve, "sleeve_left", Placement.LEFT_ARM),
                "sleeve_right": as_piece(sleeve, "sleeve_right", Placement.RIGHT_ARM)}
    elif len(sleeves) == 2:
        sides = {"right" if "RIGHT" in s.name.upper() else "left": s for s in sleeves}
        if set(sides) != {"left", "right"}:
            raise PatternError("two sleeve pieces must be named as the left and the right one")
        out |= {f"sleeve_{side}": as_piece(edged(s, SLEEVE), f"sleeve_{side}",
                                           Placement.LEFT_ARM if side == "left" else Placement.RIGHT_ARM)
                for side, s in sides.items()}
    elif sleeves:
        raise PatternError(f"{len(sleeves)} sleeve pieces: a top has one (cut twice) or a left and a right")
    bands = kinds.get("band", [])
    if len(bands) > 1:
        raise PatternError(f"{len(bands)} neck bands: a top has at most one")
    if bands:
        band, name = bands[0], "collar" if jacket else "neckband"
        out[name] = as_piece(named(band, edges[band.name], hem_first=False) if band.name in edges else _band(band),
                             name, Placement.NECK)
    framed = {name: from_corner(p) if p.placement is Placement.NECK else centred_from_top(p) for name, p in out.items()}
    if jacket:
        front = kinds["front"][0]
        framed |= dict(zip(("front_left", "front_right"), _jacket_fronts(
            edged(front, JACKET_FRONT) if front.name in edges else _left_front(front))))
    return framed


def _left_front(panel: Panel) -> Panel:
    """A jacket front as the draft's left front, its runs named: the side seam towards +x (a front drawn as the
    right one, its neck point nearer +x, is mirrored), the overlap's step still part of the neck run."""
    low, high = panel.outline.min(axis=0), panel.outline.max(axis=0)
    neck_point_x = panel.outline[np.argmax(panel.outline[:, 1]), 0]
    if high[0] - neck_point_x < neck_point_x - low[0]:
        panel = mirrored(panel, panel.name, panel.placement)
    return named(panel, JACKET_FRONT)


def _jacket_fronts(left: Panel) -> tuple[Panel, Panel]:
    """The left front with its neck run split where the straight step of the button overlap begins (the neck
    curve meets it without a corner), in the draft's frame (centre front at x = 0, top at y = 0), and the
    right front its mirror image."""
    neck, edge = left.edge("neck"), left.edge("front_edge")
    centre = (neck.end - 1) % len(left.outline)
    step = left.outline[neck.end] - left.outline[centre]
    if np.linalg.norm(step) < MIN_OVERLAP_CM or abs(step[1]) > 0.1 * abs(step[0]):
        raise PatternError(f"piece {left.name!r}: a jacket front's neck ends in a straight step across the button "
                           f"overlap (at least {MIN_OVERLAP_CM:g} cm); this one ends in {np.linalg.norm(step):.1f} cm "
                           "at an angle")
    edges = tuple(Edge("neck", neck.start, centre) if e.name == "neck" else
                  Edge("front_edge", centre, edge.end) if e.name == "front_edge" else e for e in left.edges)
    left = moved(replace(left, edges=edges), -np.array([left.outline[centre, 0], left.outline[:, 1].max()]))
    left = as_piece(left, "front_left", Placement.FRONT_TORSO)
    right = mirrored(left, "front_right", Placement.FRONT_TORSO,
                     {f"{part}_left": f"{part}_right" for part in ("side", "armhole", "shoulder")})
    return left, right


def _buttons(front_left: Panel) -> tuple[Tack, ...]:
    """Buttons where the file marks them, by drill holes on the centre front (top to bottom); without marks, down
    the centre front as drafted. Each is on the left front, through its hole in the right one."""
    holes = front_left.drill_holes[np.abs(front_left.drill_holes[:, 0]) < BUTTON_LINE_CM]
    if not len(holes):
        heights = button_heights(-float(front_left.edge_points("neck")[-1, 1]), -float(front_left.outline[:, 1].min()))
        holes = np.stack([np.zeros(len(heights)), heights], axis=1)
    return buttoned(holes[np.argsort(-holes[:, 1])])


def _category(pieces: list[DxfPiece], sidecar: dict) -> str | None:
    """What the sidecar or the pieces' Category texts say the garment is (None: they do not say)."""
    said = str(sidecar.get("category", "")).lower()
    if said and said not in CATEGORIES:
        raise PatternError(f"the sidecar's category {said!r} is not one of {sorted(CATEGORIES)}")
    return said or next((p.category.lower() for p in pieces if p.category.lower() in CATEGORIES), None) or next(
        (kind for p in pieces if (kind := bottom_kind(p.category)) is not None), None)


def import_pattern(path: Path, size: str | None, sidecar: dict | None = None, category: str | None = None,
                   gender: str = "women", where: str | None = None) -> Pattern:
    """A DXF file's pattern in one size (None: its only size), as sewn: a cut line without a sew line less the
    sidecar's `"seam_allowance_cm"` (default 0: the cut line is the finished line); seams inferred or the sidecar's."""
    sidecar = sidecar or {}
    pieces = read_dxf(path, size, sidecar.get("seam_allowance_cm", 0.0))
    return pattern_from_pieces(pieces, where or str(path), sidecar, category=category, gender=gender)


def pattern_from_pieces(pieces: list[DxfPiece], where: str, sidecar: dict | None = None,
                        category: str | None = None, gender: str = "women") -> Pattern:
    """A sewable garment from imported pieces: a top, skirt or trousers, edges named, seams inferred (or taken
    from the sidecar)."""
    sidecar = sidecar or {}
    try:
        _check_sidecar(sidecar)
        category = category or _category(pieces, sidecar)
        bottoms = skirt_or_trousers(pieces, sidecar, category, gender)
        pattern = bottoms or _top(pieces, sidecar, category, gender)
        if "seams" in sidecar:
            pattern = replace(pattern, seams=_sidecar_seams(sidecar, where))
        pattern = replace(pattern, neck_slit_cm=_neck_slit_cm(sidecar))
    except PatternError as exc:
        raise PatternError(f"{where}: cannot sew these pieces: {exc}. Write a seams sidecar (--seams FILE.json) naming "
                           f"each piece's edges in order; they are:\n{edge_table([p.panel for p in pieces])}") from None
    try:
        fabric = load_fabric(pattern.fabric)
        pattern.validate(ease_fraction=max(0.05, fabric.comfort_strain_pct / 100.0))
    except GarmentError as exc:  # an unknown fabric, or a piece or seam that cannot be cut or sewn
        raise PatternError(f"{where}: {exc}") from None
    return pattern


def _top(pieces: list[DxfPiece], sidecar: dict, category: str | None, gender: str) -> Pattern:
    """A set-in-sleeve top (or a tank, without sleeves; or a dress, either carried down to its hem; or a jacket,
    its front cut twice and buttoned) from its pieces."""
    panels = _top_panels({p.panel.name: p.panel for p in pieces}, sidecar, category)
    jacket = "front_left" in panels
    if jacket:
        category = "jacket"
        front_of = {"left": "front_left", "right": "front_right"}
        necks = (SeamSide("front_right", "neck"), SeamSide("back", "neck"), SeamSide("front_left", "neck"))
    else:
        front_of = {"left": "front", "right": "front"}
        necks = (SeamSide("front", "neck"), SeamSide("back", "neck"))
    band = next((name for name in ("neckband", "collar") if name in panels), None)
    seams = top_seams(front_of, necks, band, sleeves="sleeve_left" in panels, band_ends_sewn=not jacket)
    front, back = panels[front_of["left"]], panels["back"]
    chest_level = min(float(p.edge_points("side_left")[:, 1].max()) for p in (front, back)) - CHEST_BELOW_UNDERARM_CM
    chest = front.width_at(chest_level) + back.width_at(chest_level)
    if jacket:  # both fronts, each less its overlap (the front runs past the centre front, x = 0, by it)
        chest += front.width_at(chest_level) + 2.0 * float(front.outline[:, 0].min())
    waist_depth = _proportions({"chest": chest, "body_length": float(np.ptp(back.outline[:, 1]))})[2]
    sleeve = panels.get("sleeve_left")
    if category is None and (any("DRESS" in p.panel.name.upper() for p in pieces)
                             or np.ptp(back.outline[:, 1]) > DRESS_MIN_LENGTH_CM):
        category = "dress"
    category = category or ("longsleeve" if sleeve is not None and np.ptp(sleeve.outline[:, 1]) > LONG_SLEEVE_CM
                            else "tee")
    fabric = str(sidecar.get("fabric", CATEGORIES.get(category, ("jersey",))[0]))
    levels = {"chest": chest_level, "waist": -waist_depth}
    if category == "dress":
        levels["hip"] = -(waist_depth + HIP_BELOW_WAIST_CM)
    return Pattern(category, gender, pieces[0].size, fabric, panels, seams, METHOD, levels,
                   _buttons(front) if jacket else ())
