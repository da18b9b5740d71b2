"""Frames per second of headless avatar renders: pyrender (OSMesa/EGL) against the numpy rasteriser.

    .venv/bin/python benchmarks/render_speed.py [--frames 20] [--json out/render_speed.json]

Each backend renders the same fitted avatar from a turning camera at 512x512 and 1024x1024;
first frames (context creation, caches) are excluded.
"""

from __future__ import annotations

import os
import time

from figures import arguments, save
from rich.console import Console
from rich.table import Table

from avatars import Avatar
from engine.render import RenderItem, render


def frames_per_second(items: list[RenderItem], backend: str, size: int, frames: int) -> float:
    render(items, size=(size, size), backend=backend)  # warm-up
    started = time.perf_counter()
    for i in range(frames):
        render(items, view=360.0 * i / frames, size=(size, size), backend=backend)
    return frames / (time.perf_counter() - started)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--frames", type=int, default=20)
    args = parser.parse_args()
    avatar = Avatar.from_measurements({"stature": 172.0, "sex": "female"})
    items = [RenderItem(avatar.mesh)]
    result = {"triangles": len(avatar.faces), "platform": os.environ.get("PYOPENGL_PLATFORM", "auto"), "fps": {}}
    table = Table(title=f"Render speed, {len(avatar.faces)} triangles ({result['platform']})")
    for column in ("size", "pyrender fps", "raster fps", "pyrender / raster"):
        table.add_column(column, justify="right")
    for size in (512, 1024):
        gl = frames_per_second(items, "gl", size, args.frames)
        raster = frames_per_second(items, "raster", size, max(4, args.frames // 2))
        result["fps"][f"{size}"] = {"pyrender": round(gl, 2), "raster": round(raster, 2), "ratio": round(gl / raster, 2)}
        table.add_row(f"{size}x{size}", f"{gl:.1f}", f"{raster:.1f}", f"{gl / raster:.2f}x")
    Console().print(table)
    save(args.json, result)


if __name__ == "__main__":
    main()
