"""Avatars from photos: pose by IK, measurements from silhouettes, overlay, video, model files, bad input.

Ground truth comes from synthetic photos (`engine.render.studio`) of the example avatar in known poses.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from conftest import PHOTO_POSE as POSE
from conftest import photo_of

from avatars.errors import MeasurementError
from avatars.from_photo import avatar_from_photo
from avatars.photo import (
    LEFT_SHOULDER,
    MODEL_FILES,
    NOSE,
    RIGHT_SHOULDER,
    PhotoError,
    find_body,
)
from avatars.photo_pose import (
    NAMES,
    POSED_BONES,
    KeypointRig,
    limb_angle_errors,
    solve_pose,
)
from avatars.video import one_euro, poses_from_video, read_video, write_video


def rotvecs_of(rotations: dict) -> np.ndarray:
    out = np.zeros((len(POSED_BONES), 3))
    for bone, angles in rotations.items():
        out[POSED_BONES.index(bone)] = np.radians(angles)
    return out


@pytest.fixture(scope="module")
def rig(example_avatar, body_model):
    return KeypointRig(body_model, example_avatar.parameters)


@pytest.fixture(scope="module")
def front_photo(example_avatar):
    return photo_of(example_avatar, POSE)


@pytest.fixture(scope="module")
def from_photo(front_photo, example_avatar, body_model):
    return avatar_from_photo(front_photo, example_avatar.measured["stature"], sex=example_avatar.inputs.get("sex"),
                             model=body_model)


def test_keypoints_are_skinned_like_the_mesh(rig, example_avatar, body_model):
    from anny.keypoints import KeypointsRegressor

    regression = KeypointsRegressor.coco(body_model.anny, labels=list(NAMES)).regression_weights.numpy()
    mesh = example_avatar.posed(POSE, model=body_model)
    keypoints = rig.keypoints(torch.as_tensor(rotvecs_of(POSE))).detach().numpy()
    from_mesh = regression @ mesh.vertices
    assert np.abs(from_mesh - keypoints).max() < 0.05  # `posed` puts the lowest foot back on the floor
    assert np.abs((from_mesh - from_mesh[0]) - (keypoints - keypoints[0])).max() < 1e-4  # metres


def test_pose_of_a_known_body_reprojects_and_matches_the_joint_angles(rig, front_photo, example_avatar):
    body = find_body(front_photo)
    pose = solve_pose(rig, body, example_avatar.measured["stature"] / 100)
    assert pose.reprojection_error < 0.03  # the goal: 3 % of the body's height
    errors = limb_angle_errors(rig, pose.rotvecs, rotvecs_of(POSE))
    assert errors.mean() < 12.0 and errors.max() < 25.0, errors
    # the solved pose, put on the mesh, shows the body where the photo has it
    assert example_avatar.posed(pose.rotations).vertices[:, 1].max() > 1.0


def test_photo_gives_the_measurements_and_says_how_sure(from_photo, example_avatar):
    report = from_photo.report()
    measured = from_photo.avatar.measured
    assert measured["stature"] == pytest.approx(example_avatar.measured["stature"], abs=1.0)
    for key in ("chest", "waist", "hip"):
        sigma = report["photo"]["from_photo"][key]["plus_minus_cm"]
        assert 0.3 < sigma < 6.0
        assert abs(measured[key] - example_avatar.measured[key]) < max(3 * sigma, 4.0), key
    assert set(report["photo"]["from_photo"]).isdisjoint(report["filled_from_population"])
    assert "neck_base" in report["filled_from_population"]
    assert report["photo"]["landmarks_seen"] == 17
    assert report["photo"]["reprojection_error_pct_of_height"] < 3.0


def test_overlay_outlines_the_fitted_avatar_over_the_photo(from_photo, front_photo):
    overlay = from_photo.overlay(front_photo)
    outline = np.all(overlay == (40, 220, 255), axis=2)
    person = from_photo.front.mask > 0.5
    rows, cols = np.nonzero(outline)
    top, bottom = np.nonzero(person.any(axis=1))[0][[0, -1]]
    assert abs(rows.min() - top) < 0.03 * (bottom - top) and abs(rows.max() - bottom) < 0.03 * (bottom - top)
    assert person[rows, cols].mean() > 0.3  # the outline runs along the person's edge, not elsewhere
    assert (overlay != front_photo).any(axis=2).sum() > outline.sum()  # landmarks and skeleton drawn too


def test_side_photo_is_used(example_avatar, front_photo, body_model):
    side = photo_of(example_avatar, {}, seed=1, view="side")
    result = avatar_from_photo(front_photo, example_avatar.measured["stature"], side=side,
                               sex=example_avatar.inputs.get("sex"), model=body_model)
    assert result.report()["photo"]["views"] == ["front", "side"]
    for key in ("chest", "waist", "hip"):
        assert abs(result.avatar.measured[key] - example_avatar.measured[key]) < 6.0, key


def test_a_real_photograph_gives_a_sensible_upper_body_pose(rig):
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        image = cv2.cvtColor(cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    body = find_body(image, full_body=False)
    pose = solve_pose(rig, body, 1.7)
    seen = np.isfinite(pose.errors_px)
    assert seen.sum() >= 7 and pose.reprojection_error < 0.03
    shoulders = pose.keypoints_px[[NAMES.index("left_shoulder"), NAMES.index("right_shoulder")]]
    tilt = np.degrees(np.arctan2(abs(shoulders[0, 1] - shoulders[1, 1]), abs(shoulders[0, 0] - shoulders[1, 0])))
    assert tilt < 15  # she sits upright: shoulders level, head above them
    assert pose.keypoints_px[NAMES.index("nose"), 1] < shoulders[:, 1].min()
    assert body.pixels[LEFT_SHOULDER, 0] > body.pixels[RIGHT_SHOULDER, 0] > 0 and body.visibility[NOSE] > 0.9


def test_pose_models_load_from_a_folder(front_photo, tmp_path):
    import mediapipe

    wheel = Path(mediapipe.__file__).parent / "modules"
    for name, kind in MODEL_FILES.items():
        shutil.copy(wheel / kind / name, tmp_path / name)
    default, ours = find_body(front_photo), find_body(front_photo, model_dir=tmp_path)
    assert np.abs(default.pixels - ours.pixels).max() < 1.0
    (tmp_path / "pose_detection.tflite").write_bytes(b"not a model")
    with pytest.raises(PhotoError, match="could not be loaded"):
        find_body(front_photo, model_dir=tmp_path)
    (tmp_path / "pose_detection.tflite").unlink()
    with pytest.raises(PhotoError, match="lacks pose_detection.tflite"):
        find_body(front_photo, model_dir=tmp_path)


def test_bad_photos_and_heights_are_refused(front_photo, example_avatar):
    two = np.concatenate([front_photo, front_photo[:, ::-1]], axis=1)
    with pytest.raises(PhotoError, match="several people"):
        find_body(two)
    with pytest.raises(MeasurementError, match="stature"):
        avatar_from_photo(front_photo, 320.0)
    with pytest.raises(MeasurementError, match="stature"):
        avatar_from_photo(front_photo, float("nan"))


def test_one_euro_smooths_jitter_and_follows_motion():
    t = np.arange(60) / 30.0
    truth = 100 * np.sin(t)[:, None]
    noisy = truth + np.random.default_rng(0).normal(0, 3, truth.shape)
    smooth = one_euro(noisy, 30.0)
    assert np.abs(np.diff(smooth, 2, axis=0)).mean() < 0.5 * np.abs(np.diff(noisy, 2, axis=0)).mean()
    assert np.abs(smooth - truth).mean() < np.abs(noisy - truth).mean()


def test_video_poses_follow_the_movement(example_avatar, rig, body_model, tmp_path):
    raises = np.linspace(0.0, 40.0, 8)
    truths = [{"upperarm01.L": (0.0, 0.0, float(a)), "upperarm01.R": (0.0, 0.0, -10.0)} for a in raises]
    path = tmp_path / "clip.mp4"
    frames = [photo_of(example_avatar, rotations, seed=0) for rotations in truths]
    write_video(frames, 10.0, path)
    clip, fps = read_video(path)
    assert len(clip) == len(frames) and fps == pytest.approx(10.0)
    video = poses_from_video(clip, fps, example_avatar, model=body_model)
    errors = np.array([limb_angle_errors(rig, pose.rotvecs, rotvecs_of(truth))[0]
                       for pose, truth in zip(video.poses, truths)])
    # left upper arm, the limb that moves. 13.5 degrees: since arm length runs to the real wrist
    # (not the knuckles) the example avatar's arms are ~10 cm longer, and MediaPipe reads its upper
    # arm about 12.3 degrees off in every frame alike (10.8 before the avatar's shoulders and armpits
    # were fitted to the population's heights; an offset: the movement itself is followed)
    assert np.median(errors) < 13.5, errors
    assert max(p.reprojection_error for p in video.poses) < 0.03
    # the CLI: avatar from the first frame, the clip back with the posed avatar's outline on every frame
    import subprocess

    from conftest import FITROOM

    done = subprocess.run([str(FITROOM), "avatar", "--video", str(path), "--stature", "172", "--sex", "female",
                           "--render", str(tmp_path / "overlay.mp4"), "--report", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    overlay, _ = read_video(tmp_path / "overlay.mp4")
    assert len(overlay) == len(frames) and np.abs(overlay[-1].astype(int) - clip[-1]).max() > 100
    report = json.loads((tmp_path / "r.json").read_text())
    assert len(report["video"]["pose_degrees_per_frame"]) == len(frames) and report["video"]["reprojection_error_pct_mean"] < 3
    (tmp_path / "broken.mp4").write_bytes(b"nothing")
    with pytest.raises(PhotoError, match="no frames"):
        read_video(tmp_path / "broken.mp4")
