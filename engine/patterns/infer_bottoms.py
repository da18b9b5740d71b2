"""Seams for imported skirts and trousers, whose pieces DXF carries without sewing.

The pieces are told by name (FRONT, BACK, WAISTBAND; or what the sidecar's `"pieces"` calls them; where the
names say nothing, a strip is the waistband, and the back is the leg with the longer crotch or the skirt piece
whose darts reach further) and
the garment by its Category text, its piece names (SKIRT; PANT, TROUSER, JEAN, SHORT) or, failing
those, by shape: a trouser leg is widest at the crotch, well above a narrower hem. Each outline is split
at its corners and named counter-clockwise from the hem:
- a skirt front or back (whole, unfolded from a mirror line, or a half cut twice, joined along its
  straight centre edge): hem, side, the waist, side;
- a trouser leg (one cut twice, either hand): hem, side, the waist, crotch, inseam (the inseam is the
  shorter of the hem's two neighbours; a leg drawn the other hand is turned over);
- a waistband: its long lower edge (the waist, and past the garment's waist the underlap), an end, the
  fold, the other end.
Along the waist, two runs that dip into a V are a dart (`dart_a_k`, `dart_b_k`), sewn shut; the runs
between are sewn to the waistband. The sidecar's `"edges"` may name a piece's edges instead (`hem`, the sides,
`crotch`, `inseam`, `waist` or `waist_*`, `dart_a_X`/`dart_b_X`). The seams are the drafted skirt's and
trousers' (`skirts`, `trousers`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.garments.charts import CATEGORIES
from engine.patterns.dxf import DxfPiece, unfolded
from engine.patterns.model import (
    Edge,
    Panel,
    Pattern,
    PatternError,
    Placement,
    Seam,
    SeamSide,
    mirrored,
)
from engine.patterns.runs import (
    Run,
    as_piece,
    centred_from_top,
    from_corner,
    lower_long_run,
    lowest_first,
    moved,
    named,
    outline_runs,
    run_length,
    run_points,
    sidecar_edges,
    sort_pieces,
    with_edges,
)
from engine.patterns.skirts import HIP_DEPTH_CM
from engine.patterns.trousers import HIP_LINE_CM

SKIRT_WORDS = ("SKIRT",)
TROUSER_WORDS = ("TROUSER", "PANT", "JEAN", "SHORT", "SLACK", "CHINO")
WAISTBAND_WORDS = ("WAISTBAND", "WAIST BAND", "WAIST_BAND")
TOP_WORDS = ("SLEEVE", "COLLAR", "NECK", "RIB", "YOKE")
KINDS = ("front", "back", "waistband", None)
DART_DEPTH_MIN_CM = 1.5  # a V along the waist at least this deep is a dart
LEG_FLARE_RATIO = 1.2  # a trouser leg is this much wider at the crotch than at its hem; a skirt is not
BAND_ASPECT = 5.0  # a strip this many times longer than it is wide is a band
STRAIGHT_CM = 0.1  # a run whose points all lie this close to its chord is straight
UNDERLAP_MIN_CM = 0.5  # a waistband longer than the waist by more than this has an underlap
METHOD = "imported from DXF; seams inferred for a {category}"


def bottom_kind(text: str) -> str | None:
    """"skirt" or "trousers" when a Category text or piece name says so."""
    upper = text.upper()
    return ("skirt" if any(w in upper for w in SKIRT_WORDS) else
            "trousers" if any(w in upper for w in TROUSER_WORDS) else None)


def _kind(name: str) -> str | None:
    upper = name.upper()
    return ("waistband" if any(w in upper for w in WAISTBAND_WORDS) else "back" if "BACK" in upper
            else "front" if "FRONT" in upper else None)


def _legged(panel: Panel) -> bool:
    """Whether the piece is a trouser leg: widest in its upper half, and that much wider than at its hem."""
    low, high = panel.outline[:, 1].min(), panel.outline[:, 1].max()
    levels = np.linspace(low + 1.0, high - 1.0, 60)
    widths = np.array([panel.width_at(float(y)) for y in levels])
    widest = int(np.argmax(widths))
    return levels[widest] > (low + high) / 2 and widths[widest] > LEG_FLARE_RATIO * widths[0]


def _band_shaped(panel: Panel) -> bool:
    """Whether the piece is a strip: four edges between corners, the long ones BAND_ASPECT times the short."""
    runs = outline_runs(panel)
    lengths = sorted(run_length(panel, r) for r in runs)
    return len(runs) == 4 and lengths[2] > BAND_ASPECT * lengths[1]


def _unnamed_trousers(pieces: list[Panel]) -> dict[str | None, list[Panel]] | None:
    """Trousers told by shape alone, or None: a waistband strip and two legs, the back the one with the longer
    crotch (its extension reaches further round the seat)."""
    bands = [p for p in pieces if _band_shaped(p)]
    legs = [p for p in pieces if not _band_shaped(p)]
    if len(bands) != 1 or len(legs) != 2 or not all(_legged(p) for p in legs):
        return None
    try:
        crotch = [_leg(p, p.name, Placement.RIGHT_LEG, {})[0].edge_length("crotch") for p in legs]
    except PatternError:
        return None
    front, back = legs if crotch[0] <= crotch[1] else legs[::-1]
    return {"front": [front], "back": [back], "waistband": bands}


def _unnamed_skirt(pieces: list[Panel]) -> dict[str | None, list[Panel]] | None:
    """A skirt told by shape alone, or None: a waistband strip and two pieces, the back the one whose darts reach
    further (they shape the seat)."""
    bands = [p for p in pieces if _band_shaped(p)]
    panels = [p for p in pieces if not _band_shaped(p)]
    if len(bands) != 1 or len(panels) != 2:
        return None
    reach = []
    for panel in panels:
        runs = lowest_first(panel, outline_runs(panel))
        names = _waist_names(panel, runs[2:-1])[0] if len(runs) >= 4 else []
        reach.append(sum(run_length(panel, r) for r, n in zip(runs[2:-1], names) if n.startswith("dart")))
    if abs(reach[0] - reach[1]) < DART_DEPTH_MIN_CM:
        return None  # darts alike, or none: nothing tells the back
    front, back = panels if reach[0] < reach[1] else panels[::-1]
    return {"front": [front], "back": [back], "waistband": bands}


def skirt_or_trousers(pieces: list[DxfPiece], sidecar: dict, category: str | None, gender: str) -> Pattern | None:
    """The skirt or trousers these pieces make, or None when they are something else (a top)."""
    panels = {p.panel.name: p.panel for p in pieces}
    by_shape = None  # the pieces' kinds, when their shapes alone have told the garment
    if category is None:
        said = {str(v) for v in sidecar.get("pieces", {}).values()}
        named_as = next((kind for name in panels if (kind := bottom_kind(name)) is not None), None)
        has_band = "waistband" in said or any(_kind(name) == "waistband" for name in panels)
        if named_as is not None:
            category = named_as
        elif has_band and not any(w in name.upper() for name in panels for w in TOP_WORDS):
            front = next((p for p in panels.values() if _kind(p.name) == "front"), None)
            category = "trousers" if front is not None and _legged(front) else "skirt"
        elif not said and (by_shape := _unnamed_trousers(list(panels.values()))) is not None:
            category = "trousers"
    if category not in ("skirt", "trousers"):
        return None
    kinds = sort_pieces(panels, sidecar, _kind, KINDS)
    if set(kinds) == {None}:  # no name says what a piece is: their shapes do
        kinds = by_shape or (_unnamed_trousers if category == "trousers" else _unnamed_skirt)(kinds[None]) or kinds
    legs = 2 if category == "trousers" else 1  # trousers may give each leg's piece apart, named LEFT and RIGHT
    if (kinds.get(None) or len(kinds.get("waistband", [])) != 1
            or any(len(kinds.get(k, [])) not in (1, legs) for k in ("front", "back"))):
        raise PatternError(f"a {category} needs one FRONT, one BACK and one WAISTBAND piece, and no other (or each "
                           "called one in the sidecar's \"pieces\")")
    edges = sidecar_edges(sidecar)
    front, back = (_right_hand(kinds[k]) for k in ("front", "back"))
    if category == "skirt":  # halves made whole
        wholes = [_whole(p) if p.quantity >= 2 else p for p in (front, back)]
        halves = [p.name for p, whole in zip((front, back), wholes) if whole is not p and p.name in edges]
        if halves:
            raise PatternError(f"piece {halves[0]!r} is half a skirt piece (cut twice, joined along its straight "
                               "centre edge): name its edges by shape, not in the sidecar, or draw it whole")
        front, back = wholes
    made = _skirt(front, back, edges) if category == "skirt" else _trousers(front, back, edges)
    band = kinds["waistband"][0]
    panels, seams, levels, waist_sides = made
    waist_cm = sum(panels[s.panel].edge_length(s.edge) for s in waist_sides)
    band = _named_band(band, edges[band.name], waist_cm) if band.name in edges else _waistband(band, waist_cm)
    panels["waistband"] = as_piece(band, "waistband", Placement.WAIST)
    seams.append(Seam("waistband", (SeamSide("waistband", "waist"),), waist_sides))
    fabric = str(sidecar.get("fabric", CATEGORIES[category][0]))
    return Pattern(category, gender, pieces[0].size, fabric, panels, tuple(seams), METHOD.format(category=category),
                   levels)


def _right_hand(pieces: list[Panel]) -> Panel:
    """The one piece, or of a left and a right the right (the draft cuts the left as its mirror)."""
    if len(pieces) == 1:
        return pieces[0]
    right = [p for p in pieces if "RIGHT" in p.name.upper() and "LEFT" not in p.name.upper()]
    if len(right) != 1:
        raise PatternError(f"pieces {[p.name for p in pieces]}: two of a kind must be named as the LEFT and the RIGHT")
    return right[0]


def _whole(piece: Panel) -> Panel:
    """A skirt piece cut twice with one straight edge beside its hem is a half (a back with a centre-back seam):
    joined to its mirror along that edge, the seam as one piece of cloth (the zip is not modelled). Without one
    it is whole (cut twice for a lining)."""
    runs = lowest_first(piece, outline_runs(piece))
    centre = [r for r in (runs[1], runs[-1]) if _straight(piece, r)] if len(runs) >= 3 else []
    if len(centre) != 1:
        return piece
    return replace(unfolded(piece, run_points(piece.outline, centre[0])[[0, -1]]), quantity=1, cut_on_fold=False)


def _straight(panel: Panel, run: Run) -> bool:
    """Whether the run is a straight line (every point within STRAIGHT_CM of its chord)."""
    points = run_points(panel.outline, run)
    chord = points[-1] - points[0]
    normal = np.array([-chord[1], chord[0]]) / max(float(np.linalg.norm(chord)), 1e-9)
    return bool(np.abs((points - points[0]) @ normal).max() < STRAIGHT_CM)


def _is_dart(panel: Panel, first: Run, second: Run) -> bool:
    """Whether two runs in a row dip into a V deep enough, with legs of one length, to be a dart."""
    a, b = run_points(panel.outline, first), run_points(panel.outline, second)
    depth = min(a[0, 1], b[-1, 1]) - a[-1, 1]
    legs = run_length(panel, first), run_length(panel, second)
    return (depth >= DART_DEPTH_MIN_CM and abs(legs[0] - legs[1]) <= 0.05 * max(legs) + 0.3
            and np.linalg.norm(a[0] - b[-1]) < depth)


def _waist_names(panel: Panel, runs: list[Run]) -> tuple[list[str], list[str], list[str]]:
    """Names for the runs along the waist, in order: the waist's (`waist`, or `waist_k` when darts part it) and
    the darts' legs; also the waist's names alone, and the darts' suffixes (`0`, `1`, ...)."""
    names: list[str | None] = []  # None: a run of the waist itself
    darts, k = 0, 0
    while k < len(runs):
        if k + 1 < len(runs) and _is_dart(panel, runs[k], runs[k + 1]):
            names += [f"dart_a_{darts}", f"dart_b_{darts}"]
            darts, k = darts + 1, k + 2
        else:
            names.append(None)
            k += 1
    waist = ["waist"] if names.count(None) == 1 else [f"waist_{j}" for j in range(names.count(None))]
    parts = iter(waist)
    return [n if n is not None else next(parts) for n in names], waist, [str(k) for k in range(darts)]


