"""Headless rendering: pyrender through OSMesa/EGL, or the numpy rasteriser where no GL exists.

`render(items, view=...)` returns an RGBA image; `backend="auto"` (default, or the
FITROOM_RENDERER environment variable) uses GL when a context can be made and falls back to the
rasteriser otherwise; "gl" or "raster" force one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from engine.render.scene import Camera, RenderItem, frame_camera

log = logging.getLogger(__name__)
BACKENDS = ("auto", "gl", "raster")


def render(items: list[RenderItem], view: str | float = "front", size: tuple[int, int] = (512, 512),
           background: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 0.0),
           backend: str | None = None, camera: Camera | None = None) -> np.ndarray:
    """RGBA uint8 (H, W, 4) picture of the items from a view ("front", "side", "back" or degrees)."""
    backend = backend or os.environ.get("FITROOM_RENDERER", "auto")
    if backend not in BACKENDS:
        raise ValueError(f"unknown renderer {backend!r}; choose one of {BACKENDS}")
    width, height = size
    camera = camera or frame_camera(items, width, height, view)
    if backend in ("auto", "gl"):
        from engine.render.gl import GLUnavailable, render_gl

        try:
            return render_gl(items, camera, background)
        except GLUnavailable as exc:
            if backend == "gl":
                raise
            log.warning("GL rendering unavailable (%s); using the numpy rasteriser", exc)
    from engine.render.raster import render_raster

    return render_raster(items, camera, background)


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an RGBA (or RGB) uint8 image as PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conversion = cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR
    if not cv2.imwrite(str(path), cv2.cvtColor(image, conversion)):
        raise OSError(f"could not write {path}")
    return path


def side_by_side(images: Iterable[np.ndarray]) -> np.ndarray:
    return np.concatenate(list(images), axis=1)


def render_views(items: list[RenderItem], views: Iterable[str | float] = ("front", "side", "back"),
                 size: tuple[int, int] = (512, 1024), backend: str | None = None,
                 background: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)) -> np.ndarray:
    """Several views side by side at one scale (a metre is as long in each), as a fit sheet shows them."""
    width, height = size
    base = frame_camera(items, width, height, 0.0, all_around=True)
    pictures = []
    for view in views:
        angle = frame_camera(items, width, height, view).angle_deg
        camera = Camera(width, height, base.centre, base.half_height, angle, base.distance)
        pictures.append(render(items, size=size, background=background, backend=backend, camera=camera))
    return side_by_side(pictures)


def turntable(items: list[RenderItem], path: str | Path, frames: int = 36, size: tuple[int, int] = (512, 512),
              fps: int = 12, backend: str | None = None,
              background: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)) -> Path:
    """A full turn around the items as MP4 (or GIF, by suffix), one camera framing for all frames."""
    from tqdm import tqdm

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    base = frame_camera(items, width, height, 0.0, all_around=True)
    pictures = []
    for angle in tqdm(np.linspace(0.0, 360.0, frames, endpoint=False), desc="turntable", leave=False):
        camera = Camera(width, height, base.centre, base.half_height, float(angle), base.distance)
        pictures.append(render(items, size=size, background=background, backend=backend, camera=camera))
    if path.suffix.lower() == ".gif":
        import imageio.v2 as imageio

        imageio.mimsave(path, [p[:, :, :3] for p in pictures], duration=1.0 / fps, loop=0)
    else:
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        for p in pictures:
            writer.write(cv2.cvtColor(p[:, :, :3], cv2.COLOR_RGB2BGR))
        writer.release()
    return path


__all__ = ["BACKENDS", "Camera", "RenderItem", "render", "render_views", "save_png", "side_by_side", "turntable"]
