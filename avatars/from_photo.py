"""An avatar from one front photo (and a side photo when given) plus the stated height.

Pipeline: MediaPipe finds the body (`avatars.photo`), the photo gives measurements with their
uncertainty (`avatars.photo_measure`), `Avatar.from_measurements` fits the body exactly as for tape
measurements, and inverse kinematics puts it in the photo's pose (`avatars.photo_pose`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import trimesh

from avatars.avatar import Avatar
from avatars.body_model import BodyModel, load_body_model
from avatars.errors import MeasurementError
from avatars.measurements import SPECS, BodyMeasurements
from avatars.photo import BodyInPhoto, find_body, read_photo
from avatars.photo_measure import PhotoEstimate, estimate_measurements
from avatars.photo_pose import KeypointRig, PhotoPose, solve_pose

#: MediaPipe landmark pairs drawn as the skeleton in overlays.
SKELETON = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24),
            (23, 25), (25, 27), (24, 26), (26, 28))


@dataclass
class PhotoAvatar:
    """The avatar built from a photo, its pose in the photo, and what the photo told us."""

    avatar: Avatar
    pose: PhotoPose
    estimate: PhotoEstimate
    front: BodyInPhoto
    dropped: dict[str, str]  # estimates left out, and why

    def posed_mesh(self, model: BodyModel | None = None) -> trimesh.Trimesh:
        """The avatar in the photo's pose."""
        return self.avatar.posed(self.pose.rotations, model=model)

    def report(self) -> dict[str, Any]:
        """The avatar's report plus which measurements came from the photo and how sure each is."""
        from_photo = {k: {"cm": v, "plus_minus_cm": self.estimate.sigma_cm[k]}
                      for k, v in self.estimate.values.items() if k not in self.dropped}
        seen = np.isfinite(self.pose.errors_px)
        return {
            **self.avatar.report(),
            "photo": {
                "views": list(self.estimate.views),
                "from_photo": from_photo,
                "not_used": self.dropped,
                "landmarks_seen": int(seen.sum()),
                "landmarks_total": len(seen),
                "reprojection_error_pct_of_height": round(100 * self.pose.reprojection_error, 2),
                "pose_degrees": {bone: [round(a, 1) for a in angles] for bone, angles in self.pose.rotations.items()},
            },
        }

    def overlay(self, image: np.ndarray, model: BodyModel | None = None) -> np.ndarray:
        """The photo with MediaPipe's landmarks and skeleton, and the fitted avatar's outline, drawn on it."""
        return draw_overlay(image, self.posed_mesh(model), self.pose, self.front.pixels, self.front.visibility)


def draw_overlay(image: np.ndarray, mesh: trimesh.Trimesh, pose: PhotoPose, pixels: np.ndarray,
                 visibility: np.ndarray) -> np.ndarray:
    """A copy of the image with landmarks, their skeleton, and the outline of the posed mesh seen through `pose`."""
    canvas = np.ascontiguousarray(image.copy())
    points = np.round(pose.project(mesh.vertices)).astype(np.int32)
    silhouette = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(silhouette, list(points[mesh.faces]), 255)
    contours, _ = cv2.findContours(silhouette, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    thickness = max(2, image.shape[0] // 400)
    cv2.drawContours(canvas, contours, -1, (40, 220, 255), thickness)
    marks = np.round(pixels).astype(int)
    for a, b in SKELETON:
        cv2.line(canvas, tuple(marks[a]), tuple(marks[b]), (255, 255, 255), thickness)
    for (x, y), seen in zip(marks, visibility >= 0.5):
        cv2.circle(canvas, (x, y), 2 * thickness, (255, 60, 60) if seen else (120, 120, 120), -1)
    return canvas


def _measurements(stature: float, estimate: PhotoEstimate, sex: str | None) -> tuple[BodyMeasurements, dict[str, str]]:
    """Validated measurements from the estimates; an estimate no body could have is left out, with the reason."""
    values: dict[str, Any] = {"stature": stature, "sex": sex, **estimate.values}
    dropped: dict[str, str] = {}
    while True:
        try:
            return BodyMeasurements.from_dict(values), dropped
        except MeasurementError as exc:
            if exc.field == "stature" or exc.field not in SPECS:
                raise
            dropped[exc.field] = str(exc)
            values.pop(exc.field)


def avatar_from_photo(front: np.ndarray | str | Path, stature_cm: float, *, side: np.ndarray | str | Path | None = None,
                      sex: str | None = None, model: BodyModel | None = None,
                      model_dir: str | Path | None = None) -> PhotoAvatar:
    """Build the avatar of the person in a full-body front photo (RGB array or file), `stature_cm` tall."""
    BodyMeasurements.from_dict({"stature": stature_cm, "sex": sex})  # a bad height or sex fails before any work
    front_image = read_photo(front) if isinstance(front, (str, Path)) else front
    body = find_body(front_image, model_dir=model_dir)
    side_body = None
    if side is not None:
        side_body = find_body(read_photo(side) if isinstance(side, (str, Path)) else side,
                              full_body=False, model_dir=model_dir)
    estimate = estimate_measurements(body, stature_cm, side_body, sex)
    measurements, dropped = _measurements(stature_cm, estimate, sex)
    model = model or load_body_model()
    avatar = Avatar.from_measurements(measurements, model=model)
    pose = solve_pose(KeypointRig(model, avatar.parameters), body, avatar.measured["stature"] / 100)
    return PhotoAvatar(avatar, pose, estimate, body, dropped)

