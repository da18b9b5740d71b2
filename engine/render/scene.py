"""What both renderers draw: meshes with materials, an orthographic camera per view, three lights.

Views look at the scene's centre from the front (+Z), the left side (+X), the back (-Z), or
from any turntable angle; the camera is orthographic so pixels map to metres linearly, which
makes silhouettes comparable across renderers and measurable (pixel height = stature).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import trimesh

VIEW_ANGLES_DEG = {"front": 0.0, "left": 90.0, "side": 90.0, "back": 180.0, "right": 270.0}
MATERIALS = {  # roughness, metallic, specular strength for the rasteriser
    "skin": (0.55, 0.0, 0.25),
    "cloth": (0.9, 0.0, 0.05),
}
#: Key, fill and rim light: direction *towards* the light (avatar frame), intensity, colour.
THREE_POINT = (
    (np.array([0.6, 0.7, 1.0]), 2.2, np.array([1.0, 0.97, 0.92])),
    (np.array([-0.9, 0.2, 0.8]), 0.8, np.array([0.85, 0.9, 1.0])),
    (np.array([0.0, 0.6, -1.0]), 1.5, np.array([1.0, 1.0, 1.0])),
)
AMBIENT = 0.25


@dataclass
class RenderItem:
    """A mesh to draw: one RGBA colour (0-1) or per-vertex colours, and a material name."""

    mesh: trimesh.Trimesh
    color: tuple[float, float, float, float] | None = None
    material: str = "skin"

    def vertex_colors(self) -> np.ndarray:
        """(N, 4) floats in 0-1: the item colour, else the mesh's own vertex colours, else grey."""
        n = len(self.mesh.vertices)
        if self.color is not None:
            return np.tile(np.asarray(self.color, dtype=np.float64), (n, 1))
        visual = getattr(self.mesh, "visual", None)
        if visual is not None and visual.kind == "vertex":
            return np.asarray(visual.vertex_colors, dtype=np.float64) / 255.0
        return np.tile([0.7, 0.7, 0.7, 1.0], (n, 1))


@dataclass
class Camera:
    """Orthographic camera on a circle around the scene's vertical axis."""

    width: int
    height: int
    centre: np.ndarray
    half_height: float  # metres from the image centre to its top edge
    angle_deg: float = 0.0
    distance: float = 5.0
    pose: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        a = np.radians(self.angle_deg)
        forward = np.array([np.sin(a), 0.0, np.cos(a)])  # from the centre towards the camera
        right = np.cross(np.array([0.0, 1.0, 0.0]), forward)
        pose = np.eye(4)
        pose[:3, 0], pose[:3, 1], pose[:3, 2] = right, [0.0, 1.0, 0.0], forward
        pose[:3, 3] = self.centre + self.distance * forward
        self.pose = pose

    @property
    def half_width(self) -> float:
        return self.half_height * self.width / self.height

    @property
    def pixels_per_metre(self) -> float:
        return self.height / (2.0 * self.half_height)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel coordinates (x right, y down; pixel centres at +0.5) and depth from the camera."""
        local = (points - self.pose[:3, 3]) @ self.pose[:3, :3]
        px = (local[:, 0] / self.half_width + 1.0) * 0.5 * self.width
        py = (1.0 - local[:, 1] / self.half_height) * 0.5 * self.height
        return np.stack([px, py], axis=1), -local[:, 2]


def frame_camera(items: list[RenderItem], width: int, height: int, view: str | float = "front",
                 margin: float = 0.05, all_around: bool = False) -> Camera:
    """A camera that fits every item in the picture from the given view (name or angle);
    `all_around` frames for any angle (turntables)."""
    if isinstance(view, str) and view not in VIEW_ANGLES_DEG:
        raise ValueError(f"unknown view {view!r}; choose one of {sorted(VIEW_ANGLES_DEG)} or an angle")
    angle = VIEW_ANGLES_DEG[view] if isinstance(view, str) else float(view)
    points = np.concatenate([item.mesh.vertices for item in items])
    low, high = points.min(axis=0), points.max(axis=0)
    centre = 0.5 * (low + high)
    radius_xz = float(np.linalg.norm(points[:, [0, 2]] - centre[[0, 2]], axis=1).max())
    if all_around:
        half_width = radius_xz
    else:
        a = np.radians(angle)
        across = (points - centre) @ np.array([np.cos(a), 0.0, -np.sin(a)])
        half_width = float(np.abs(across).max())
    half_height = max(0.5 * (high[1] - low[1]), half_width * height / width) * (1.0 + margin)
    return Camera(width, height, centre, half_height, angle, distance=10.0 + 2 * radius_xz)