def _dart_seams(piece: str, darts: list[str]) -> list[Seam]:
    """Each dart sewn shut, leg `dart_a_X` to leg `dart_b_X`."""
    return [Seam(f"{piece}_dart_{x}", (SeamSide(piece, f"dart_a_{x}"),), (SeamSide(piece, f"dart_b_{x}"),))
            for x in darts]


def _sidecar_named(panel: Panel, names: list[str], needed: tuple[str, ...]) -> tuple[Panel, list[str], list[str]]:
    """The piece with the sidecar's edge names; also its waist's names from the hem on (`waist`, `waist_*`), and
    its darts' suffixes (a dart's legs are `dart_a_X` and `dart_b_X`)."""
    edged = named(panel, names, hem_first=False)
    _require(edged, needed)
    from_hem = names[names.index("hem"):] + names[: names.index("hem")]
    waist = [n for n in from_hem if n == "waist" or n.startswith("waist_")]
    darts = [n.removeprefix("dart_a_") for n in names if n.startswith("dart_a_")]
    unpaired = sorted({n for n in names if n.startswith(("dart_a_", "dart_b_"))} - {
        f"dart_{leg}_{x}" for x in darts for leg in "ab"})
    if not waist or unpaired:
        raise PatternError(f"the sidecar's edges for piece {panel.name!r} need a waist ('waist', or 'waist_*' for "
                           f"each run between darts) and each dart's legs as 'dart_a_X' and 'dart_b_X'"
                           + (f"; unpaired: {unpaired}" if unpaired else ""))
    return edged, waist, darts


