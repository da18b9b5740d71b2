"""Seams for imported patterns. DXF carries pieces, not sewing, so a top's seams are inferred.

The pieces are recognised by name (FRONT, BACK, SLEEVE, and NECKBAND, BAND, RIB or COLLAR). Each
outline is split at its corners into edges, which are named by where they lie round the piece:
- a bodice, counter-clockwise from the hem: side, armhole, shoulder, neck, shoulder, armhole, side;
- a sleeve: hem, underarm, cap, underarm (one sleeve cut twice serves both arms, its front forward on each);
- a band: neckline, end, fold, end.
The seams are those every set-in-sleeve top is sewn with (`tops.top_seams`); without sleeves it is a
tank, whose armholes stay open. A JSON sidecar can say what a piece is (`"pieces"`: name to front,
back, sleeve or band), name its edges (`"edges"`: names in the order the error lists them) or give
the seams outright (`"seams"`: name, and runs `a` and `b` of [piece, edge] pairs). When the pieces say too
little, the error lists every piece's edges with their lengths, so the designer can write one.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from engine.garments.charts import CATEGORIES, load_fabric
from engine.patterns.dxf import DxfPiece
from engine.patterns.model import (
    Edge,
    Panel,
    Pattern,
    PatternError,
    Placement,
    Seam,
    SeamSide,
    polyline_length,
)
from engine.patterns.tops import _proportions, top_seams

CORNER_DEG = 40.0  # an outline turning more sharply than this at a point has a corner there
BODICE = ("hem", "side_{a}", "armhole_{a}", "shoulder_{a}", "neck", "shoulder_{b}", "armhole_{b}", "side_{b}")
SLEEVE = ("hem", "underarm_front", "cap", "underarm_back")
BAND = ("neckline", "end_b", "fold", "end_a")
BAND_WORDS = ("NECKBAND", "COLLAR", "BAND", "RIB")
KINDS = ("front", "back", "sleeve", "band", None)
CHEST_BELOW_UNDERARM_CM = 0.5  # the chest is measured just under the armholes
LONG_SLEEVE_CM = 40.0  # a sleeve longer than this makes a long-sleeve top
METHOD = "imported from DXF; seams inferred for a set-in-sleeve top"


def corners(outline: np.ndarray) -> np.ndarray:
    """Indices of the outline's corners, in order: where it turns more sharply than CORNER_DEG."""
    ahead = np.roll(outline, -1, axis=0) - outline
    behind = outline - np.roll(outline, 1, axis=0)
    cos = np.einsum("ij,ij->i", ahead, behind) / np.maximum(
        np.linalg.norm(ahead, axis=1) * np.linalg.norm(behind, axis=1), 1e-12)
    return np.flatnonzero(cos < np.cos(np.radians(CORNER_DEG)))


def _runs(panel: Panel) -> list[tuple[int, int]]:
    """The outline between consecutive corners, as (start, end) indices."""
    found = corners(panel.outline)
    return [(int(a), int(b)) for a, b in zip(found, np.roll(found, -1))]


def _run_points(outline: np.ndarray, run: tuple[int, int]) -> np.ndarray:
    span = (run[1] - run[0]) % len(outline) or len(outline)
    return outline[(run[0] + np.arange(span + 1)) % len(outline)]


def edge_table(panels: list[Panel]) -> str:
    """Every piece's edges between corners, numbered in outline order with their lengths: what a sidecar names."""
    lines = []
    for panel in panels:
        runs = _runs(panel)
        described = ", ".join(f"e{k} {polyline_length(_run_points(panel.outline, r)):.1f} cm" for k, r in enumerate(runs))
        lines.append(f"  {panel.name}: {described or 'no corners'}")
    return "\n".join(lines)


