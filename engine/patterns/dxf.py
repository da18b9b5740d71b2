"""Pattern pieces in and out of DXF, in the AAMA / ASTM D6673 convention that CAD systems exchange.

Each piece is a block inserted in model space. Inside it, by layer: 1 the boundary (cut line), 4
notches (short lines from the boundary inwards), 7 the grain line, 8 internal lines, 13 drill holes
(points, or circles read by their centres: button and buttonhole marks), and text
"Piece Name:", "Size:", "Quantity:", "Category:", "Annotation:", and 14 the sew line when the cut line
carries seam allowances (ASTM's notch shapes on 80-83 count as notches). Units come from the header's
$INSUNITS or from a "Units: METRIC|ENGLISH" text. Reading accepts what Gerber AccuMark, Lectra,
Optitex and CLO write: boundaries as polylines or as lines and polylines split over several
entities, inch or metric units, files that nest several sizes (pick one by its label), and half pieces
cut on the fold, whose mirror line (layer 6) lies along their boundary: they are read whole.
A piece comes back as sewn: its sew line when the file has one, else its cut line less the seam allowance
the designer says it includes (production patterns add about 1 cm on every seam; read as finished lines,
a tee's chest would come out 4 cm too large). DXF carries no sewing information: pieces come back without
named edges or seams.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import ezdxf
import ezdxf.path
import numpy as np
import shapely
from ezdxf.lldxf.const import DXFError

from engine.patterns.model import Panel, Pattern, PatternError, Placement, signed_area

BOUNDARY, NOTCHES, MIRROR, GRAIN, INTERNAL, DRILL_HOLES, SEW_LINE = "1", "4", "6", "7", "8", "13", "14"
NOTCH_SHAPES = ("80", "81", "82", "83")  # ASTM D6673's T, castle, check and U notches
MAX_SEAM_ALLOWANCE_CM = 5.0  # seams take about 1 cm, hems 2-4 cm: more is not an allowance
MITRE_LIMIT = 5.0  # allowances meet at a corner squared off, as pattern makers cut them
ON_LINE_CM = 0.05  # a boundary point this close to a piece's mirror line lies on it
CM_PER_UNIT = {1: 2.54, 4: 0.1, 5: 1.0}  # $INSUNITS: inches, millimetres, centimetres
UNITS_TEXT = {"METRIC": 4, "ENGLISH": 1}
NOTCH_DEPTH_CM = 0.5
JOIN_TOLERANCE_CM = 0.01  # boundary pieces whose ends are this close are one line
CURVES = ("ARC", "CIRCLE", "ELLIPSE", "SPLINE")  # read as polylines, as are polylines with arc segments (bulges)
FLATTEN_CM = 0.02  # how far those polylines' chords may stray from the curves
FIELD = re.compile(r"^\s*(piece name|size|quantity|category|annotation|units)\s*:\s*(.*?)\s*$", re.I)


@dataclass(frozen=True)
class DxfPiece:
    panel: Panel
    size: str
    category: str
    annotation: str


def write_dxf(pattern: Pattern, path: Path, seam_allowance_cm: float = 0.0) -> None:
    """Write every piece of `pattern` as an AAMA block, in millimetres; with a seam allowance, the cut line
    (layer 1) lies that far outside the sewn outline, which goes on the sew line (layer 14), and each notch is
    cut from the cut line to the sew line."""
    allowance = check_seam_allowance(seam_allowance_cm, str(path))
    doc = ezdxf.new("R2000")
    doc.header["$INSUNITS"] = 4
    doc.header["$MEASUREMENT"] = 1
    for layer in (BOUNDARY, NOTCHES, GRAIN, INTERNAL, DRILL_HOLES, SEW_LINE):
        doc.layers.add(layer)
    msp = doc.modelspace()
    msp.add_text("Units: METRIC", dxfattribs={"layer": "0", "height": 5.0}).set_placement((0, -50))
    to_mm = 1.0 / CM_PER_UNIT[4]
    x_offset = 0.0
    for panel in pattern.panels.values():
        block = doc.blocks.new(name=f"{panel.name.upper()}_{pattern.size}")
        cut = offset_outline(panel.outline, allowance, f"{path}: piece {panel.name!r}") if allowance else panel.outline
        block.add_polyline2d([tuple(p) for p in cut * to_mm], close=True, dxfattribs={"layer": BOUNDARY})
        if allowance:
            block.add_polyline2d([tuple(p) for p in panel.outline * to_mm], close=True, dxfattribs={"layer": SEW_LINE})
        centre = panel.outline.mean(axis=0)
        for notch, on_cut in zip(panel.notches, nearest_on_outline(cut, panel.notches)):
            inward = centre - notch
            end = notch if allowance else notch + inward / (np.linalg.norm(inward) or 1.0) * NOTCH_DEPTH_CM
            block.add_line(tuple(on_cut * to_mm), tuple(end * to_mm), dxfattribs={"layer": NOTCHES})
        block.add_line(tuple(panel.grain[0] * to_mm), tuple(panel.grain[1] * to_mm), dxfattribs={"layer": GRAIN})
        for line in panel.internal_lines:
            block.add_polyline2d([tuple(p) for p in line * to_mm], dxfattribs={"layer": INTERNAL})
        for hole in panel.drill_holes:
            block.add_point(tuple(hole * to_mm), dxfattribs={"layer": DRILL_HOLES})
        texts = [f"Piece Name: {panel.name.upper()}", f"Size: {pattern.size}", f"Quantity: {panel.quantity}",
                 f"Category: {pattern.category}", f"Annotation: {pattern.gender} {pattern.category}, {pattern.fabric}"]
        for row, text in enumerate(texts):
            block.add_text(text, dxfattribs={"layer": "1", "height": 5.0}).set_placement(
                tuple(centre * to_mm + np.array([0.0, -10.0 * row])))
        low = panel.outline.min(axis=0)
        msp.add_blockref(block.name, ((x_offset - low[0]) * to_mm, 0.0))
        x_offset += float(np.ptp(panel.outline[:, 0])) + 5.0
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.saveas(path)


def read_dxf(path: Path, size: str | None = None, seam_allowance_cm: float = 0.0) -> list[DxfPiece]:
    """The pieces of an AAMA/ASTM DXF file in cm, for one size (required when the file nests several), as sewn:
    each piece's sew line (layer 14), or else its cut line less `seam_allowance_cm` all round."""
    where = str(path)
    allowance = check_seam_allowance(seam_allowance_cm, where)
    try:
        doc = ezdxf.readfile(path)
    except (OSError, DXFError, UnicodeDecodeError) as exc:
        raise PatternError(f"{where}: not a readable DXF file ({exc})") from None
    cm = CM_PER_UNIT.get(_units(doc, where))
    chord = FLATTEN_CM / cm
    pieces = []
    for block in doc.blocks:
        if block.name.startswith("*"):
            continue  # model and paper space
        fields, boundary, notches, grain, internal, mirror, sewn, holes = {}, [], [], None, [], [], [], []
        for entity in block:
            layer, kind = entity.dxf.layer, entity.dxftype()
            if kind in ("TEXT", "MTEXT"):
                match = FIELD.match(entity.plain_text() if kind == "MTEXT" else entity.dxf.text)
                if match:
                    fields[match[1].lower()] = match[2]
            elif layer == BOUNDARY:
                boundary.extend(_runs(entity, chord))
            elif layer == NOTCHES or layer in NOTCH_SHAPES:
                notches.extend(run[0] for run in _runs(entity, chord))
            elif layer == GRAIN and kind == "LINE":
                grain = np.array([tuple(entity.dxf.start)[:2], tuple(entity.dxf.end)[:2]])
            elif layer == INTERNAL:
                internal.extend(_runs(entity, chord))
            elif layer == MIRROR:
                mirror.extend(_runs(entity, chord))
            elif layer == SEW_LINE:
                sewn.extend(_runs(entity, chord))
            elif layer == DRILL_HOLES and kind in ("POINT", "CIRCLE"):
                holes.append(tuple(entity.dxf.location if kind == "POINT" else entity.dxf.center)[:2])
        if not boundary:
            continue
        name = fields.get("piece name") or block.name
        outline = _close(boundary, f"{where}: piece {name!r}") * cm
        if signed_area(outline) < 0:
            outline = outline[::-1]
        quantity = int(fields["quantity"]) if fields.get("quantity", "").isdigit() else 1
        panel = Panel(name.lower(), outline, (), np.zeros((2, 2)) if grain is None else grain * cm,
                      _placement(name), np.array(notches).reshape(-1, 2) * cm, tuple(r * cm for r in internal), quantity,
                      drill_holes=np.array(holes).reshape(-1, 2) * cm)
        fold = mirror[0][[0, -1]] * cm if mirror else None
        try:
            if fold is not None:
                panel = unfolded(panel, fold)
            panel.validate()
            panel = _as_sewn(panel, sewn, cm, allowance, fold, f"piece {name!r}")
        except PatternError as exc:
            raise PatternError(f"{where}: {exc}") from None
        pieces.append(DxfPiece(panel, fields.get("size", ""), fields.get("category", ""), fields.get("annotation", "")))
    if not pieces:
        raise PatternError(f"{where}: no pattern pieces (blocks with a boundary on layer {BOUNDARY})")
    sizes = sorted({p.size for p in pieces})
    if size is None:
        if len(sizes) > 1:
            raise PatternError(f"{where} nests sizes {sizes}: choose one")
        return pieces
    chosen = [p for p in pieces if p.size == size]
    if not chosen:
        raise PatternError(f"{where} has no size {size!r}; its sizes: {sizes}")
    return chosen


