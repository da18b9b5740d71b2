"""Headless renders: GL (OSMesa) and the numpy rasteriser agree, and pictures have true proportions."""

from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import ROOT

from engine.render import RenderItem, render, save_png, turntable
from engine.render.scene import frame_camera


def silhouette(image: np.ndarray) -> np.ndarray:
    return image[:, :, 3] > 127


@pytest.mark.parametrize("view", ["front", "side", "back", 30.0])
def test_gl_and_raster_silhouettes_agree(example_avatar, view):
    items = [RenderItem(example_avatar.mesh)]
    gl = silhouette(render(items, view, size=(384, 512), backend="gl"))
    raster = silhouette(render(items, view, size=(384, 512), backend="raster"))
    iou = (gl & raster).sum() / (gl | raster).sum()
    assert iou >= 0.95, iou
    assert gl.sum() > 0.05 * gl.size  # the body fills a real part of the frame


@pytest.mark.parametrize("backend", ["gl", "raster"])
def test_silhouette_height_is_stature(example_avatar, backend):
    items = [RenderItem(example_avatar.mesh)]
    camera = frame_camera(items, 256, 512, "front")
    rows = np.flatnonzero(silhouette(render(items, size=(256, 512), backend=backend, camera=camera)).any(axis=1))
    height_m = (rows[-1] - rows[0] + 1) / camera.pixels_per_metre
    stature_m = example_avatar.measured["stature"] / 100.0
    assert height_m == pytest.approx(stature_m, abs=2.0 / camera.pixels_per_metre)


def test_shading_shows_skin_not_flat_colour(example_avatar):
    image = render([RenderItem(example_avatar.mesh)], size=(256, 512), backend="gl")
    skin = image[silhouette(image)][:, :3].astype(float)
    assert skin[:, 0].mean() > skin[:, 2].mean() + 20  # warm skin tone: more red than blue
    assert skin[:, 0].std() > 8  # lit from three sides, not one flat colour


def test_background_colour_and_transparency(example_avatar):
    items = [RenderItem(example_avatar.mesh)]
    clear = render(items, size=(128, 256), backend="gl", background=(1.0, 1.0, 1.0, 0.0))
    green = render(items, size=(128, 256), backend="raster", background=(0.0, 1.0, 0.0, 1.0))
    assert clear[0, 0, 3] == 0
    assert tuple(green[0, 0]) == (0, 255, 0, 255)


def test_turntable_mp4_has_every_frame(example_avatar, tmp_path):
    path = turntable([RenderItem(example_avatar.mesh)], tmp_path / "spin.mp4", frames=8, size=(128, 256))
    video = cv2.VideoCapture(str(path))
    frames = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, first = video.read()
    assert ok and frames == 8 and first.shape == (256, 128, 3)
    assert (first < 200).any()  # the body is in the picture, not just background


def test_falls_back_to_the_rasteriser_without_gl(example_avatar, tmp_path):
    """With no usable GL platform the automatic choice still renders (in a fresh process)."""
    mesh_path = tmp_path / "body.obj"
    example_avatar.export(mesh_path)
    script = (
        "import trimesh, numpy as np\n"
        "from engine.render import render, RenderItem\n"
        f"mesh = trimesh.load({str(mesh_path)!r}, process=False)\n"
        "image = render([RenderItem(mesh)], size=(64, 128))\n"
        "print(int((image[:, :, 3] > 0).sum()))\n"
    )
    env = {**os.environ, "PYOPENGL_PLATFORM": "no-such-platform", "FITROOM_RENDERER": "auto"}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 500
    assert "rasteriser" in done.stderr


def test_png_round_trip(example_avatar, tmp_path):
    image = render([RenderItem(example_avatar.mesh)], size=(64, 128), backend="raster")
    back = cv2.imread(str(save_png(image, tmp_path / "a.png")), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(cv2.cvtColor(back, cv2.COLOR_BGRA2RGBA), image)