def _require(panel: Panel, needed: tuple[str, ...]) -> None:
    missing = [n for n in needed if n not in {e.name for e in panel.edges}]
    if missing:
        raise PatternError(f"the sidecar's edges for piece {panel.name!r} lack {missing}")


def _after_hem(panel: Panel) -> str:
    """The name of the edge that follows the hem round the outline (counter-clockwise)."""
    names = [e.name for e in panel.edges]
    return names[(names.index("hem") + 1) % len(names)]


def _skirt(front: Panel, back: Panel, edges: dict[str, list[str]]
           ) -> tuple[dict[str, Panel], list[Seam], dict[str, float], tuple[SeamSide, ...]]:
    """Front and back in the drafts' frames, their side and dart seams, and the waist the band is sewn to (round
    the body without a jump: across the front from left to right, then the back from right to left). Edges the
    sidecar names keep their names; which side is the left is told by its place round the piece, as drafted."""
    panels, seams, waist = {}, [], []
    for name, panel, placement, (plus, minus) in (("front", front, Placement.FRONT_TORSO, ("left", "right")),
                                                  ("back", back, Placement.BACK_TORSO, ("right", "left"))):
        if panel.name in edges:
            edged, waist_names, darts = _sidecar_named(panel, edges[panel.name], ("hem", "side_left", "side_right"))
            if _after_hem(edged) != f"side_{plus}":
                edged = replace(edged, edges=tuple(replace(e, name={"side_left": "side_right", "side_right": "side_left"}
                                                           .get(e.name, e.name)) for e in edged.edges))
        else:
            runs = lowest_first(panel, outline_runs(panel))
            if len(runs) < 4:
                raise PatternError(f"piece {panel.name!r}: a skirt {name} has a hem, two sides and a waist; this one "
                                   f"has {len(runs)} edges between corners")
            names, waist_names, darts = _waist_names(panel, runs[2:-1])
            edged = with_edges(panel, ["hem", f"side_{plus}", *names, f"side_{minus}"], runs)
        panels[name] = centred_from_top(as_piece(edged, name, placement))
        seams += _dart_seams(name, darts)
        waist += [SeamSide(name, n) for n in waist_names]
    seams = [Seam(f"side_{side}", (SeamSide("front", f"side_{side}"),), (SeamSide("back", f"side_{side}"),))
             for side in ("left", "right")] + seams
    return panels, seams, {"hip": -HIP_DEPTH_CM}, tuple(waist)