def check_seam_allowance(cm: float, where: str) -> float:
    """A seam allowance in cm, or an error naming the file and the value."""
    if isinstance(cm, bool) or not isinstance(cm, (int, float)):
        raise PatternError(f"{where}: a seam allowance is a number of cm; got {cm!r}")
    if not (math.isfinite(cm) and 0.0 <= cm <= MAX_SEAM_ALLOWANCE_CM):
        raise PatternError(f"{where}: a seam allowance of {cm:g} cm; give 0 to {MAX_SEAM_ALLOWANCE_CM:g} cm")
    return cm


def offset_outline(outline: np.ndarray, cm: float, where: str) -> np.ndarray:
    """The outline moved `cm` outwards (negative: inwards), counter-clockwise, corners squared off (mitred)."""
    shape = shapely.Polygon(outline).buffer(cm, join_style="mitre", mitre_limit=MITRE_LIMIT)
    if not isinstance(shape, shapely.Polygon) or shape.is_empty:
        raise PatternError(f"{where}: a seam allowance of {abs(cm):g} cm leaves no single piece inside its cut line")
    points = np.asarray(shape.exterior.coords)[:-1]
    return points if signed_area(points) > 0 else points[::-1]


def nearest_on_outline(outline: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Each point moved to the nearest point of the closed outline."""
    ring = shapely.LinearRing(outline)
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    along = shapely.line_locate_point(ring, shapely.points(points))
    return shapely.get_coordinates(shapely.line_interpolate_point(ring, along))


def _as_sewn(panel: Panel, sew_runs: list[np.ndarray], cm: float, allowance: float, fold: np.ndarray | None,
             where: str) -> Panel:
    """The piece as sewn: its outline the sew line (made whole about the fold, as the cut line was) or the cut
    line less the allowance, its notches moved in onto it; unchanged when the file has neither."""
    if sew_runs:
        sewn = _close(sew_runs, f"{where}: its sew line (layer {SEW_LINE})") * cm
        sewn = sewn if signed_area(sewn) > 0 else sewn[::-1]
        if fold is not None:
            sewn = unfolded(replace(panel, outline=sewn, notches=np.zeros((0, 2)), internal_lines=()), fold).outline
    elif allowance:
        sewn = offset_outline(panel.outline, -allowance, where)
    else:
        return panel
    if not shapely.Polygon(panel.outline).buffer(ON_LINE_CM).contains(shapely.Polygon(sewn)):
        raise PatternError(f"{where}: its sew line (layer {SEW_LINE}) runs outside its cut line (layer {BOUNDARY})")
    sewn_panel = replace(panel, outline=sewn, notches=nearest_on_outline(sewn, panel.notches))
    sewn_panel.validate()
    return sewn_panel


def unfolded(panel: Panel, line: np.ndarray) -> Panel:
    """A half piece cut on the fold made whole: its outline, notches, internal lines and drill holes mirrored about
    `line` (two points on the fold, cm), the boundary's run along the fold dropped."""
    along = (line[1] - line[0]) / max(float(np.linalg.norm(line[1] - line[0])), 1e-9)
    outline = panel.outline
    offset = outline - line[0]
    on = np.abs(offset[:, 0] * along[1] - offset[:, 1] * along[0]) < ON_LINE_CM
    on_run = on & np.roll(on, -1)  # the boundary runs from this point to the next along the fold
    starts = np.flatnonzero(on_run & ~np.roll(on_run, 1))
    if len(starts) != 1:
        raise PatternError(f"piece {panel.name!r}: its mirror line (layer {MIRROR}) must run along its boundary once; "
                           f"the boundary meets it in {len(starts)} runs")
    start = int(starts[0])
    end = start + int(on_run.sum())
    half = outline[(end + np.arange(len(outline) - (end - start) + 1)) % len(outline)]  # fold end round to fold start

    def reflect(points: np.ndarray) -> np.ndarray:
        rel = points - line[0]
        return line[0] + 2.0 * np.outer(rel @ along, along) - rel

    whole = np.vstack([half, reflect(half[::-1])[1:-1]])
    notches = panel.notches.reshape(-1, 2)
    off_fold = np.abs((notches - line[0]) @ np.array([along[1], -along[0]])) >= ON_LINE_CM
    holes = panel.drill_holes.reshape(-1, 2)
    return replace(panel, outline=whole, notches=np.vstack([notches, reflect(notches[off_fold])]),
                   internal_lines=panel.internal_lines + tuple(reflect(r) for r in panel.internal_lines),
                   drill_holes=np.vstack([holes, reflect(holes)]), cut_on_fold=True)


def _units(doc, where: str) -> int:
    units = doc.header.get("$INSUNITS", 0)
    if units in CM_PER_UNIT:
        return units
    for entity in doc.modelspace().query("TEXT MTEXT"):
        match = FIELD.match(entity.plain_text() if entity.dxftype() == "MTEXT" else entity.dxf.text)
        if match and match[1].lower() == "units" and match[2].upper() in UNITS_TEXT:
            return UNITS_TEXT[match[2].upper()]
    raise PatternError(f"{where}: unknown units ($INSUNITS {units}, no 'Units: METRIC|ENGLISH' text); "
                       "save it in inches, millimetres or centimetres")


def _runs(entity, chord: float) -> list[np.ndarray]:
    """The polylines (points in file units) an entity draws; curves as chords within `chord` of them."""
    kind = entity.dxftype()
    if kind == "LINE":
        return [np.array([tuple(entity.dxf.start)[:2], tuple(entity.dxf.end)[:2]])]
    if kind == "POINT":
        return [np.array([tuple(entity.dxf.location)[:2]])]
    if kind in CURVES or (kind in ("LWPOLYLINE", "POLYLINE") and getattr(entity, "has_arc", False)):
        return [np.array([(p.x, p.y) for p in ezdxf.path.make_path(entity).flattening(chord)])]
    if kind == "LWPOLYLINE":
        points = np.array([p[:2] for p in entity.get_points("xy")])
        closed = entity.closed
    elif kind == "POLYLINE":
        points = np.array([tuple(v.dxf.location)[:2] for v in entity.vertices])
        closed = entity.is_closed
    else:
        return []
    return [np.vstack([points, points[:1]]) if closed else points]


def _close(runs: list[np.ndarray], where: str) -> np.ndarray:
    """Chain boundary runs end to end (turning any that run backwards) into one closed outline."""
    runs = [r for r in runs if len(r) >= 2]
    if not runs:
        raise PatternError(f"{where}: the boundary has no lines")
    scale = max(float(np.ptp(np.vstack(runs), axis=0).max()), 1.0)
    tolerance = max(JOIN_TOLERANCE_CM, 1e-6 * scale)
    chain, rest = [runs[0]], runs[1:]
    while rest:
        end = chain[-1][-1]
        gaps = [(min(np.linalg.norm(r[0] - end), np.linalg.norm(r[-1] - end)), i) for i, r in enumerate(rest)]
        gap, index = min(gaps)
        if gap > tolerance:
            raise PatternError(f"{where}: the boundary is open (a gap of {gap:.3g} units after {len(chain)} lines)")
        run = rest.pop(index)
        chain.append(run if np.linalg.norm(run[0] - end) <= gap else run[::-1])
    points = np.vstack([chain[0]] + [r[1:] for r in chain[1:]])
    if np.linalg.norm(points[0] - points[-1]) > tolerance:
        raise PatternError(f"{where}: the boundary is open (its ends are {np.linalg.norm(points[0] - points[-1]):.3g} "
                           "units apart)")
    return points[:-1]


def _placement(name: str) -> Placement | None:
    """Where a piece goes, from the words pattern makers put in piece names; None when they do not say."""
    upper = name.upper()
    for words, placement in ((("RIGHT SLEEVE", "SLEEVE_RIGHT", "SLEEVE RIGHT"), Placement.RIGHT_ARM),
                             (("SLEEVE",), Placement.LEFT_ARM), (("COLLAR", "NECK", "BAND"), Placement.NECK),
                             (("WAISTBAND",), Placement.WAIST), (("BACK",), Placement.BACK_TORSO),
                             (("FRONT",), Placement.FRONT_TORSO)):
        if any(word in upper for word in words):
            return placement
    return None
