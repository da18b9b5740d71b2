"""Fit maps as designers know them: strain (%) or ease gap (cm) painted on the draped garment,
front/side/back on one scale, with a colour legend."""

from __future__ import annotations

import cv2
import numpy as np
import trimesh

from engine.render import RenderItem, render_views
from engine.tryon import TryOn

MAPS = {  # value range shown, unit, title
    "strain": (-5.0, 20.0, "%", "strain"),
    "ease": (0.0, 6.0, "cm", "gap to body"),
}


def vertex_values(tryon: TryOn, kind: str) -> np.ndarray:
    """Per garment vertex: mean strain of its edges (%) or distance to the body (cm)."""
    if kind not in MAPS:
        raise ValueError(f"unknown fit map {kind!r}; choose one of {sorted(MAPS)}")
    cloth = tryon.drape.mesh
    if kind == "strain":
        edges = cloth.edges_unique
        strain = tryon.drape.edge_strain() * 100.0
        total = np.bincount(edges.ravel(), np.repeat(strain, 2), minlength=len(cloth.vertices))
        count = np.bincount(edges.ravel(), minlength=len(cloth.vertices))
        return total / np.maximum(count, 1)
    _, distance, _ = trimesh.proximity.closest_point(tryon.avatar.mesh, cloth.vertices)
    return distance * 100.0


def _colours(values: np.ndarray, low: float, high: float) -> np.ndarray:
    scaled = np.clip((values - low) / (high - low), 0.0, 1.0)
    bgr = cv2.applyColorMap((scaled * 255).astype(np.uint8)[:, None], cv2.COLORMAP_TURBO)[:, 0]
    return np.concatenate([bgr[:, ::-1], np.full((len(values), 1), 255)], axis=1).astype(np.uint8)


def legend(height: int, kind: str, width: int = 110) -> np.ndarray:
    """An RGBA colour bar with ticks, unit and title."""
    low, high, unit, title = MAPS[kind]
    image = np.full((height, width, 4), 255, dtype=np.uint8)
    top, bottom = int(0.12 * height), int(0.88 * height)
    ramp = np.linspace(high, low, bottom - top)
    image[top:bottom, 12:40] = _colours(ramp, low, high)[:, None, :]
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(image, title, (6, top - 24), font, 0.45, (0, 0, 0, 255), 1, cv2.LINE_AA)
    cv2.putText(image, f"({unit})", (6, top - 8), font, 0.45, (0, 0, 0, 255), 1, cv2.LINE_AA)
    for value in np.linspace(low, high, 6):
        y = int(bottom - (value - low) / (high - low) * (bottom - top))
        cv2.line(image, (40, y), (46, y), (0, 0, 0, 255), 1)
        cv2.putText(image, f"{value:g}", (50, y + 5), font, 0.45, (0, 0, 0, 255), 1, cv2.LINE_AA)
    return image


def painted_garment(tryon: TryOn, kind: str = "strain") -> trimesh.Trimesh:
    """The draped garment with its vertices coloured by `kind` on the map's scale."""
    low, high, _, _ = MAPS[kind]
    cloth = tryon.drape.mesh
    cloth.visual.vertex_colors = _colours(vertex_values(tryon, kind), low, high)
    return cloth


def fit_map(tryon: TryOn, kind: str = "strain", size: tuple[int, int] = (384, 768),
            backend: str | None = None, cloth: trimesh.Trimesh | None = None) -> np.ndarray:
    """Front, side and back of the body in the garment coloured by `kind` (or the given painted
    `cloth`), legend on the right."""
    cloth = cloth if cloth is not None else painted_garment(tryon, kind)
    items = [RenderItem(tryon.avatar.mesh, material="skin"), RenderItem(cloth, material="cloth")]
    views = render_views(items, size=size, backend=backend)
    return np.concatenate([views, legend(size[1], kind)], axis=1)