def _leg(panel: Panel, name: str, placement: Placement, edges: dict[str, list[str]]
         ) -> tuple[Panel, list[str], list[str]]:
    """A trouser leg as drafted (side seam at +x, the crotch's top at the origin), its edges named (by the sidecar,
    when it names them); also the names of its waist's runs and its darts' suffixes."""
    if panel.name in edges:
        edged, waist_names, darts = _sidecar_named(panel, edges[panel.name], ("hem", "side", "crotch", "inseam"))
        if _after_hem(edged) == "inseam":  # drawn the other hand
            edged = mirrored(edged, edged.name, placement)
            waist_names = waist_names[::-1]
        top = edged.edge_points("crotch")[0]
        return moved(as_piece(edged, name, placement), -top), waist_names, darts
    runs = lowest_first(panel, outline_runs(panel))
    if len(runs) < 5:
        raise PatternError(f"piece {panel.name!r}: a trouser leg has a hem, side, waist, crotch and inseam; this one "
                           f"has {len(runs)} edges between corners")
    if run_length(panel, runs[1]) < run_length(panel, runs[-1]):  # the inseam follows the hem: the other hand
        panel = mirrored(panel, panel.name, placement)
        runs = lowest_first(panel, outline_runs(panel))
    names, waist_names, darts = _waist_names(panel, runs[2:-2])
    edged = with_edges(panel, ["hem", "side", *names, "crotch", "inseam"], runs)
    top = edged.edge_points("crotch")[0]
    return moved(as_piece(edged, name, placement), -top), waist_names, darts


