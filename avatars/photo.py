"""Find the body in a photo: MediaPipe's pose landmarks and person mask, offline.

The legacy MediaPipe pose solution runs the models that ship inside the installed `mediapipe`
wheel (model complexity 1; nothing is downloaded), or the same two model files from a folder
given as `model_dir` or in the FITROOM_POSE_MODELS setting. Bad photos get a `PhotoError` that
says what is wrong and what photo works.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from avatars.body_model import native_stderr_silenced
from avatars.errors import AvatarError

MODEL_FILES = {"pose_landmark_full.tflite": "pose_landmark", "pose_detection.tflite": "pose_detection"}
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


def _model_dir(model_dir: str | Path | None) -> Path | None:
    """The folder of pose models to use: the argument, else FITROOM_POSE_MODELS, else None (the wheel's)."""
    folder = model_dir or os.environ.get("FITROOM_POSE_MODELS")
    if not folder:
        return None
    folder = Path(folder)
    missing = [name for name in MODEL_FILES if not (folder / name).is_file()]
    if missing:
        raise PhotoError(f"pose model folder {folder} lacks {', '.join(missing)} "
                         f"(it needs {' and '.join(MODEL_FILES)}, as in mediapipe's modules/)")
    return folder


@contextmanager
def pose_solution(static_image: bool = True, model_dir: str | Path | None = None) -> Iterator[object]:
    """MediaPipe's pose solution (with person mask), on the wheel's models or those in `model_dir`."""
    import mediapipe as mp
    from mediapipe.python import solution_base

    folder = _model_dir(model_dir)
    options = {"static_image_mode": static_image, "model_complexity": 1, "enable_segmentation": True}
    if folder is None:
        with native_stderr_silenced(), mp.solutions.pose.Pose(**options) as pose:  # TFLite/absl chatter
            yield pose
        return
    # mediapipe resolves "mediapipe/modules/<kind>/<file>" under its resource folder: lay ours out so
    root = Path(tempfile.mkdtemp(prefix="fitroom-pose-models-"))
    real = solution_base.resource_util

    class _OurFolder:
        @staticmethod
        def set_resource_dir(_: str) -> None:
            real.set_resource_dir(str(root))

    try:
        for name, kind in MODEL_FILES.items():
            (root / "mediapipe" / "modules" / kind).mkdir(parents=True)
            (root / "mediapipe" / "modules" / kind / name).symlink_to((folder / name).resolve())
        solution_base.resource_util = _OurFolder
        try:
            pose = mp.solutions.pose.Pose(**options)
            with native_stderr_silenced():
                pose.process(np.zeros((MIN_SIDE_PX, MIN_SIDE_PX, 3), np.uint8))  # models load on first use
            pose.reset()
        except RuntimeError as exc:
            raise PhotoError(f"the pose models in {folder} could not be loaded: {str(exc).splitlines()[-1]}") from exc
        finally:
            solution_base.resource_util = real
        with native_stderr_silenced(), pose:
            yield pose
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _check_image(image: np.ndarray) -> None:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise PhotoError("a photo must be an RGB image of 8-bit pixels")
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE_PX:
        raise PhotoError(f"photo is {width}x{height} pixels; at least {MIN_SIDE_PX} on the short side are needed; {GOOD_PHOTO}")


def _landmarks(pose, image: np.ndarray) -> BodyInPhoto | None:
    """One MediaPipe pass over an RGB image: the body it finds, or None."""
    height, width = image.shape[:2]
    result = pose.process(np.ascontiguousarray(image))
    if result.pose_landmarks is None:
        return None
    marks = result.pose_landmarks.landmark
    pixels = np.array([[m.x * width, m.y * height] for m in marks])
    visibility = np.array([m.visibility for m in marks])
    world = np.array([[m.x, m.y, m.z] for m in result.pose_world_landmarks.landmark])
    mask = result.segmentation_mask if result.segmentation_mask is not None else np.zeros((height, width))
    return BodyInPhoto(pixels, visibility, world, np.asarray(mask, dtype=np.float32))


def _cropped(body: BodyInPhoto, shape: tuple[int, ...]) -> list[int]:
    """Full-body landmarks that are outside the image or not seen."""
    height, width = shape[:2]
    x, y = body.pixels[:, 0], body.pixels[:, 1]
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    return [i for i in FULL_BODY if body.visibility[i] < VISIBLE or not inside[i]]


def _another_person(pose, image: np.ndarray, body: BodyInPhoto) -> bool:
    """Is there a second whole person once the first one is painted over with the backdrop's colour?"""
    rows, cols = np.nonzero(body.mask > 0.3)
    pad = max(8, int(0.05 * image.shape[0]))
    erased = image.copy()
    erased[max(rows.min() - pad, 0):rows.max() + pad, max(cols.min() - pad, 0):cols.max() + pad] = np.median(
        image.reshape(-1, 3), axis=0).astype(np.uint8)
    other = _landmarks(pose, erased)
    return other is not None and not _cropped(other, image.shape) and float(other.visibility[list(FULL_BODY)].mean()) > 0.8


def find_body(image: np.ndarray, full_body: bool = True, model_dir: str | Path | None = None) -> BodyInPhoto:
    """Landmarks and mask of the one person in an RGB image; with `full_body`, all of them in frame."""
    _check_image(image)
    with pose_solution(static_image=True, model_dir=model_dir) as pose:
        body = _landmarks(pose, image)
        if body is None:
            raise PhotoError(f"no person found in the photo; {GOOD_PHOTO}")
        if full_body:
            missing = _cropped(body, image.shape)
            if missing:
                raise PhotoError(f"the body is cropped or hidden (landmarks {missing} not seen); {GOOD_PHOTO}")
            if (body.mask > 0.3).any() and _another_person(pose, image, body):
                raise PhotoError(f"there are several people in the photo; {GOOD_PHOTO}, alone in the picture")
    return body
