"""Sewing patterns drafted from the size charts: exact points of measure, monotone grading, seams that
match, SVG to look at, and AAMA DXF that goes out and comes back within 0.1 mm; bad files refused."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import ezdxf
import numpy as np
import pytest

from engine.garments.charts import load_chart
from engine.patterns import DRAFTED, PatternError, Placement, draft, measure
from engine.patterns.dxf import read_dxf, write_dxf
from engine.patterns.skirts import draft_skirt
from engine.patterns.svg import pattern_svg
from engine.patterns.tops import draft_top
from engine.patterns.trousers import draft_trousers

CHARTS = [(category, gender) for category in DRAFTED for gender in ("women", "men")
          if category not in ("skirt", "dress")] + [("skirt", "women"), ("dress", "women")]


def drafted(category="tee", gender="women", size="M"):
    return draft(category, gender, size)


@pytest.mark.parametrize("category, gender", CHARTS)
def test_every_size_measures_exactly_what_its_chart_says(category, gender):
    chart = load_chart(category, gender)
    for size in chart.sizes:
        poms = measure(draft(category, gender, size["label"]))
        assert set(poms) == set(chart.sizes[0]) - {"label", "numeric"}  # every chart field is a point of measure
        for name, value in poms.items():
            assert value == pytest.approx(size[name], abs=0.01), (size["label"], name)  # 0.1 mm


@pytest.mark.parametrize("category, gender", CHARTS)
def test_grading_is_monotone(category, gender):
    chart = load_chart(category, gender)
    patterns = [draft(category, gender, s["label"]) for s in chart.sizes]
    for smaller, larger in zip(patterns, patterns[1:]):
        small, large = measure(smaller), measure(larger)
        assert all(large[k] >= small[k] for k in small), (smaller.size, larger.size)
        for name, piece in smaller.panels.items():
            assert larger.panels[name].area_cm2 > piece.area_cm2, (name, smaller.size, larger.size)


def test_pieces_are_valid_and_seams_match():
    pattern = drafted()
    assert set(pattern.panels) == {"front", "back", "sleeve_left", "sleeve_right", "neckband"}
    assert pattern.panels["front"].placement is Placement.FRONT_TORSO and "Aldrich" in pattern.method
    for seam in pattern.seams:
        a, b = pattern.side_length(seam.a), pattern.side_length(seam.b)
        if seam.name == "neckband":  # a knit band is cut 10 % short and stretched on
            assert a == pytest.approx(0.9 * b, rel=1e-6)
        else:
            assert a == pytest.approx(b, abs=0.01), seam.name
    cap = [s for s in pattern.seams if s.name == "sleeve_left"][0]
    assert len(cap.a) == 1 and len(cap.b) == 2  # one edge (the cap) to two (front and back armhole)
    shirt = drafted("longsleeve")
    shirt_cap = [s for s in shirt.seams if s.name == "sleeve_left"][0]
    assert shirt.side_length(shirt_cap.a) == pytest.approx(1.04 * shirt.side_length(shirt_cap.b))  # woven cap ease


def test_a_chart_that_cannot_be_drafted_is_refused_by_name():
    chart = load_chart("tee", "women").size("M")
    with pytest.raises(PatternError, match="neck opening"):
        draft_top("tee", "women", "M", {**chart, "neck_opening": 500.0})
    with pytest.raises(PatternError, match="sleeve_length"):
        draft_top("tee", "women", "M", {**chart, "sleeve_length": float("nan")})
    with pytest.raises(PatternError, match="not written yet"):
        draft_top("dress", "women", "M", chart)
    trousers = load_chart("trousers", "women").size("M")
    with pytest.raises(PatternError, match="leaves no crotch"):
        draft_trousers("women", "M", {**trousers, "thigh": 40.0})
    skirt = load_chart("skirt", "women").size("M")
    with pytest.raises(PatternError, match="waist < hip"):
        draft_skirt("women", "M", {**skirt, "waist": 120.0})


def test_skirt_darts_close_and_the_waistband_fits_the_waist_seam():
    pattern = drafted("skirt")
    for seam in pattern.seams:
        a, b = pattern.side_length(seam.a), pattern.side_length(seam.b)
        if "dart" in seam.name:  # a dart's legs are sewn together: equal lengths
            assert a == pytest.approx(b, abs=1e-9), seam.name
        else:
            assert a == pytest.approx(b, rel=0.01), seam.name  # side seams ease 0.4 cm of curve; the band fits
    band = [s for s in pattern.seams if s.name == "waistband"][0]
    assert len(band.b) == 6 and pattern.side_length(band.a) == pytest.approx(76.0)  # the chart's waist


def test_svg_shows_every_piece_at_real_scale():
    pattern = drafted()
    root = ElementTree.fromstring(pattern_svg(pattern))
    groups = {g.get("id") for g in root.iter("{http://www.w3.org/2000/svg}g")}
    assert groups == set(pattern.panels)
    width_mm = float(root.get("viewBox").split()[2])  # with a margin each side
    assert width_mm > 10 * sum(np.ptp(p.outline[:, 0]) for p in pattern.panels.values())  # mm, pieces side by side
    jacket = ElementTree.fromstring(pattern_svg(drafted("jacket")))  # its buttons marked on both fronts
    assert len([c for c in jacket.iter("{http://www.w3.org/2000/svg}circle") if c.get("class") == "drill"]) == 8


@pytest.mark.parametrize("category, gender, size", [("tee", "men", "L"), ("skirt", "women", "S"),
                                                    ("trousers", "women", "XL")])
def test_dxf_out_and_back_in_gives_the_same_pieces_within_a_tenth_of_a_millimetre(tmp_path, category, gender, size):
    pattern = drafted(category, gender, size)
    write_dxf(pattern, tmp_path / "pattern.dxf")
    pieces = {p.panel.name: p for p in read_dxf(tmp_path / "pattern.dxf")}
    assert set(pieces) == set(pattern.panels)
    for name, original in pattern.panels.items():
        piece = pieces[name]
        assert piece.size == size and piece.category == category and piece.panel.quantity == original.quantity
        assert np.abs(piece.panel.outline - original.outline).max() < 0.01
        assert np.abs(piece.panel.grain - original.grain).max() < 0.01
        assert np.abs(piece.panel.notches - original.notches).max(initial=0.0) < 0.01
    if category == "tee":
        assert pieces["sleeve_right"].panel.placement is Placement.RIGHT_ARM


def _square_piece(block, size: str, side: float, name: str = "FRONT") -> None:
    block.add_text(f"Piece Name: {name}")
    block.add_text(f"Size: {size}")
    block.add_text("Quantity: 2")


def test_inches_boundaries_split_over_entities_and_nested_sizes(tmp_path):
    doc = ezdxf.new()
    doc.header["$INSUNITS"] = 1  # inches
    for size, side in (("8", 10.0), ("10", 11.0)):
        block = doc.blocks.new(f"FRONT_{size}")
        corners = [(0, 0), (side, 0), (side, side), (0, side)]
        block.add_lwpolyline(corners[:3], dxfattribs={"layer": "1"})  # two of the sides
        block.add_line(corners[0], corners[3], dxfattribs={"layer": "1"})  # drawn backwards
        block.add_line(corners[3], corners[2], dxfattribs={"layer": "1"})
        block.add_line((side / 2, 1), (side / 2, side - 1), dxfattribs={"layer": "7"})
        _square_piece(block, size, side)
        doc.modelspace().add_blockref(block.name, (0, 0))
    doc.saveas(tmp_path / "nest.dxf")
    with pytest.raises(PatternError, match=r"nests sizes \['10', '8'\]"):
        read_dxf(tmp_path / "nest.dxf")
    with pytest.raises(PatternError, match=r"no size '12'; its sizes: \['10', '8'\]"):
        read_dxf(tmp_path / "nest.dxf", size="12")
    (piece,) = read_dxf(tmp_path / "nest.dxf", size="10")
    assert piece.panel.area_cm2 == pytest.approx((11 * 2.54) ** 2) and piece.panel.quantity == 2
    assert np.allclose(piece.panel.grain, [[5.5 * 2.54, 2.54], [5.5 * 2.54, 10 * 2.54]])


@pytest.mark.parametrize("problem, words", [
    ("not dxf", "not a readable DXF"), ("empty", "not a readable DXF"), ("no units", "unknown units"),
    ("open", "boundary is open"), ("crossing", "crosses itself"), ("no pieces", "no pattern pieces"),
])
def test_bad_dxf_files_are_refused_naming_the_file_and_problem(tmp_path, problem, words):
    path = tmp_path / f"{problem.replace(' ', '_')}.dxf"
    if problem == "not dxf":
        path.write_bytes(b"\x89PNG\r\n\x1a\n not a drawing")
    elif problem == "empty":
        path.write_bytes(b"")
    else:
        doc = ezdxf.new()
        doc.header["$INSUNITS"] = 0 if problem == "no units" else 4
        block = doc.blocks.new("PIECE")
        outline = {"open": [(0, 0), (100, 0), (100, 100), (0, 100)],
                   "crossing": [(0, 0), (100, 100), (100, 0), (0, 100)]}.get(problem, [(0, 0), (100, 0), (100, 100)])
        if problem != "no pieces":
            block.add_lwpolyline(outline, close=problem != "open", dxfattribs={"layer": "1"})
        _square_piece(block, "M", 100)
        doc.modelspace().add_blockref("PIECE", (0, 0))
        doc.saveas(path)
    with pytest.raises(PatternError, match=words) as refused:
        read_dxf(path)
    assert str(path) in str(refused.value)


def test_pieces_mesh_into_even_triangles_with_matching_vertices_along_every_seam():
    from engine.patterns.mesh import EDGE_CM, mesh_pattern

    for pattern in (drafted("tee", "men", "XL"), drafted("skirt", "women", "XS"), drafted("trousers", "men", "M")):
        _check_meshes(pattern, mesh_pattern(pattern), EDGE_CM)


def _check_meshes(pattern, meshes, edge_cm):
    for name, mesh in meshes.items():
        v, f = mesh.vertices, mesh.faces
        a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
        cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
        assert (cross > 0).all(), name  # counter-clockwise, none flat
        assert 0.5 * cross.sum() == pytest.approx(pattern.panels[name].area_cm2, rel=0.005), name  # no holes, no spill
        sides = np.concatenate([np.linalg.norm(v[f[:, i]] - v[f[:, (i + 1) % 3]], axis=1) for i in range(3)])
        assert np.median(sides) == pytest.approx(edge_cm, rel=0.1), name
        cosines = [np.einsum("ij,ij->i", q - p, r - p) / np.linalg.norm(q - p, axis=1) / np.linalg.norm(r - p, axis=1)
                   for p, q, r in ((a, b, c), (b, c, a), (c, a, b))]
        assert np.degrees(np.arccos(np.clip(np.concatenate(cosines), -1, 1))).min() > 20.0, name
        mesh_edges = {tuple(sorted(e)) for e in np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]).tolist()}
        for edge, run in mesh.edge_vertices.items():  # the outline is kept: its segments are triangle sides
            assert all(tuple(sorted(pair)) in mesh_edges for pair in zip(run[:-1].tolist(), run[1:].tolist())), edge
    for seam in pattern.seams:
        counts = [sum(len(meshes[s.panel].edge_vertices[s.edge]) - 1 for s in side) for side in (seam.a, seam.b)]
        assert counts[0] == counts[1], seam.name


def test_trouser_legs_mirror_and_their_seams_match():
    pattern = drafted("trousers", "men", "L")
    left, right = pattern.panels["front_left"], pattern.panels["front_right"]
    assert left.area_cm2 == pytest.approx(right.area_cm2) and left.outline[:, 0].max() == pytest.approx(
        -right.outline[:, 0].min())
    for seam in pattern.seams:
        a, b = pattern.side_length(seam.a), pattern.side_length(seam.b)
        assert a == pytest.approx(b, rel=0.01), seam.name  # legs mirror; front and back inseams are the chart's
    assert pattern.panels["back_right"].edge_length("crotch") > pattern.panels["front_right"].edge_length("crotch")


def test_a_jacket_has_two_fronts_that_overlap_for_buttons_and_a_stand_collar():
    pattern = drafted("jacket", "men", "M")
    left, right = pattern.panels["front_left"], pattern.panels["front_right"]
    assert left.outline[:, 0].min() == pytest.approx(-2.5) and right.outline[:, 0].max() == pytest.approx(2.5)
    assert left.area_cm2 == pytest.approx(right.area_cm2) and len(left.notches) == 1  # the underarm
    # four buttons marked down the centre front by drill holes, their holes at the mirror image in the right front
    assert len(left.drill_holes) == 4 and np.all(left.drill_holes[:, 0] == 0.0)
    assert np.array_equal(right.drill_holes, left.drill_holes * [-1.0, 1.0])
    assert [t.point_a for t in pattern.tacks] == [tuple(p) for p in left.drill_holes]
    collar = [s for s in pattern.seams if s.name == "collar"][0]
    assert len(collar.b) == 3 and pattern.side_length(collar.a) == pytest.approx(measure(pattern)["neck_opening"])
    cap = [s for s in pattern.seams if s.name == "sleeve_left"][0]
    assert pattern.side_length(cap.a) == pytest.approx(1.05 * pattern.side_length(cap.b))  # suiting: 5 % cap ease


BODY = {"stature": 168.0, "chest": 92.0, "waist": 76.0, "hip": 100.0, "inseam": 77.0, "neck_base": 38.0,
        "shoulder_breadth": 38.0, "thigh": 58.0, "arm_length": 58.0}


@pytest.mark.parametrize("category", DRAFTED)
def test_made_to_measure_girths_are_the_body_plus_the_design_ease_and_looser_reads_looser(category):
    from engine.patterns.made_to_measure import (
        FITTED,
        design_ease,
        draft_made_to_measure,
    )

    previous = None
    for preference in ("snug", "regular", "loose"):
        poms = measure(draft_made_to_measure(category, "women", BODY, preference))
        for girth in FITTED[category]:
            assert poms[girth] == pytest.approx(BODY[girth] + design_ease(category, girth, preference), abs=0.01)
        if previous is not None:
            assert poms[FITTED[category][0]] > previous[FITTED[category][0]]  # the leading girth grows with the ease
        previous = poms
    with pytest.raises(PatternError, match="needs the body's"):
        draft_made_to_measure(category, "women", {"stature": 170.0})


def test_pattern_cli_drafts_a_size_or_a_body(tmp_path):
    import json
    import subprocess

    from conftest import FITROOM

    done = subprocess.run([str(FITROOM), "pattern", "--garment", "jacket", "--size", "L", "--gender", "men",
                           "--out", str(tmp_path / "jacket.dxf")], capture_output=True, text=True)
    assert done.returncode == 0 and "chest 116.0" in done.stdout and (tmp_path / "jacket.dxf").exists()
    (tmp_path / "body.json").write_text(json.dumps({"stature": 180, "chest": 104, "sex": "male"}))
    done = subprocess.run([str(FITROOM), "pattern", "--garment", "tee", "--measurements", str(tmp_path / "body.json"),
                           "--out", str(tmp_path / "tee.svg")], capture_output=True, text=True)
    assert done.returncode == 0 and "tee (men) MTM" in done.stdout and "chest 109.0" in done.stdout
    assert "filled from the population" in done.stderr
    for bad, words in ((["--size", "Q"], "no size 'Q'"), ([], "either --size"), (["--size", "M", "--out", "x.png"], "svg")):
        args = ["pattern", "--garment", "tee", *bad] + ([] if "--out" in bad else ["--out", str(tmp_path / "t.svg")])
        done = subprocess.run([str(FITROOM), *args], capture_output=True, text=True)
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def sewn(example_avatar):
    from engine.patterns.sew import sew

    return {category: sew(drafted(category, "women", "L"), example_avatar) for category in SEWN}


SEWN = ("tee", "longsleeve", "jacket", "dress", "skirt", "trousers")


@pytest.mark.parametrize("category", SEWN)
def test_sewn_panels_close_their_seams_and_rest_on_the_body_not_in_it(sewn, example_avatar, category):
    import trimesh

    garment = sewn[category]
    # every seam shut before its sides were merged, the trousers' fly too (where three seams meet; measured 0.25 mm)
    assert garment.closing_gap_mm.max() < 2.0
    inside_m = trimesh.proximity.signed_distance(example_avatar.mesh, garment.positions)  # not the solver's own test
    assert (inside_m > 0.002).sum() == 0
    strain = garment.edge_strain()
    assert abs(np.median(strain)) < 0.01 and np.percentile(np.abs(strain), 95) < 0.1  # the cloth keeps its flat size
    # nowhere pulled out of shape (a seam sewn to the wrong place would be), full-length trousers' hem included: it
    # rests on the foot and the floor (it was caught over the foot, 218 % long, hanging 7 cm below the soles)
    assert strain.max() < 0.25
    assert garment.positions[:, 1].min() > example_avatar.vertices[:, 1].min()
    from engine.garments.build import body_landmarks

    lm = body_landmarks(example_avatar)  # it hangs from the shoulders, or from the waist: it did not fall
    carried_at = lm.navel if category in ("skirt", "trousers") else lm.acromion_left[1]
    assert garment.positions[:, 1].max() > carried_at - 0.02
    assert len(np.unique(garment.panel)) == len(garment.pattern.panels)


@pytest.mark.parametrize("category", SEWN)
def test_the_cloth_does_not_pass_through_itself(sewn, category):
    """Front and back layers (a skirt's and a dress's flared sides, a trouser leg's) and a jacket's two fronts stay
    apart, by an independent test: no edge of the draped mesh passes through one of its triangles. Measured before
    they were held apart: skirt 92 edges, dress 139, jacket 136, trousers 7, tee and long sleeve 0; now 0 but for
    the jacket's 26, all within 8 cm of a button, the long sleeve's 5 in the fold inside the elbow and the
    trousers' 2 in a fold at the shin."""
    import trimesh

    from engine.cloth_contact import piercing_edges

    garment = sewn[category]
    mesh = trimesh.Trimesh(garment.positions, garment.drape.garment.faces, process=False)
    crossing = mesh.vertices[mesh.edges_unique[piercing_edges(mesh)]].mean(axis=1)
    if category == "trousers":
        assert len(crossing) <= 10 and (crossing[:, 1] < 0.3).all()  # below the knee: the hem's stacked folds
    elif category == "longsleeve":
        assert len(crossing) <= 10 and (np.abs(crossing[:, 0]) > 0.3).all()  # out on the forearms
    elif category == "jacket":
        buttons = garment.positions[garment.weld[garment.button_pairs[:, 0]]]
        assert len(crossing) < 40
        assert np.linalg.norm(crossing[:, None] - buttons[None], axis=2).min(axis=1).max() < 0.08
    else:
        assert len(crossing) == 0


def test_loose_trouser_legs_start_and_stay_on_their_own_sides(body_model):
    """A man's XL trousers on a 102 cm hip: each leg is wider than the room between the legs. They had started
    crossed at the middle and ended 93 edges through each other at the crotch; now 8: 4 at the waistband's ends,
    4 in the hem's folds at the shins."""
    import trimesh

    from avatars import Avatar
    from engine.cloth_contact import piercing_edges
    from engine.garments.build import body_landmarks
    from engine.patterns.sew import sew

    man = Avatar.from_measurements({"stature": 180.0, "chest": 104.0, "waist": 90.0, "hip": 102.0, "sex": "male"},
                                   model=body_model)
    trousers = sew(drafted("trousers", "men", "XL"), man)
    mesh = trimesh.Trimesh(trousers.positions, trousers.drape.garment.faces, process=False)
    crossing = mesh.vertices[mesh.edges_unique[piercing_edges(mesh)]].mean(axis=1)
    assert len(crossing) <= 12
    assert (np.abs(crossing[:, 1] - body_landmarks(man).crotch) > 0.15).all()  # none between the legs


def test_sewing_is_deterministic(sewn, example_avatar):
    from engine.patterns.sew import sew

    again = sew(drafted("tee", "women", "L"), example_avatar)
    assert np.array_equal(again.positions, sewn["tee"].positions)


def test_a_jacket_is_buttoned_down_its_centre_front(sewn):
    """Between the top and bottom buttons, the two fronts' centre lines lie together on the body, not a gap apart."""
    from scipy.spatial import cKDTree

    jacket = sewn["jacket"]
    buttons_y = [tack.point_a[1] for tack in jacket.pattern.tacks]
    assert len(buttons_y) == 4
    lines = []
    for piece in ("front_left", "front_right"):
        on_line = ((jacket.panel == piece) & (np.abs(jacket.flat_cm[:, 0]) < 0.8)
                   & (jacket.flat_cm[:, 1] < max(buttons_y)) & (jacket.flat_cm[:, 1] > min(buttons_y)))
        lines.append(jacket.positions[jacket.weld[on_line]])
    apart_m, _ = cKDTree(lines[1]).query(lines[0])
    assert np.percentile(apart_m, 90) < 0.03  # buttoned: 1.6 cm; without the buttons: 11.6 cm


def test_the_cli_sews_a_pattern_on_a_body_and_renders_it(tmp_path):
    import subprocess
    from pathlib import Path

    import cv2
    from conftest import FITROOM

    body = Path(__file__).resolve().parents[1] / "examples" / "body.json"

    picture = tmp_path / "sewn.png"
    done = subprocess.run([str(FITROOM), "pattern", "--garment", "skirt", "--size", "M", "--out", str(tmp_path / "s.svg"),
                           "--sew-on", str(body), "--render", str(picture)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    gap_mm = float(done.stdout.split("seams within ")[1].split(" mm")[0])
    assert gap_mm < 2.0 and picture.is_file()
    image = cv2.imread(str(picture))
    assert image.std() > 10  # a body and a skirt, not a blank frame