def _trousers(front: Panel, back: Panel, edges: dict[str, list[str]]
              ) -> tuple[dict[str, Panel], list[Seam], dict[str, float], tuple[SeamSide, ...]]:
    """Both legs' fronts and backs (each piece cut twice), their seams and the waist the band is sewn to (from the
    centre front round the left, the back and the right, as drafted)."""
    front_right, front_waist, front_darts = _leg(front, "front_right", Placement.RIGHT_LEG, edges)
    back_left, back_waist, back_darts = _leg(back, "back_left", Placement.LEFT_LEG, edges)
    panels = {"front_right": front_right, "front_left": mirrored(front_right, "front_left", Placement.LEFT_LEG),
              "back_left": back_left, "back_right": mirrored(back_left, "back_right", Placement.RIGHT_LEG)}
    seams = [Seam(f"{edge}_{side}", (SeamSide(f"front_{side}", edge),), (SeamSide(f"back_{side}", edge),))
             for edge in ("side", "inseam") for side in ("left", "right")]
    seams += [Seam(f"{part}_crotch", (SeamSide(f"{part}_left", "crotch"),), (SeamSide(f"{part}_right", "crotch"),))
              for part in ("front", "back")]
    for piece, darts in (("front_left", front_darts), ("front_right", front_darts), ("back_left", back_darts),
                         ("back_right", back_darts)):
        seams += _dart_seams(piece, darts)
    chains = {"front_right": front_waist, "back_left": back_waist,  # a mirrored piece runs round the other way
              "front_left": front_waist[::-1], "back_right": back_waist[::-1]}
    waist = tuple(SeamSide(piece, edge) for piece in ("front_left", "back_left", "back_right", "front_right")
                  for edge in chains[piece])
    rise = -float(front_right.edge_points("crotch")[-1, 1])
    return panels, seams, {"hip": -HIP_LINE_CM, "thigh": -rise}, waist


