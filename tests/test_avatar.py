"""Avatars hit their measurements, say what was filled, export to GLB/OBJ in the glTF frame, and pose."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from avatars import Avatar, AvatarError, measure
from avatars.export import load_glb_node
from avatars.measurements import MEASUREMENT_KEYS

from conftest import EXAMPLE_BODY


def test_example_body_is_within_5_mm(example_avatar):
    report = example_avatar.report()
    assert set(report) >= {"requested", "measured", "error_mm", "seconds"}
    assert report["filled_from_population"] == []
    for key in MEASUREMENT_KEYS:
        assert abs(report["error_mm"][key]) <= 5.0, (key, report["error_mm"][key])
        assert report["requested"][key] == pytest.approx(EXAMPLE_BODY[key])


def test_report_is_read_off_the_mesh(example_avatar):
    assert measure(example_avatar.mesh) == example_avatar.measured
    assert example_avatar.mesh.is_watertight


def test_missing_measurements_are_filled_and_named(body_model):
    avatar = Avatar.from_measurements({"stature": 181.0, "waist": 90.0, "sex": "male"}, model=body_model)
    report = avatar.report()
    assert set(report["filled_from_population"]) == set(MEASUREMENT_KEYS) - {"stature", "waist"}
    assert abs(report["error_mm"]["stature"]) <= 5.0 and abs(report["error_mm"]["waist"]) <= 5.0


def test_glb_has_the_body_upright_facing_plus_z(example_avatar, tmp_path):
    path = example_avatar.export(tmp_path / "avatar.glb")
    body = load_glb_node(path, "body")
    assert body.bounds[0, 1] == pytest.approx(0.0, abs=1e-4)  # feet on the floor
    assert body.extents[1] * 100 == pytest.approx(EXAMPLE_BODY["stature"], abs=0.5)
    head = body.vertices[body.vertices[:, 1] > 0.9 * body.extents[1]]
    nose = head[np.argmax(head[:, 2])]
    assert nose[2] - head[:, 2].mean() > 0.05  # the face is on the +Z side
    assert abs(nose[0] - head[:, 0].mean()) < 0.02
    torso = body.vertices[np.abs(body.vertices[:, 1] - 0.55 * body.extents[1]) < 0.02]
    assert np.ptp(torso[:, 0]) > np.ptp(torso[:, 2])  # shoulders-hips wider than deep: x is lateral


def test_obj_round_trip(example_avatar, tmp_path):
    path = example_avatar.export(tmp_path / "avatar.obj")
    mesh = trimesh.load(path, process=False)
    assert len(mesh.vertices) == len(example_avatar.vertices)
    assert np.allclose(mesh.vertices, example_avatar.vertices, atol=1e-5)


def test_export_refuses_unknown_formats(example_avatar, tmp_path):
    with pytest.raises(ValueError, match=".glb or .obj"):
        example_avatar.export(tmp_path / "avatar.fbx")


def test_t_pose_lifts_the_arms(example_avatar, body_model):
    a_pose = example_avatar.posed(model=body_model)
    t_pose = example_avatar.posed(preset="T", model=body_model)
    left_hand = lambda mesh: mesh.vertices[np.argmax(mesh.vertices[:, 0])]
    assert left_hand(t_pose)[1] - left_hand(a_pose)[1] > 0.25
    assert t_pose.extents[0] > a_pose.extents[0] + 0.2
    assert np.allclose(a_pose.vertices, example_avatar.vertices, atol=1e-6)


def test_joint_rotation_by_bone_name(example_avatar, body_model):
    bent = example_avatar.posed({"lowerarm01.L": (0.0, 0.0, 60.0)}, model=body_model)
    moved = np.linalg.norm(bent.vertices - example_avatar.vertices, axis=1)
    assert moved.max() > 0.1  # the forearm and hand swing
    right_side = example_avatar.vertices[:, 0] < -0.1
    assert moved[right_side].max() < 1e-6  # the other arm does not


def test_bad_pose_input(example_avatar, body_model):
    with pytest.raises(AvatarError, match="unknown bone"):
        example_avatar.posed({"tail": (0, 0, 10)}, model=body_model)
    with pytest.raises(AvatarError, match="preset"):
        example_avatar.posed(preset="Y", model=body_model)
    with pytest.raises(AvatarError, match="3 angles"):
        example_avatar.posed({"lowerarm01.L": (0.0, np.nan, 1.0)}, model=body_model)