def _named(panel: Panel, names: tuple[str, ...] | list[str], lowest_first: bool = True) -> Panel:
    """The piece with its runs between corners named in order, starting from its lowest run (the hem) when asked."""
    runs = _runs(panel)
    if len(runs) != len(names):
        raise PatternError(f"piece {panel.name!r} has {len(runs)} edges between corners where {len(names)} were "
                           f"expected ({', '.join(names)})")
    if lowest_first:
        lowest = min(range(len(runs)), key=lambda k: _run_points(panel.outline, runs[k])[:, 1].mean())
        runs = runs[lowest:] + runs[:lowest]
    return replace(panel, edges=tuple(Edge(name, start, end) for name, (start, end) in zip(names, runs)))


def _band(panel: Panel) -> Panel:
    """A band's long lower run is the neckline: counter-clockwise from it come an end, the fold and the other end."""
    runs = _runs(panel)
    if len(runs) != 4:
        raise PatternError(f"piece {panel.name!r}: a band has 4 edges between corners, this one {len(runs)}")
    lengths = [polyline_length(_run_points(panel.outline, r)) for r in runs]
    neckline = min(np.argsort(lengths)[-2:], key=lambda k: _run_points(panel.outline, runs[k])[:, 1].mean())
    runs = runs[neckline:] + runs[:neckline]
    return replace(panel, edges=tuple(Edge(n, a, b) for n, (a, b) in zip(BAND, runs)), placement=Placement.NECK)


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


def _as(panel: Panel, name: str, placement: Placement | None) -> Panel:
    """The piece under our name and placement."""
    return replace(panel, name=name, placement=placement)


def _kind(name: str) -> str | None:
    upper = name.upper()
    return ("band" if any(w in upper for w in BAND_WORDS) else "sleeve" if "SLEEVE" in upper
            else "back" if "BACK" in upper else "front" if "FRONT" in upper else None)


def _top_panels(panels: dict[str, Panel], sidecar: dict) -> dict[str, Panel]:
    """Front, back, sleeves and band under the drafts' names, their edges named; the sidecar may say what a piece
    is (`"pieces": {name: "front"|"back"|"sleeve"|"band"}`) and name its edges (`"edges": {name: [...]}`)."""
    said = {str(k).lower(): v for k, v in sidecar.get("pieces", {}).items()}
    edges = {str(k).lower(): v for k, v in sidecar.get("edges", {}).items()}
    kinds: dict[str | None, list[Panel]] = {}
    for panel in panels.values():
        kind = said.get(panel.name, _kind(panel.name))
        if kind not in KINDS:
            raise PatternError(f"the sidecar calls piece {panel.name!r} a {kind!r}; a piece is one of {list(KINDS)}")
        kinds.setdefault(kind, []).append(panel)
    if len(kinds.get("front", [])) != 1 or len(kinds.get("back", [])) != 1 or kinds.get(None):
        raise PatternError("a top needs one FRONT and one BACK piece, and every piece named FRONT, BACK, SLEEVE "
                           "or NECKBAND/COLLAR/BAND/RIB (or called one in the sidecar's \"pieces\")")
    for name in (*edges, *said):
        if name not in panels:
            raise PatternError(f"the sidecar names a piece {name!r} the file does not have")

    def named(panel: Panel, names: tuple[str, ...]) -> Panel:
        return _named(panel, list(edges[panel.name]), lowest_first=False) if panel.name in edges else _named(panel, names)

    out = {"front": _as(named(kinds["front"][0], tuple(n.format(a="left", b="right") for n in BODICE)),
                        "front", Placement.FRONT_TORSO),
           "back": _as(named(kinds["back"][0], tuple(n.format(a="right", b="left") for n in BODICE)),
                       "back", Placement.BACK_TORSO)}
    sleeves = kinds.get("sleeve", [])
    if len(sleeves) == 1:  # one sleeve cut twice: sewing rolls each with its front forward
        sleeve = named(sleeves[0], SLEEVE)
        out |= {"sleeve_left": _as(sleeve, "sleeve_left", Placement.LEFT_ARM),
                "sleeve_right": _as(sleeve, "sleeve_right", Placement.RIGHT_ARM)}
    elif len(sleeves) == 2:
        sides = {"right" if "RIGHT" in s.name.upper() else "left": s for s in sleeves}
        if set(sides) != {"left", "right"}:
            raise PatternError("two sleeve pieces must be named as the left and the right one")
        out |= {f"sleeve_{side}": _as(named(s, SLEEVE), f"sleeve_{side}",
                                      Placement.LEFT_ARM if side == "left" else Placement.RIGHT_ARM)
                for side, s in sides.items()}
    elif sleeves:
        raise PatternError(f"{len(sleeves)} sleeve pieces: a top has one (cut twice) or a left and a right")
    bands = kinds.get("band", [])
    if len(bands) > 1:
        raise PatternError(f"{len(bands)} neck bands: a top has at most one")
    if bands:
        band = bands[0]
        out["neckband"] = _as(_named(band, list(edges[band.name]), lowest_first=False) if band.name in edges
                              else _band(band), "neckband", Placement.NECK)
    return _shifted(out)