def _waistband(panel: Panel, waist_cm: float) -> Panel:
    """The band in the drafts' frame: its long lower run sewn to the waist (`waist`, then any `underlap`), an end,
    the fold and the other end."""
    runs = outline_runs(panel)
    if len(runs) != 4:
        raise PatternError(f"piece {panel.name!r}: a waistband has 4 edges between corners, this one {len(runs)}")
    lower = lower_long_run(panel, runs)
    return _split_underlap(with_edges(panel, ("waist", "end_b", "fold", "end_a"), runs[lower:] + runs[:lower]),
                           waist_cm)


def _named_band(panel: Panel, names: list[str], waist_cm: float) -> Panel:
    """The band with the sidecar's edge names, in the drafts' frame (its underlap split off as `_waistband`'s)."""
    edged = named(panel, names, hem_first=False)
    _require(edged, ("waist",))
    return _split_underlap(edged, waist_cm)


def _split_underlap(band: Panel, waist_cm: float) -> Panel:
    """The band in the drafts' frame, its `waist` split where the garment's waist ends when it runs on past it: the
    rest is the `underlap` (it ends at no corner, so neither inference nor a sidecar can name it by its runs)."""
    if band.edge_length("waist") <= waist_cm + UNDERLAP_MIN_CM:
        return from_corner(band)
    waist = next(e for e in band.edges if e.name == "waist")
    band = _with_vertex(band, (waist.start, waist.end), waist_cm)
    waist = next(e for e in band.edges if e.name == "waist")
    split = _vertex_at(band, (waist.start, waist.end), waist_cm)
    edges = tuple(part for e in band.edges for part in (
        (Edge("waist", e.start, split), Edge("underlap", split, e.end)) if e.name == "waist" else (e,)))
    return from_corner(replace(band, edges=edges))


def _travelled(points: np.ndarray) -> np.ndarray:
    """The distance along a polyline to each of its points (cm)."""
    return np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])


def _vertex_at(panel: Panel, run: Run, along_cm: float) -> int:
    """The outline index of the run's vertex nearest `along_cm` from its start."""
    travelled = _travelled(run_points(panel.outline, run))
    return int((run[0] + np.argmin(np.abs(travelled - along_cm))) % len(panel.outline))


def _with_vertex(panel: Panel, run: Run, along_cm: float) -> Panel:
    """The piece with a vertex `along_cm` from the run's start (where the waist ends and the underlap begins), its
    edges kept."""
    points = run_points(panel.outline, run)
    travelled = _travelled(points)
    segment = int(np.clip(np.searchsorted(travelled, along_cm) - 1, 0, len(points) - 2))
    if min(abs(travelled[segment] - along_cm), abs(travelled[segment + 1] - along_cm)) < 0.05:
        return panel  # a vertex is there already
    share = (along_cm - travelled[segment]) / (travelled[segment + 1] - travelled[segment])
    point = points[segment] + share * (points[segment + 1] - points[segment])
    at = run[0] + segment + 1
    at = at if at <= len(panel.outline) else at - len(panel.outline)

    def shifted(index: int) -> int:  # the outline's vertices from `at` on move one along
        return index + 1 if index >= at else index

    return replace(panel, outline=np.insert(panel.outline, at, point, axis=0),
                   edges=tuple(replace(e, start=shifted(e.start), end=shifted(e.end)) for e in panel.edges))
