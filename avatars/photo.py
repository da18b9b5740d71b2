"""Find the body in a photo: MediaPipe's pose landmarks and person mask, offline.

The legacy MediaPipe pose solution runs the models that ship inside the installed `mediapipe`
wheel (model complexity 1; nothing is downloaded). Bad photos get a `PhotoError` that says what
is wrong and what photo works. This is the first step of avatars from photos (issue 6): the
fitting of pose and proportions builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from avatars.errors import AvatarError

GOOD_PHOTO = "use one full-body photo: the whole person from head to feet, facing the camera, arms slightly away from the body"
MIN_SIDE_PX = 128
VISIBLE = 0.5
#: MediaPipe pose landmark indices we rely on.
NOSE, LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP, LEFT_ANKLE, RIGHT_ANKLE = 0, 11, 12, 23, 24, 27, 28
FULL_BODY = (NOSE, LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP, LEFT_ANKLE, RIGHT_ANKLE)


class PhotoError(AvatarError):
    """The photo cannot give an avatar: unreadable, too small, no person, or the body is cropped."""


@dataclass(frozen=True)
class BodyInPhoto:
    """33 landmarks in pixels (x, y) with visibility, in metres around the hips, and the person mask."""

    pixels: np.ndarray  # (33, 2)
    visibility: np.ndarray  # (33,)
    world: np.ndarray  # (33, 3) metres, MediaPipe's hip-centred frame
    mask: np.ndarray  # (H, W) float in [0, 1]

    def height_px(self) -> float:
        """Vertical extent of the person mask: the body's height in pixels, head to soles."""
        rows = np.flatnonzero((self.mask > 0.5).any(axis=1))
        return float(rows[-1] - rows[0] + 1) if len(rows) else 0.0

    def cm_per_px(self, stature_cm: float) -> float:
        """Scale of the photo at the body, from the stated stature."""
        return stature_cm / self.height_px()


def read_photo(path: str | Path) -> np.ndarray:
    """RGB uint8 image from a file, or PhotoError saying why not."""
    path = Path(path)
    if not path.exists():
        raise PhotoError(f"photo {path} does not exist")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise PhotoError(f"photo {path.name} is not a readable image (corrupt or not JPEG/PNG); {GOOD_PHOTO}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def find_body(image: np.ndarray, full_body: bool = True) -> BodyInPhoto:
    """Landmarks and mask of the one person in an RGB image; with `full_body`, all of them in frame."""
    import mediapipe as mp

    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise PhotoError("a photo must be an RGB image of 8-bit pixels")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE_PX:
        raise PhotoError(f"photo is {width}x{height} pixels; at least {MIN_SIDE_PX} on the short side are needed; {GOOD_PHOTO}")
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=True) as pose:
        result = pose.process(np.ascontiguousarray(image))
    if result.pose_landmarks is None:
        raise PhotoError(f"no person found in the photo; {GOOD_PHOTO}")
    marks = result.pose_landmarks.landmark
    pixels = np.array([[m.x * width, m.y * height] for m in marks])
    visibility = np.array([m.visibility for m in marks])
    world = np.array([[m.x, m.y, m.z] for m in result.pose_world_landmarks.landmark])
    mask = result.segmentation_mask if result.segmentation_mask is not None else np.zeros((height, width))
    if full_body:
        inside = (pixels[:, 0] >= 0) & (pixels[:, 0] < width) & (pixels[:, 1] >= 0) & (pixels[:, 1] < height)
        missing = [i for i in FULL_BODY if visibility[i] < VISIBLE or not inside[i]]
        if missing:
            raise PhotoError(f"the body is cropped or hidden (landmarks {missing} not seen); {GOOD_PHOTO}")
    return BodyInPhoto(pixels, visibility, world, np.asarray(mask, dtype=np.float32))