def pattern_from_pieces(pieces: list[DxfPiece], where: str, sidecar: dict | None = None,
                        category: str | None = None, gender: str = "women") -> Pattern:
    """A sewable top from imported pieces: edges named, seams inferred (or taken from the sidecar)."""
    sidecar = sidecar or {}
    try:
        panels = _top_panels({p.panel.name: p.panel for p in pieces}, sidecar)
        necks = (SeamSide("front", "neck"), SeamSide("back", "neck"))
        seams = (_sidecar_seams(sidecar, where) if "seams" in sidecar else
                 top_seams({"left": "front", "right": "front"}, necks, "neckband" if "neckband" in panels else None,
                           sleeves="sleeve_left" in panels, band_ends_sewn=True))
        front, back = panels["front"], panels["back"]
        chest_level = min(float(p.edge_points("side_left")[:, 1].max()) for p in (front, back)) - CHEST_BELOW_UNDERARM_CM
        chest = front.width_at(chest_level) + back.width_at(chest_level)
        waist_depth = _proportions({"chest": chest, "body_length": float(np.ptp(back.outline[:, 1]))})[2]
    except PatternError as exc:
        raise PatternError(f"{where}: cannot sew these pieces: {exc}. Write a seams sidecar (--seams FILE.json) naming "
                           f"each piece's edges in order; they are:\n{edge_table([p.panel for p in pieces])}") from None
    sleeve = panels.get("sleeve_left")
    declared = next((p.category.lower() for p in pieces if p.category.lower() in CATEGORIES), None)
    category = category or declared or (
        "longsleeve" if sleeve is not None and np.ptp(sleeve.outline[:, 1]) > LONG_SLEEVE_CM else "tee")
    fabric = load_fabric(str(sidecar.get("fabric", CATEGORIES.get(category, ("jersey",))[0])))
    pattern = Pattern(category, gender, pieces[0].size, fabric.name, panels, seams, METHOD,
                      {"chest": chest_level, "waist": -waist_depth})
    try:
        pattern.validate(ease_fraction=max(0.05, fabric.comfort_strain_pct / 100.0))
    except PatternError as exc:
        raise PatternError(f"{where}: {exc}") from None
    return pattern


def _shifted(panels: dict[str, Panel]) -> dict[str, Panel]:
    """Front and back moved so their high point shoulder is at y = 0, as drafted pieces are (the drafting lines' origin)."""
    out = {}
    for name, panel in panels.items():
        if name in ("front", "back"):
            shift = np.array([0.0, -float(panel.outline[:, 1].max())])
            panel = replace(panel, outline=panel.outline + shift, grain=panel.grain + shift,
                            notches=panel.notches + shift if len(panel.notches) else panel.notches,
                            internal_lines=tuple(line + shift for line in panel.internal_lines))
        out[name] = panel
    return out
