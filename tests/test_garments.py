"""Size charts as data, garments built from them on the avatar, and designer garment files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from avatars.tape import girth_at_height
from engine.garments import CATEGORIES, GarmentError, load_chart
from engine.garments.build import build_garment
from engine.garments.importer import garment_from_file

GIRTHS = {"top": "chest", "dress": "chest", "trousers": "hip", "skirt": "hip"}


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_charts_grade_from_xs_to_xxl(category):
    for gender in ("women", "men"):
        chart = load_chart(category, gender)
        assert chart.labels == ["XS", "S", "M", "L", "XL", "XXL"]
        girth = GIRTHS[CATEGORIES[category][1]]
        values = [s[girth] for s in chart.sizes]
        assert values == sorted(values) and values[0] < values[-1]
        assert chart.size(chart.sizes[2]["numeric"])["label"] == "M"


def test_unknown_garment_or_size():
    with pytest.raises(GarmentError, match="unknown garment"):
        load_chart("toga")
    with pytest.raises(GarmentError, match="no size 'XXXL'"):
        load_chart("tee").size("XXXL")


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_built_garments_have_panels_and_clean_triangles(example_avatar, body_model, category):
    garment = build_garment(example_avatar, category, "M", model=body_model)
    mesh = garment.mesh(garment.rest)
    assert 3000 <= len(garment.rest) <= 15000
    assert np.isfinite(garment.rest).all() and np.isfinite(garment.start).all()
    assert len(mesh.faces) == len(mesh.nondegenerate_faces().nonzero()[0])
    panels = set(garment.regions)
    expected = {"top": {"torso", "sleeve_left", "sleeve_right"}, "dress": {"torso", "skirt"},
                "trousers": {"torso", "leg_left", "leg_right"}, "skirt": {"torso", "skirt"}}
    assert panels == expected[CATEGORIES[category][1]]


def test_tee_is_sewn_to_the_chart(example_avatar, body_model):
    """The rest shape's girth at the bust is the chart's chest, for a small and a large size."""
    from engine.garments.build import body_landmarks

    level = body_landmarks(example_avatar).bust
    for label in ("S", "XL"):
        garment = build_garment(example_avatar, "tee", label, model=body_model)
        sewn_cm = 100 * girth_at_height(garment.mesh(garment.rest), level)
        assert sewn_cm == pytest.approx(garment.measurements["chest"], abs=3.0), label


def _write_garment(path, mesh, meta):
    mesh.export(path)
    path.with_suffix(".json").write_text(json.dumps(meta))
    return path


def test_designer_garment_round_trip(example_avatar, body_model, tmp_path):
    from engine.tryon import try_on

    ours = build_garment(example_avatar, "tee", "L", model=body_model)
    path = _write_garment(tmp_path / "my_tee.obj", ours.mesh(ours.rest), {"category": "tee", "size": "L"})
    theirs = garment_from_file(example_avatar, path, model=body_model)
    assert theirs.category == "tee" and theirs.fabric.name == "jersey"
    assert len(theirs.rest) == len(ours.rest)
    result = try_on(example_avatar, "tee", "L", garment=theirs)
    assert result.fit.penetration_mm_max <= 2.0
    assert {"chest", "waist"} <= set(result.fit.regions)


def _nonmanifold() -> trimesh.Trimesh:
    vertices = np.array([[0, 0, 0], [0.3, 0, 0], [0, 0.3, 0], [0, 0, 0.3], [0, -0.3, 0.1]], dtype=float)
    return trimesh.Trimesh(vertices, [[0, 1, 2], [0, 1, 3], [0, 1, 4]], process=False)


@pytest.mark.parametrize("case, words", [
    ("nan", "NaN"), ("millimetres", "mm or cm"), ("category", "category"), ("sidecar", "sidecar"),
    ("nonmanifold", "non-manifold"), ("suffix", "use one of"), ("fabric", "unknown fabric"),
])
def test_bad_garment_files_are_refused_by_name(example_avatar, body_model, tmp_path, case, words):
    mesh = trimesh.creation.cylinder(radius=0.15, height=0.6)
    meta = {"category": "tee", "size": "M"}
    path = tmp_path / "bad.obj"
    if case == "nan":
        mesh.vertices[3] = [np.nan, 0, 0]
    elif case == "millimetres":
        mesh.apply_scale(1000.0)
    elif case == "category":
        meta["category"] = "cape"
    elif case == "nonmanifold":
        mesh = _nonmanifold()
    elif case == "suffix":
        path = tmp_path / "bad.stl"
    elif case == "fabric":
        meta["fabric"] = "unobtainium"
    if case == "nan":  # trimesh will not write NaN: write the OBJ by hand
        lines = [f"v {x} {y} {z}" for x, y, z in mesh.vertices] + [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in mesh.faces]
        path.write_text("\n".join(lines))
        path.with_suffix(".json").write_text(json.dumps(meta))
    else:
        _write_garment(path, mesh, meta)
    if case == "sidecar":
        path.with_suffix(".json").unlink()
    with pytest.raises(GarmentError, match=words):
        garment_from_file(example_avatar, path, model=body_model)
