"""Pose from a video clip: MediaPipe per frame (tracking mode), One Euro smoothing, IK per frame.

The smoothed landmarks drive `solve_pose` warm-started from the previous frame, so an avatar
can be animated with the shopper's movement (`Avatar.posed(frame_rotations)` per frame).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from avatars.avatar import Avatar
from avatars.body_model import BodyModel, load_body_model
from avatars.photo import PhotoError, _check_image, _landmarks, pose_solution
from avatars.photo_pose import KeypointRig, PhotoPose, solve_pose


def one_euro(signal: np.ndarray, fps: float, min_cutoff: float = 1.5, beta: float = 0.05,
             derivative_cutoff: float = 1.0) -> np.ndarray:
    """One Euro filter (Casiez et al., CHI 2012) along axis 0: smooth when slow, quick when fast."""
    def alpha(cutoff: np.ndarray | float) -> np.ndarray:
        tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau * fps)

    out = np.array(signal, dtype=np.float64)
    speed = np.zeros_like(out[0])
    for t in range(1, len(out)):  # a recursive filter: each frame needs the one before
        raw_speed = (signal[t] - out[t - 1]) * fps
        speed = alpha(derivative_cutoff) * raw_speed + (1 - alpha(derivative_cutoff)) * speed
        a = alpha(min_cutoff + beta * np.abs(speed))
        out[t] = a * signal[t] + (1 - a) * out[t - 1]
    return out


def read_video(path: str | Path) -> tuple[list[np.ndarray], float]:
    """RGB frames and frame rate of a video file (anything OpenCV's FFmpeg reads: MP4, AVI, ...)."""
    path = Path(path)
    if not path.exists():
        raise PhotoError(f"video {path} does not exist")
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    capture.release()
    if not frames:
        raise PhotoError(f"video {path.name} has no frames that can be read (corrupt or not a video)")
    return frames, float(fps)


@dataclass(frozen=True)
class VideoPose:
    """The pose in every frame of a clip, from smoothed landmarks."""

    fps: float
    poses: list[PhotoPose]
    raw_pixels: np.ndarray  # (F, 33, 2) MediaPipe's landmarks before smoothing
    pixels: np.ndarray  # (F, 33, 2) after smoothing

    visibility: np.ndarray  # (F, 33)

    @property
    def rotations(self) -> list[dict[str, tuple[float, float, float]]]:
        return [pose.rotations for pose in self.poses]

    def overlay_frames(self, frames: list[np.ndarray], avatar: Avatar, model: BodyModel | None = None) -> list[np.ndarray]:
        """Each frame with its smoothed landmarks and the outline of the avatar posed like the shopper."""
        from avatars.from_photo import draw_overlay

        return [draw_overlay(frame, avatar.posed(pose.rotations, model=model), pose, pixels, visibility)
                for frame, pose, pixels, visibility in zip(frames, self.poses, self.pixels, self.visibility)]


def write_video(frames: list[np.ndarray], fps: float, path: str | Path) -> Path:
    """RGB frames as an MP4 (or AVI) file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def poses_from_video(frames: list[np.ndarray], fps: float, avatar: Avatar, *,
                     model: BodyModel | None = None, model_dir: str | Path | None = None,
                     smooth: bool = True, progress: bool = False) -> VideoPose:
    """Pose `avatar` in every frame of a clip of the same person (frames RGB, all one size)."""
    model = model or load_body_model()
    bodies = []
    from tqdm import tqdm

    with pose_solution(static_image=False, model_dir=model_dir) as pose:
        for frame in tqdm(frames, desc="finding the body", unit="frame", disable=not progress):
            _check_image(frame)
            bodies.append(_landmarks(pose, frame))
    found = [i for i, body in enumerate(bodies) if body is not None]
    if not found:
        raise PhotoError("no person found in any frame of the video")
    for i in range(len(bodies)):  # frames where tracking lost the person hold the nearest found one
        if bodies[i] is None:
            bodies[i] = bodies[min(found, key=lambda j: abs(j - i))]
    raw = np.stack([b.pixels for b in bodies])
    pixels = one_euro(raw, fps) if smooth else raw
    world = one_euro(np.stack([b.world for b in bodies]), fps) if smooth else np.stack([b.world for b in bodies])
    rig = KeypointRig(model, avatar.parameters)
    stature = avatar.measured["stature"] / 100
    poses: list[PhotoPose] = []
    for body, p, w in tqdm(list(zip(bodies, pixels, world)), desc="posing the avatar", unit="frame", disable=not progress):
        previous = poses[-1].rotvecs if poses else None
        poses.append(solve_pose(rig, replace(body, pixels=p, world=w), stature, initial=previous,
                                iterations=25 if poses else 60))
    return VideoPose(fps, poses, raw, pixels, np.stack([b.visibility for b in bodies]))
