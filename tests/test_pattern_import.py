"""Imported DXF tops: pieces named as CAD systems name them, seams inferred, sewn and fitted; clear refusals."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import ezdxf
import numpy as np
import pytest
import shapely

from engine.patterns import PatternError, draft, measure
from engine.patterns.dxf import offset_outline, read_dxf, write_dxf
from engine.patterns.infer import import_pattern, pattern_from_pieces
from engine.patterns.runs import outline_runs

FITROOM = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "fitroom"
EXAMPLE_BODY = Path(__file__).resolve().parents[1] / "examples" / "body.json"
INDUSTRY_NAMES = {"front": "T-SHIRT FRONT", "back": "T-SHIRT BACK", "sleeve_left": "SLEEVE", "neckband": "NECK RIB"}
MM_PER_INCH = 25.4


def write_industry_tee(path: Path, sizes: tuple[str, ...] = ("M", "L"), names: dict[str, str] = INDUSTRY_NAMES,
                       scale: dict[str, float] | None = None, drop: tuple[str, ...] = ()) -> None:
    """A nest of tee sizes as a CAD system writes it: inches, one sleeve cut twice, each boundary split over
    several LINE entities, pieces named in capitals with the AAMA texts."""
    doc = ezdxf.new("R2000")
    doc.header["$INSUNITS"] = 1
    msp = doc.modelspace()
    for size in sizes:
        pattern = draft("tee", "women", size)
        for ours, theirs in names.items():
            if ours in drop:
                continue
            panel = pattern.panels[ours]
            outline = panel.outline * (scale or {}).get(ours, 1.0) * 10.0 / MM_PER_INCH
            block = doc.blocks.new(name=f"{theirs.replace(' ', '_')}_{size}")
            for start, end in zip(outline, np.roll(outline, -1, axis=0)):
                block.add_line(tuple(start), tuple(end), dxfattribs={"layer": "1"})
            block.add_line(tuple(panel.grain[0] * 10 / MM_PER_INCH), tuple(panel.grain[1] * 10 / MM_PER_INCH),
                           dxfattribs={"layer": "7"})
            quantity = 2 if ours == "sleeve_left" else 1
            for row, text in enumerate((f"Piece Name: {theirs}", f"Size: {size}", f"Quantity: {quantity}",
                                        "Category: KNIT TOPS")):
                block.add_text(text, dxfattribs={"layer": "1", "height": 0.2}).set_placement((0, -0.4 * row))
            msp.add_blockref(block.name, (0, 0))
    doc.saveas(path)


@pytest.fixture(scope="module")
def industry_tee(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dxf") / "tee_nest.dxf"
    write_industry_tee(path)
    return path


def test_an_industry_tee_imports_with_its_seams_and_measures_as_drafted(industry_tee):
    pattern = pattern_from_pieces(read_dxf(industry_tee, "L"), str(industry_tee))
    assert set(pattern.panels) == {"front", "back", "sleeve_left", "sleeve_right", "neckband"}
    assert pattern.category == "tee"  # "KNIT TOPS" says nothing we know; a short sleeve does
    assert {s.name for s in pattern.seams} >= {"shoulder_left", "side_right", "sleeve_left", "underarm_right", "neckband"}
    drafted, imported = measure(draft("tee", "women", "L")), measure(pattern)
    for pom in ("chest", "hem", "body_length", "neck_opening", "sleeve_length", "sleeve_opening"):
        assert imported[pom] == pytest.approx(drafted[pom], abs=0.6), pom  # the chest is read 5 mm under the armhole
    smaller = measure(pattern_from_pieces(read_dxf(industry_tee, "M"), str(industry_tee)))
    assert smaller["chest"] < imported["chest"] - 4.0


def test_an_imported_tee_sews_and_its_chest_ease_agrees_with_the_drape(industry_tee, tmp_path, example_avatar):
    report = tmp_path / "fit.json"
    done = subprocess.run([str(FITROOM), "fit", "--pattern", str(industry_tee), "--size", "L", "--measurements",
                           str(EXAMPLE_BODY), "--report", str(report), "--out", str(tmp_path / "fit.glb")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    fit = json.loads(report.read_text())
    assert fit["pattern"]["poms_cm"]["chest"] == pytest.approx(102.0, abs=0.6)
    assert fit["penetration_mm_max"] <= 2.0
    import trimesh

    scene = trimesh.load(tmp_path / "fit.glb")
    cloth = scene.geometry[next(k for k in scene.geometry if "garment" in k)]
    from engine.garments.build import body_landmarks

    bust = body_landmarks(example_avatar).bust  # an independent tape: the draped cloth's length round the chest
    curves = cloth.section(plane_origin=[0.0, bust, 0.0], plane_normal=[0.0, 1.0, 0.0]).discrete
    torso = min(curves, key=lambda c: np.linalg.norm(c.mean(axis=0)[[0, 2]]))
    draped_ease = float(np.linalg.norm(np.diff(torso, axis=0), axis=1).sum()) * 100.0 - example_avatar.measured["chest"]
    assert fit["regions"]["chest"]["ease_cm"] == pytest.approx(draped_ease, abs=3.0)


def test_a_tank_without_sleeves_sews_with_open_armholes(tmp_path, example_avatar):
    from engine.tryon import try_on

    path = tmp_path / "tank.dxf"
    write_industry_tee(path, sizes=("L",), drop=("sleeve_left",))
    pattern = pattern_from_pieces(read_dxf(path), str(path))
    assert "sleeve_left" not in pattern.panels and not any("armhole" in s.b[0].edge for s in pattern.seams)
    fit = try_on(example_avatar, pattern.category, pattern.size, pattern=pattern).fit
    assert "upper_arm" not in fit.regions and fit.regions["chest"].verdict == "fit"


def test_pieces_it_cannot_place_are_refused_with_their_edges_and_a_sidecar_fixes_them(tmp_path):
    path = tmp_path / "anonymous.dxf"
    names = {"front": "PIECE 1", "back": "PIECE 2", "sleeve_left": "PIECE 3", "neckband": "PIECE 4"}
    write_industry_tee(path, sizes=("L",), names=names)
    with pytest.raises(PatternError) as refused:
        pattern_from_pieces(read_dxf(path), str(path))
    message = str(refused.value)
    assert str(path) in message and "piece 1: e0 53.0 cm" in message and "sidecar" in message
    sidecar = {"pieces": {"PIECE 1": "front", "PIECE 2": "back", "PIECE 3": "sleeve", "PIECE 4": "band"}}
    pattern = pattern_from_pieces(read_dxf(path), str(path), sidecar)
    assert set(pattern.panels) == {"front", "back", "sleeve_left", "sleeve_right", "neckband"}


def test_a_seam_the_fabric_cannot_ease_is_refused(tmp_path):
    path = tmp_path / "big_sleeve.dxf"
    write_industry_tee(path, sizes=("L",), scale={"sleeve_left": 1.3})
    with pytest.raises(PatternError, match=r"seam 'sleeve_left': its sides are .* the fabric can ease"):
        pattern_from_pieces(read_dxf(path), str(path))


@pytest.mark.parametrize("args, words", [
    (["--size", "XL"], "has no size 'XL'"),
    (["--size", "L", "--seams", "missing.json"], "not a readable seams sidecar"),
])
def test_the_cli_refuses_bad_pattern_input_in_one_line(industry_tee, tmp_path, args, words):
    done = subprocess.run([str(FITROOM), "fit", "--pattern", str(industry_tee), *args, "--measurements", str(EXAMPLE_BODY)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


BOTTOM_PIECES = {"skirt": {"front": "SKIRT FRONT", "back": "SKIRT BACK", "waistband": "WAISTBAND"},
                 "trousers": {"front_left": "PANT FRONT", "back_right": "PANT BACK", "waistband": "WAISTBAND"}}


def write_industry_bottoms(path: Path, category: str, names: dict[str, str] | None = None, fold_front: bool = False,
                           with_band: bool = True, mirror_line: tuple | None = None, half_back: bool = False) -> None:
    """A skirt or trousers as a CAD system writes them: millimetres, pieces away from the origin, one leg's front
    and back each cut twice (drawn as the left leg's), a skirt front drawn as a half on the fold (layer 6), a
    skirt back as a half cut twice (a centre-back seam)."""
    pattern = draft(category, "women", "L")
    doc = ezdxf.new("R2000")
    doc.header["$INSUNITS"] = 4
    msp = doc.modelspace()
    for k, (ours, theirs) in enumerate((names or BOTTOM_PIECES[category]).items()):
        if ours == "waistband" and not with_band:
            continue
        outline = pattern.panels[ours].outline
        folded = fold_front and ours == "front"
        halved = folded or (half_back and ours == "back")
        if halved:  # the half right of the centre line, closed along it
            outline = np.vstack([outline[outline[:, 0] >= -1e-9], [[0.0, outline[:, 1].min()]]])
        offset = np.array([120.0 * k + 40.0, -30.0])
        block = doc.blocks.new(name=theirs.replace(" ", "_"))
        block.add_lwpolyline([tuple(p) for p in (outline + offset) * 10.0], close=True, dxfattribs={"layer": "1"})
        if folded:
            line = mirror_line or ((0.0, 0.0), (0.0, -30.0))
            block.add_line(*(tuple((np.array(p) + offset) * 10.0) for p in line), dxfattribs={"layer": "6"})
        for row, text in enumerate((f"Piece Name: {theirs}", "Size: 12", f"Quantity: {1 if folded else 2}",
                                    "Category: BOTTOMS")):
            block.add_text(text, dxfattribs={"layer": "1", "height": 5.0}).set_placement((0, -10 * row))
        msp.add_blockref(block.name, (0, 0))
    doc.saveas(path)


def _same_outline(a: np.ndarray, b: np.ndarray, tolerance_cm: float) -> bool:
    """Every vertex of each outline lies within `tolerance_cm` of one of the other's (a half's added fold vertex aside)."""
    gaps = np.linalg.norm(a[:, None] - b[None], axis=2)
    return bool(np.sort(gaps.min(axis=1))[-2] < tolerance_cm and np.sort(gaps.min(axis=0))[-2] < tolerance_cm)


@pytest.mark.parametrize("category, fold_front, half_back", [("skirt", True, True), ("skirt", False, False),
                                                             ("trousers", False, False)])
def test_imported_skirts_and_trousers_get_the_drafts_pieces_seams_and_measurements(tmp_path, category, fold_front,
                                                                                   half_back):
    path = tmp_path / f"{category}.dxf"
    write_industry_bottoms(path, category, fold_front=fold_front, half_back=half_back)
    pattern = pattern_from_pieces(read_dxf(path), str(path))
    drafted = draft(category, "women", "L")
    assert pattern.category == category and set(pattern.panels) == set(drafted.panels)  # "BOTTOMS" says nothing
    for name, panel in pattern.panels.items():  # in the drafts' frames, so they are placed on the body as drafted
        assert _same_outline(panel.outline, drafted.panels[name].outline, 0.01), name
        assert panel.quantity == 1
    assert pattern.panels["front"].cut_on_fold == fold_front if category == "skirt" else True
    assert {s.name for s in pattern.seams} >= {"side_left", "side_right", "waistband"}
    darts = {s.name for s in pattern.seams if "dart" in s.name}
    if category == "skirt":
        assert darts == {"front_dart_0", "front_dart_1", "back_dart_0", "back_dart_1"}
    else:  # the trouser draft's darts are named the way inference names them: every seam is the draft's
        assert len(darts) == 4 and {s.name for s in pattern.seams} == {s.name for s in drafted.seams}
    assert pattern.levels_cm == pytest.approx(drafted.levels_cm)
    imported, ours = measure(pattern), measure(drafted)
    assert imported == pytest.approx(ours, abs=0.05)
    band = pattern.panels["waistband"]
    assert band.edge_length("waist") == pytest.approx(ours["waist"], abs=0.05) and band.edge_length("underlap") > 2.0


@pytest.mark.parametrize("category", ["skirt", "trousers"])
def test_skirts_and_trousers_are_told_apart_by_shape_when_names_do_not_say(tmp_path, category):
    path = tmp_path / "plain.dxf"
    names = {ours: theirs.split()[-1] for ours, theirs in BOTTOM_PIECES[category].items()}  # FRONT, BACK, WAISTBAND
    write_industry_bottoms(path, category, names=names)
    assert pattern_from_pieces(read_dxf(path), str(path)).category == category
    other = "skirt" if category == "trousers" else "trousers"
    with pytest.raises(PatternError, match="cannot sew these pieces|more apart than"):  # the sidecar overrides the shape
        pattern_from_pieces(read_dxf(path), str(path), {"category": other})


def test_an_imported_skirt_and_trousers_sew_and_fit_as_the_drafts(tmp_path, example_avatar):
    from engine.tryon import try_on

    for category in ("skirt", "trousers"):
        path = tmp_path / f"{category}.dxf"
        write_industry_bottoms(path, category, fold_front=category == "skirt", half_back=category == "skirt")
        pattern = pattern_from_pieces(read_dxf(path), str(path))
        imported = try_on(example_avatar, category, pattern.size, pattern=pattern).fit
        drafted = try_on(example_avatar, category, "L", pattern=draft(category, "women", "L")).fit
        assert imported.penetration_mm_max <= 2.0
        assert set(imported.regions) == set(drafted.regions) >= {"waist", "hip"}
        for region, fit in imported.regions.items():
            assert fit.ease_cm == pytest.approx(drafted.regions[region].ease_cm, abs=0.5), (category, region)
            assert fit.verdict == drafted.regions[region].verdict


@pytest.mark.parametrize("change, words", [
    ({"with_band": False}, "needs one FRONT, one BACK and one WAISTBAND"),
    ({"fold_front": True, "mirror_line": ((-5.0, 0.0), (-5.0, -30.0))}, "mirror line (layer 6) must run along"),
])
def test_bottoms_that_cannot_be_sewn_are_refused_naming_the_problem(tmp_path, change, words):
    path = tmp_path / "bad.dxf"
    write_industry_bottoms(path, "skirt", **change)
    with pytest.raises(PatternError, match=re.escape(words)) as refused:
        pattern_from_pieces(read_dxf(path), str(path))
    assert str(path) in str(refused.value)


@pytest.mark.parametrize("slit, accepted", [(14, True), (-1, False), ("wide", False), (float("nan"), False)])
def test_the_sidecar_says_how_far_a_zip_or_placket_opens_the_neckline(industry_tee, slit, accepted):
    if accepted:
        pattern = pattern_from_pieces(read_dxf(industry_tee, "L"), str(industry_tee), {"neck_slit_cm": slit})
        assert pattern.neck_slit_cm == slit
    else:
        with pytest.raises(PatternError, match="neck_slit_cm must be a number of cm from 0 to 80"):
            pattern_from_pieces(read_dxf(industry_tee, "L"), str(industry_tee), {"neck_slit_cm": slit})


@pytest.mark.parametrize("sidecar, words", [({"pieces": ["front"]}, "'pieces' must be"), ({"pieces": {"a": 3}}, "as a word"),
                                            ({"edges": {"front": "hem"}}, "a list of edge names"),
                                            ({"category": 7}, "'category' must be"), ({"seams": {}}, "'seams' must be")])
def test_a_sidecar_of_the_wrong_shape_is_refused_by_name(industry_tee, sidecar, words):
    with pytest.raises(PatternError, match=words):
        pattern_from_pieces(read_dxf(industry_tee, "L"), str(industry_tee), sidecar)


@pytest.mark.parametrize("category, pieces", [("trousers", ("back_right", "front_left", "waistband")),
                                              ("skirt", ("back", "front", "waistband"))])
def test_bottoms_whose_piece_names_say_nothing_are_told_by_shape(tmp_path, category, pieces):
    """The back is the leg with the longer crotch, or the skirt piece whose darts reach further."""
    path = tmp_path / "anonymous.dxf"  # listed back first, so the order cannot be what tells them apart
    write_industry_bottoms(path, category, names={ours: f"PIECE {k + 1}" for k, ours in enumerate(pieces)})
    sidecar = {"category": "skirt"} if category == "skirt" else {}  # a skirt's shape alone does not say "skirt"
    pattern = pattern_from_pieces(read_dxf(path), str(path), sidecar)
    drafted = draft(category, "women", "L")
    assert pattern.category == category and set(pattern.panels) == set(drafted.panels)
    for name, panel in pattern.panels.items():
        assert _same_outline(panel.outline, drafted.panels[name].outline, 0.01), name
    assert measure(pattern) == pytest.approx(measure(drafted), abs=0.05)


@pytest.mark.parametrize("category", ["skirt", "trousers"])
def test_a_sidecar_names_the_edges_of_bottoms_the_shapes_do_not_tell(tmp_path, category):
    """Unnamed pieces, every edge named by the sidecar (a leg drawn the other hand, its names in its own order):
    they import into the drafted pieces, seams and measurements."""
    path = tmp_path / "named_edges.dxf"
    theirs = {ours: f"PIECE {k + 1}" for k, ours in enumerate(BOTTOM_PIECES[category])}
    write_industry_bottoms(path, category, names=theirs)
    drafted = draft(category, "women", "L")
    pieces = read_dxf(path)
    ours_of = {name.lower(): ours for ours, name in theirs.items()}
    edges = {}
    for piece in pieces:
        by_start = {e.start: e.name for e in drafted.panels[ours_of[piece.panel.name]].edges}
        edges[piece.panel.name] = [by_start[start] for start, _ in outline_runs(piece.panel)]
    kinds = {name: ours.split("_")[0] for name, ours in ours_of.items()}
    pattern = pattern_from_pieces(pieces, str(path), {"category": category, "pieces": kinds, "edges": edges})
    assert set(pattern.panels) == set(drafted.panels)
    assert len(pattern.seams) == len(drafted.seams)
    for name, panel in pattern.panels.items():
        assert _same_outline(panel.outline, drafted.panels[name].outline, 0.01), name
        assert {e.name for e in panel.edges} == {e.name for e in drafted.panels[name].edges}, name  # the designer's
    assert measure(pattern) == pytest.approx(measure(drafted), abs=0.05)

    leg = next(name for name, ours in ours_of.items() if ours != "waistband")
    named_right = list(edges[leg])
    edges[leg] = ["seat" if n in ("crotch", "side_left") else n for n in named_right]  # a name we do not sew by
    with pytest.raises(PatternError, match=rf"edges for piece '{leg}' lack \['(crotch|side_left)'\]"):
        pattern_from_pieces(pieces, str(path), {"category": category, "pieces": kinds, "edges": edges})
    edges[leg] = [named_right[0]] + named_right[:-1]  # one name twice, the last one lost
    with pytest.raises(PatternError, match=rf"piece '{leg}' has more than one edge named"):
        pattern_from_pieces(pieces, str(path), {"category": category, "pieces": kinds, "edges": edges})


def _without_layer(path: Path, layer: str, out: Path) -> Path:
    """The DXF file with every entity on `layer` taken out of its pieces (a cut line with no sew line)."""
    doc = ezdxf.readfile(path)
    for block in doc.blocks:
        for entity in [e for e in block if e.dxf.layer == layer]:
            block.delete_entity(entity)
    doc.saveas(out)
    return out


def _polyline_area_cm2(path: Path, block: str, layer: str) -> float:
    entity = next(e for e in ezdxf.readfile(path).blocks.get(block) if e.dxf.layer == layer and e.dxftype() == "POLYLINE")
    points = np.array([tuple(v.dxf.location)[:2] for v in entity.vertices]) / 10.0
    return float(abs(0.5 * (points[:, 0] @ np.roll(points[:, 1], -1) - points[:, 1] @ np.roll(points[:, 0], -1))))


def test_a_pattern_with_seam_allowances_is_read_as_sewn_from_its_sew_line(tmp_path):
    drafted = draft("tee", "women", "L")
    path = tmp_path / "tee_with_allowances.dxf"
    write_dxf(drafted, path, seam_allowance_cm=1.0)
    front = drafted.panels["front"]
    perimeter = float(np.linalg.norm(front.outline - np.roll(front.outline, 1, axis=0), axis=1).sum())
    cut_area = _polyline_area_cm2(path, "FRONT_L", "1")  # the cut line 1 cm outside, corners squared off
    assert perimeter * 1.0 < cut_area - front.area_cm2 < perimeter * 1.1
    assert _polyline_area_cm2(path, "FRONT_L", "14") == pytest.approx(front.area_cm2, rel=1e-6)
    pieces = {p.panel.name: p.panel for p in read_dxf(path)}
    for name, panel in drafted.panels.items():
        assert _same_outline(pieces[name].outline, panel.outline, 0.01), name
        assert np.abs(pieces[name].notches - panel.notches).max(initial=0.0) < 0.01, name
    assert measure(import_pattern(path, None)) == pytest.approx(measure(drafted), abs=0.15)


def test_a_cut_line_alone_is_read_less_the_seam_allowance_the_designer_gives(tmp_path):
    drafted = draft("tee", "women", "L")
    net = tmp_path / "tee_net.dxf"
    write_dxf(drafted, net)
    write_dxf(drafted, tmp_path / "tee_with_allowances.dxf", seam_allowance_cm=1.0)
    cut_only = _without_layer(tmp_path / "tee_with_allowances.dxf", "14", tmp_path / "tee_cut_only.dxf")
    as_cut = {p.panel.name: p.panel for p in read_dxf(cut_only)}
    middle = float(drafted.panels["front"].outline[:, 1].mean())  # read as finished lines, 2 cm wider a piece (more
    assert 2.0 <= as_cut["front"].width_at(middle) - drafted.panels["front"].width_at(middle) < 2.1  # where sides slope)
    sewn = measure(import_pattern(cut_only, None, {"seam_allowance_cm": 1.0}))
    assert sewn == pytest.approx(measure(import_pattern(net, None)), abs=0.3)  # the back neck's tight curve: 2 mm


def test_a_skirt_cut_on_the_fold_loses_its_allowance_round_the_whole_piece_not_along_the_fold(tmp_path):
    drafted = draft("skirt", "women", "L")
    whole_cut = offset_outline(drafted.panels["front"].outline, 1.0, "front")
    half = shapely.Polygon(whole_cut).intersection(shapely.box(0.0, -1e3, 1e3, 1e3))  # no allowance on the fold
    half = np.asarray(half.exterior.coords)[:-1]
    doc = ezdxf.new("R2000")
    doc.header["$INSUNITS"] = 5
    block = doc.blocks.new(name="SKIRT_FRONT")
    block.add_lwpolyline([tuple(p) for p in half], close=True, dxfattribs={"layer": "1"})
    block.add_line((0.0, 0.0), (0.0, -30.0), dxfattribs={"layer": "6"})
    block.add_text("Piece Name: SKIRT FRONT", dxfattribs={"layer": "1"})
    doc.modelspace().add_blockref(block.name, (0, 0))
    path = tmp_path / "skirt_front_on_fold.dxf"
    doc.saveas(path)
    (piece,) = read_dxf(path, seam_allowance_cm=1.0)
    assert piece.panel.cut_on_fold
    assert piece.panel.area_cm2 == pytest.approx(drafted.panels["front"].area_cm2, rel=0.002)
    assert np.ptp(piece.panel.outline[:, 0]) == pytest.approx(np.ptp(drafted.panels["front"].outline[:, 0]), abs=0.01)


@pytest.mark.parametrize("allowance", [-1.0, float("nan"), 9.0, "1", True])
def test_a_seam_allowance_that_is_not_one_is_refused(tmp_path, allowance):
    path = tmp_path / "tee.dxf"
    write_dxf(draft("tee", "women", "M"), path)
    with pytest.raises(PatternError, match="seam allowance"):
        read_dxf(path, seam_allowance_cm=allowance)
    with pytest.raises(PatternError, match="seam allowance"):
        write_dxf(draft("tee", "women", "M"), tmp_path / "out.dxf", seam_allowance_cm=allowance)
    assert not (tmp_path / "out.dxf").exists()


def test_a_sew_line_outside_its_cut_line_is_refused_naming_the_piece(tmp_path):
    path = tmp_path / "tee.dxf"
    write_dxf(draft("tee", "women", "M"), path, seam_allowance_cm=1.0)
    doc = ezdxf.readfile(path)
    block = doc.blocks.get("SLEEVE_LEFT_M")
    cut, sew = (next(e for e in block if e.dxf.layer == layer and e.dxftype() == "POLYLINE") for layer in ("1", "14"))
    cut.dxf.layer, sew.dxf.layer = "14", "1"  # the two lines swapped
    doc.saveas(path)
    with pytest.raises(PatternError, match=r"piece 'SLEEVE_LEFT': its sew line \(layer 14\) runs outside its cut line"):
        read_dxf(path)


def test_the_cli_writes_and_reads_seam_allowances(tmp_path):
    run = lambda *args: subprocess.run([str(FITROOM), *args], capture_output=True, text=True, timeout=120,  # noqa: E731
                                       cwd=tmp_path)
    done = run("pattern", "--garment", "tee", "--size", "M", "--out", "tee.dxf", "--seam-allowance", "1")
    assert done.returncode == 0, done.stderr
    layers = {e.dxf.layer for block in ezdxf.readfile(tmp_path / "tee.dxf").blocks for e in block}
    assert {"1", "4", "7", "14"} <= layers
    for args, words in ((["pattern", "--garment", "tee", "--size", "M", "--out", "t.dxf", "--seam-allowance", "nan"],
                         "seam allowance of nan cm"),
                        (["pattern", "--garment", "tee", "--size", "M", "--out", "t.svg", "--seam-allowance", "1"],
                         "--seam-allowance goes with --out FILE.dxf"),
                        (["fit", "--garment", "tee", "--size", "M", "--seam-allowance", "1"], "go with --pattern"),
                        (["fit", "--pattern", "tee.dxf", "--seam-allowance", "7", "--measurements", str(EXAMPLE_BODY)],
                         "seam allowance of 7 cm")):
        done = run(*args)
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr, (args, done.stderr)
    assert not (tmp_path / "t.dxf").exists() and not (tmp_path / "t.svg").exists()


def test_curves_drawn_as_splines_and_arcs_are_read_along_them(tmp_path):
    """CAD systems may draw an armhole, neck or sleeve cap as a SPLINE and a rounded corner as an ARC."""
    drafted = draft("tee", "women", "L")
    doc = ezdxf.new("R2000")
    doc.header["$INSUNITS"] = 5
    for name, panel in drafted.panels.items():
        block = doc.blocks.new(name=name.upper())
        for edge in panel.edges:
            points = [tuple(p) for p in panel.edge_points(edge.name)]
            if any(curve in edge.name for curve in ("armhole", "neck", "cap")):
                block.add_spline(fit_points=points, dxfattribs={"layer": "1"})
            else:
                block.add_lwpolyline(points, dxfattribs={"layer": "1"})
        block.add_text(f"Piece Name: {name.upper()}", dxfattribs={"layer": "1"})
        doc.modelspace().add_blockref(block.name, (0, 0))
    fan = doc.blocks.new(name="FAN")  # a quarter disc of radius 10 cm: two lines and an arc
    fan.add_line((0.0, 0.0), (10.0, 0.0), dxfattribs={"layer": "1"})
    fan.add_arc((0.0, 0.0), 10.0, 0.0, 90.0, dxfattribs={"layer": "1"})
    fan.add_line((0.0, 10.0), (0.0, 0.0), dxfattribs={"layer": "1"})
    doc.modelspace().add_blockref(fan.name, (0, 0))
    path = tmp_path / "curves.dxf"
    doc.saveas(path)
    pieces = {p.panel.name: p.panel for p in read_dxf(path)}
    assert pieces["fan"].area_cm2 == pytest.approx(np.pi * 100.0 / 4.0, rel=3e-3)  # chords within 0.2 mm of the arc
    del pieces["fan"]
    for name, panel in pieces.items():
        assert panel.area_cm2 == pytest.approx(drafted.panels[name].area_cm2, rel=1e-3), name
    pattern = pattern_from_pieces([p for p in read_dxf(path) if p.panel.name != "fan"], str(path))
    assert measure(pattern) == pytest.approx(measure(drafted), abs=0.15)


def test_notches_on_astm_notch_shape_layers_are_read(tmp_path):
    drafted = draft("tee", "women", "M")
    path = tmp_path / "tee.dxf"
    write_dxf(drafted, path)
    doc = ezdxf.readfile(path)
    for block in doc.blocks:
        for entity in block:
            if entity.dxf.layer == "4":
                entity.dxf.layer = "82"  # check notches
    doc.saveas(path)
    pieces = {p.panel.name: p.panel for p in read_dxf(path)}
    assert np.abs(pieces["front"].notches - drafted.panels["front"].notches).max() < 0.01


def write_industry_dress(path: Path, names: dict[str, str], category_text: str) -> None:
    """A sleeveless dress, front and back in centimetres, away from the origin, named as `names` says."""
    drafted = draft("dress", "women", "L")
    doc = ezdxf.new("R2000")
    doc.header["$INSUNITS"] = 5
    for k, (ours, theirs) in enumerate(names.items()):
        block = doc.blocks.new(name=theirs.replace(" ", "_"))
        block.add_lwpolyline([tuple(p) for p in drafted.panels[ours].outline + [70.0 * k + 10.0, 5.0]], close=True,
                             dxfattribs={"layer": "1"})
        for row, text in enumerate((f"Piece Name: {theirs}", f"Category: {category_text}")):
            block.add_text(text, dxfattribs={"layer": "1", "height": 0.5}).set_placement((0, -row))
        doc.modelspace().add_blockref(block.name, (0, 0))
    doc.saveas(path)


@pytest.mark.parametrize("names, category_text", [({"front": "FRONT", "back": "BACK"}, "DRESS"),  # its Category
                                                  ({"front": "DRESS FRONT", "back": "DRESS BACK"}, "WOVENS"),  # names
                                                  ({"front": "FRONT", "back": "BACK"}, "")])  # its length
def test_an_imported_dress_is_told_and_sewn_as_a_tank_carried_to_its_hem(tmp_path, names, category_text):
    path = tmp_path / "dress.dxf"
    write_industry_dress(path, names, category_text)
    pattern = pattern_from_pieces(read_dxf(path), str(path))
    drafted = draft("dress", "women", "L")
    assert pattern.category == "dress" and pattern.fabric == drafted.fabric
    assert {s.name for s in pattern.seams} == {s.name for s in drafted.seams}
    imported, ours = measure(pattern), measure(drafted)
    assert set(imported) == set(ours)
    assert imported == pytest.approx(ours, abs=0.5)  # the chest is read 5 mm under the armhole, as for tops


def test_an_imported_dress_sews_as_the_drafted_one(tmp_path, example_avatar):
    from engine.tryon import try_on

    path = tmp_path / "dress.dxf"
    write_industry_dress(path, {"front": "DRESS FRONT", "back": "DRESS BACK"}, "")
    imported = try_on(example_avatar, "dress", "L", pattern=pattern_from_pieces(read_dxf(path), str(path))).fit
    drafted = try_on(example_avatar, "dress", "L", pattern=draft("dress", "women", "L")).fit
    for region in ("chest", "waist", "hip"):
        assert imported.regions[region].ease_cm == pytest.approx(drafted.regions[region].ease_cm, abs=0.5), region
        assert imported.regions[region].verdict == drafted.regions[region].verdict, region


def write_industry_jacket(path: Path, fronts: dict[str, tuple[str, int]], drill_holes: np.ndarray | None = None) -> None:
    """A jacket in centimetres: back, one sleeve cut twice, a collar, and the fronts `fronts` names (ours: theirs,
    quantity), under an OUTERWEAR category that says nothing we know; `drill_holes` (in the left front's frame)
    marked on each front (layer 13, mirrored on a right one)."""
    drafted = draft("jacket", "women", "L")
    doc = ezdxf.new("R2000")
    doc.header["$INSUNITS"] = 5
    names = {"back": ("JACKET BACK", 1), "sleeve_left": ("SLEEVE", 2), "collar": ("COLLAR", 1), **fronts}
    for k, (ours, (theirs, quantity)) in enumerate(names.items()):
        block = doc.blocks.new(name=theirs.replace(" ", "_"))
        block.add_lwpolyline([tuple(p) for p in drafted.panels[ours].outline + [80.0 * k, 3.0]], close=True,
                             dxfattribs={"layer": "1"})
        if drill_holes is not None and ours.startswith("front"):
            for hole in drill_holes * ([-1.0, 1.0] if ours == "front_right" else [1.0, 1.0]) + [80.0 * k, 3.0]:
                block.add_point(tuple(hole), dxfattribs={"layer": "13"})
        for row, text in enumerate((f"Piece Name: {theirs}", f"Quantity: {quantity}", "Category: OUTERWEAR")):
            block.add_text(text, dxfattribs={"layer": "1", "height": 0.5}).set_placement((0, -row))
        doc.modelspace().add_blockref(block.name, (0, 0))
    doc.saveas(path)


@pytest.mark.parametrize("fronts", [{"front_left": ("JACKET FRONT", 2)},  # drawn as the left front, cut twice
                                    {"front_right": ("JACKET FRONT", 2)},  # drawn as the right one
                                    {"front_left": ("FRONT LEFT", 1), "front_right": ("FRONT RIGHT", 1)}])
def test_an_imported_jacket_gets_the_drafts_fronts_seams_and_buttons(tmp_path, fronts):
    path = tmp_path / "jacket.dxf"
    write_industry_jacket(path, fronts)
    pattern = pattern_from_pieces(read_dxf(path), str(path))
    drafted = draft("jacket", "women", "L")
    assert pattern.category == "jacket" and pattern.fabric == drafted.fabric
    assert {s.name for s in pattern.seams} == {s.name for s in drafted.seams}
    buttons = np.array([(t.point_a, t.point_b) for t in pattern.tacks])
    assert buttons == pytest.approx(np.array([(t.point_a, t.point_b) for t in drafted.tacks]), abs=1e-6)
    for name in ("front_left", "front_right"):  # the neck split where the overlap's step begins, in the draft's frame
        assert [e.name for e in pattern.panels[name].edges] == [e.name for e in drafted.panels[name].edges]
        assert _same_outline(pattern.panels[name].outline, drafted.panels[name].outline, 0.01), name
        assert pattern.panels[name].edge_length("neck") == pytest.approx(drafted.panels[name].edge_length("neck"), abs=0.01)
    assert measure(pattern) == pytest.approx(measure(drafted), abs=0.2)  # the chest is read 5 mm under the armhole


@pytest.mark.parametrize("fronts", [{"front_left": ("JACKET FRONT", 2)}, {"front_right": ("JACKET FRONT", 2)},
                                    {"front_left": ("FRONT LEFT", 1), "front_right": ("FRONT RIGHT", 1)}])
def test_an_imported_jacket_is_buttoned_where_its_drill_holes_mark_the_centre_front(tmp_path, fronts):
    """Five buttons 9 cm apart marked on the centre front (the draft has four, 14 cm apart), and a pocket's
    corner marked off it: the buttons go on the marks, top to bottom, and the pocket's mark is not one."""
    buttons = np.stack([np.zeros(5), -12.0 - 9.0 * np.arange(5)], axis=1)
    path = tmp_path / "jacket.dxf"
    write_industry_jacket(path, fronts, np.vstack([buttons[::-1], [[12.0, -45.0]]]))
    pattern = pattern_from_pieces(read_dxf(path), str(path))
    assert np.array([t.point_a for t in pattern.tacks]) == pytest.approx(buttons, abs=1e-6)
    assert np.array([t.point_b for t in pattern.tacks]) == pytest.approx(buttons * [-1.0, 1.0], abs=1e-6)
    for name in ("front_left", "front_right"):  # the marks come with the fronts, in the draft's frame
        assert len(pattern.panels[name].drill_holes) == 6


def test_drill_holes_go_out_and_come_back_on_layer_13(tmp_path):
    drafted = draft("jacket", "men", "M")
    write_dxf(drafted, tmp_path / "jacket.dxf", seam_allowance_cm=1.0)
    pieces = {p.panel.name: p.panel for p in read_dxf(tmp_path / "jacket.dxf")}
    assert np.abs(pieces["front_left"].drill_holes - drafted.panels["front_left"].drill_holes).max() < 0.01
    assert len(pieces["back"].drill_holes) == 0


def test_an_imported_jacket_sews_as_the_drafted_one(tmp_path, example_avatar):
    from engine.tryon import try_on

    path = tmp_path / "jacket.dxf"
    write_industry_jacket(path, {"front_left": ("JACKET FRONT", 2)})
    imported = try_on(example_avatar, "jacket", "L", pattern=pattern_from_pieces(read_dxf(path), str(path))).fit
    drafted = try_on(example_avatar, "jacket", "L", pattern=draft("jacket", "women", "L")).fit
    for region in ("chest", "waist"):
        assert imported.regions[region].ease_cm == pytest.approx(drafted.regions[region].ease_cm, abs=0.6), region
        assert imported.regions[region].verdict == drafted.regions[region].verdict, region


def test_a_jacket_front_without_an_overlap_at_the_neck_is_refused_by_name(tmp_path):
    path = tmp_path / "jacket.dxf"
    write_industry_jacket(path, {"front_left": ("JACKET FRONT", 2)})
    doc = ezdxf.readfile(path)
    front = next(e for e in doc.blocks.get("JACKET_FRONT") if e.dxftype() == "LWPOLYLINE")
    points = np.array(front.get_points("xy"))
    step = np.flatnonzero(np.isclose(points[:, 0], 80.0 * 3 - 2.5) & (points[:, 1] > points[:, 1].min() + 1.0))
    points[step, 1] -= 3.0  # the front edge's top corner dropped: the neck now ends at a slant
    front.set_points([tuple(p) for p in points], format="xy")
    doc.saveas(path)
    with pytest.raises(PatternError, match="piece 'jacket front'.*straight step across the button overlap"):
        pattern_from_pieces(read_dxf(path), str(path))
