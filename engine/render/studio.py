"""Synthetic photos of avatars with known answers: pose, skin tone, swimwear, background, framing.

Photos of bodies whose measurements and joint angles are known are the ground truth for the
photo-to-avatar pipeline (its training, tests and benchmark). The camera is orthographic, like
every Fitroom render; "distance" is how much of the frame the body fills.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh

from engine.render import RenderItem, render
from engine.render.scene import frame_camera

SKIN_TONES = np.array([[0.96, 0.80, 0.69], [0.88, 0.67, 0.52], [0.76, 0.57, 0.42], [0.55, 0.38, 0.26], [0.36, 0.24, 0.16]])
PHOTO_SIZE = (512, 1024)


@dataclass(frozen=True)
class PhotoSetting:
    """How one synthetic photo is taken: pose (bone rotations, degrees), looks and framing."""

    rotations: dict[str, tuple[float, float, float]]
    skin: np.ndarray
    swimwear: np.ndarray
    background: np.ndarray  # (H, W, 3) uint8
    margin: float  # free space around the body, as a fraction of its height
    view: str = "front"


def random_pose(rng: np.random.Generator) -> dict[str, tuple[float, float, float]]:
    """A standing pose as a shopper would take one: arms away from the body, small turns and steps."""
    raise_left, raise_right = rng.uniform(-15, 25, 2)
    return {
        "root": (0.0, float(rng.uniform(-12, 12)), 0.0),
        "upperarm01.L": (float(rng.uniform(-15, 15)), 0.0, float(raise_left)),
        "upperarm01.R": (float(rng.uniform(-15, 15)), 0.0, float(-raise_right)),
        "lowerarm01.L": (0.0, 0.0, float(rng.uniform(0, 25))),
        "lowerarm01.R": (0.0, 0.0, float(-rng.uniform(0, 25))),
        "upperleg01.L": (0.0, 0.0, float(rng.uniform(0, 8))),
        "upperleg01.R": (0.0, 0.0, float(-rng.uniform(0, 8))),
        "lowerleg01.L": (float(rng.uniform(0, 10)), 0.0, 0.0),
        "lowerleg01.R": (float(rng.uniform(0, 10)), 0.0, 0.0),
    }


def random_background(rng: np.random.Generator, size: tuple[int, int] = PHOTO_SIZE) -> np.ndarray:
    """A room-like backdrop: a vertical gradient (wall to floor), a few soft blocks, sensor noise."""
    width, height = size
    top, bottom = rng.uniform(0.35, 0.95, 3), rng.uniform(0.2, 0.8, 3)
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    image = np.broadcast_to((1 - t) * top + t * bottom, (height, width, 3)).copy()
    for _ in range(rng.integers(0, 4)):
        x0, y0 = rng.integers(0, width), rng.integers(0, height)
        image[y0:y0 + rng.integers(40, 300), x0:x0 + rng.integers(20, 200)] = rng.uniform(0.2, 0.9, 3)
    image += rng.normal(0.0, 0.015, image.shape)
    return (np.clip(image, 0, 1) * 255).astype(np.uint8)


def random_setting(rng: np.random.Generator, view: str = "front") -> PhotoSetting:
    return PhotoSetting(
        rotations=random_pose(rng), skin=SKIN_TONES[rng.integers(len(SKIN_TONES))],
        swimwear=rng.uniform(0.05, 0.6, 3), background=random_background(rng),
        margin=float(rng.uniform(0.04, 0.35)), view=view,
    )


def swimwear_mask(mesh: trimesh.Trimesh, landmarks: dict[str, np.ndarray], female: bool) -> np.ndarray:
    """Vertices covered by swim briefs (crotch to just below the navel) and, for women, a top."""
    y = mesh.vertices[:, 1]
    waist, crotch = landmarks["omphalion"][1], landmarks["crotch"][1]
    covered = (y > crotch - 0.04) & (y < waist - 0.03) & (np.abs(mesh.vertices[:, 0]) < 0.25)
    if female:
        bust = landmarks["bust_point"][1]
        covered |= (y > bust - 0.07) & (y < bust + 0.06) & (np.abs(mesh.vertices[:, 0]) < 0.2)
    return covered


def take_photo(posed: trimesh.Trimesh, standing_mask: np.ndarray, setting: PhotoSetting) -> tuple[np.ndarray, object]:
    """RGB photo of a posed body (swimwear where `standing_mask`), composited on the backdrop; and its camera."""
    colours = np.tile(np.append(setting.skin, 1.0), (len(posed.vertices), 1))
    colours[standing_mask, :3] = setting.swimwear
    body = posed.copy()
    body.visual.vertex_colors = (colours * 255).astype(np.uint8)
    items = [RenderItem(body)]
    width, height = setting.background.shape[1], setting.background.shape[0]
    camera = frame_camera(items, width, height, setting.view, margin=setting.margin)
    rgba = render(items, size=(width, height), camera=camera, background=(0.0, 0.0, 0.0, 0.0))
    alpha = rgba[:, :, 3:].astype(np.float32) / 255.0
    photo = rgba[:, :, :3] * alpha + setting.background * (1.0 - alpha)
    return np.ascontiguousarray(photo.astype(np.uint8)), camera
