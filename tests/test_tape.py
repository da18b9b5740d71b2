"""The tape reads measurements off any body mesh, not off the parameters that built it."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from avatars import MeshError, measure, measure_body
from avatars.measurements import MEASUREMENT_KEYS
from avatars.tape import anny_landmarks


def test_probes_reproduce_the_values(example_avatar):
    import torch

    measured = measure_body(example_avatar.mesh)
    vertices = torch.as_tensor(example_avatar.vertices)[None]
    for key in MEASUREMENT_KEYS:
        value = float(measured.probes[key].evaluate(vertices)[0]) * 100.0
        assert value == pytest.approx(measured.values[key], abs=0.01), key


def test_translation_changes_nothing(example_avatar):
    mesh = example_avatar.mesh
    moved = mesh.copy()
    moved.apply_translation([0.7, -0.2, 1.3])
    assert measure(moved) == pytest.approx(measure(mesh), abs=0.02)


def test_scaling_scales_every_measurement(example_avatar):
    mesh = example_avatar.mesh
    small = mesh.copy()
    small.apply_scale(0.9)
    base, scaled = measure(mesh), measure(small)
    for key in MEASUREMENT_KEYS:
        assert scaled[key] == pytest.approx(0.9 * base[key], rel=0.01), key


def test_foreign_topology_is_measured_from_geometry(example_avatar):
    """A remeshed body has no Anny landmarks; geometric landmarks must agree with the material ones."""
    mesh = example_avatar.mesh
    vertices, faces = trimesh.remesh.subdivide(mesh.vertices, mesh.faces)
    other = trimesh.Trimesh(vertices, faces, process=False)
    assert len(other.vertices) != len(mesh.vertices)
    anny, geometric = measure(mesh), measure(other)
    tolerance_cm = {"stature": 0.2, "chest": 3.0, "waist": 3.0, "hip": 2.0, "inseam": 2.0,
                    "neck_base": 4.0, "shoulder_breadth": 2.5, "thigh": 3.0, "arm_length": 3.0,
                    "cervicale_height": 2.5, "shoulder_height": 2.0, "axilla_height": 2.0, "chest_height": 2.0,
                    "hip_height": 1.0, "knee_height": 2.0, "bust_point_breadth": 4.0, "upper_arm": 3.0,
                    "wrist": 2.0, "calf": 2.0, "head": 1.5}
    # not compared: the waist height and the lengths down to it, since the geometric navel (the
    # deepest dip of the front midline) is found 5-10 cm off on Anny bodies
    for key, tolerance in tolerance_cm.items():
        assert geometric[key] == pytest.approx(anny[key], abs=tolerance), key


def test_bad_meshes_raise_mesh_error(example_avatar):
    mesh = example_avatar.mesh
    broken = mesh.copy()
    broken.vertices[10] = [np.nan, 0.0, 0.0]
    with pytest.raises(MeshError, match="NaN"):
        measure(broken)
    millimetres = mesh.copy()
    millimetres.apply_scale(1000.0)
    with pytest.raises(MeshError, match="tall"):
        measure(millimetres)
    with pytest.raises(MeshError, match="vertices"):
        measure(trimesh.creation.box())


def test_heights_and_lengths_follow_their_definitions(example_avatar):
    """Each new measurement is what its ISO 8559-1 definition says, on a known (Anny) body."""
    mesh = example_avatar.mesh
    v = np.asarray(mesh.vertices)
    floor = v[:, 1].min()
    marks = anny_landmarks()
    measured = measure_body(mesh)
    values = measured.values

    def height_cm(point):
        return 100.0 * (point[1] - floor)

    assert values["cervicale_height"] == pytest.approx(height_cm(v[marks["cervicale"]]), abs=0.01)
    acromia = 0.5 * (v[marks["acromion_left"]] + v[marks["acromion_right"]])
    assert values["shoulder_height"] == pytest.approx(height_cm(acromia), abs=0.01)
    assert values["chest_height"] == pytest.approx(height_cm(v[marks["nipple_left"]]), abs=0.01)
    assert values["waist_height"] == pytest.approx(height_cm(v[marks["omphalion"]]), abs=0.01)
    assert values["hip_height"] == pytest.approx(height_cm(measured.landmarks["buttock"]), abs=0.01)
    heights = [values[k] for k in ("knee_height", "hip_height", "waist_height", "chest_height",
                                   "axilla_height", "shoulder_height", "cervicale_height", "stature")]
    assert heights == sorted(heights)

    # the armpit: 2 cm below it the left arm is a loop of its own; 2 cm above it, it is not
    def left_arm_apart(y):
        sections = trimesh.intersections.mesh_plane(mesh, [0, 1, 0], [0, y, 0])
        cut = trimesh.load_path(sections)
        return len(cut.discrete) >= 3  # trunk and both arms
    armpit = floor + values["axilla_height"] / 100.0
    assert left_arm_apart(armpit - 0.02) and not left_arm_apart(armpit + 0.02)

    # a tape down the back bridges the lumbar hollow: longer than the chord, not by much
    back_chord = 100.0 * (v[marks["cervicale"], 1] - v[marks["omphalion"], 1])
    assert back_chord < values["back_waist_length"] < 1.15 * back_chord
    assert values["front_waist_length"] < values["back_waist_length"]
    nipples = v[[marks["nipple_left"], marks["nipple_right"]]]
    assert values["bust_point_breadth"] == pytest.approx(100.0 * abs(nipples[0, 0] - nipples[1, 0]), abs=0.01)
    assert values["wrist"] < values["upper_arm"] < values["calf"] < values["thigh"]
    assert 50.0 < values["head"] < 62.0  # an adult woman's head girth
