"""Render with pyrender through an off-screen GL context (OSMesa or EGL, Mesa's CPU drivers)."""

from __future__ import annotations

import os

import numpy as np

from engine.render.scene import AMBIENT, MATERIALS, THREE_POINT, Camera, RenderItem

# PyOpenGL picks its platform once, at import: default to OSMesa where no display exists.
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")


class GLUnavailable(RuntimeError):
    """No off-screen GL context can be made here (no OSMesa/EGL library, or it failed)."""


_renderers: dict[tuple[int, int], object] = {}


def _renderer(width: int, height: int):
    try:
        import pyrender
    except Exception as exc:  # ImportError, or OpenGL failing to find the platform library
        raise GLUnavailable(f"pyrender cannot load: {exc}") from exc
    key = (width, height)
    if key not in _renderers:
        try:
            _renderers[key] = pyrender.OffscreenRenderer(width, height)
        except Exception as exc:
            raise GLUnavailable(f"no off-screen GL context ({os.environ.get('PYOPENGL_PLATFORM')}): {exc}") from exc
    return _renderers[key]


def _light_pose(direction: np.ndarray) -> np.ndarray:
    """A directional light's pose: pyrender lights shine along their -Z axis."""
    z = direction / np.linalg.norm(direction)
    x = np.cross([0.0, 1.0, 0.0], z)
    x = x / np.linalg.norm(x) if np.linalg.norm(x) > 1e-6 else np.array([1.0, 0.0, 0.0])
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2] = x, np.cross(z, x), z
    return pose


def render_gl(items: list[RenderItem], camera: Camera, background: tuple[float, float, float, float]) -> np.ndarray:
    """RGBA uint8 image (H, W, 4); alpha is 0 where no surface was hit."""
    import pyrender

    renderer = _renderer(camera.width, camera.height)
    scene = pyrender.Scene(bg_color=np.asarray(background, dtype=np.float64), ambient_light=np.full(3, AMBIENT))
    for item in items:
        roughness, metallic, _ = MATERIALS.get(item.material, MATERIALS["cloth"])
        material = pyrender.MetallicRoughnessMaterial(
            baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=metallic, roughnessFactor=roughness,
            doubleSided=True)
        mesh = pyrender.Mesh([pyrender.Primitive(
            positions=np.asarray(item.mesh.vertices, dtype=np.float32),
            normals=np.asarray(item.mesh.vertex_normals, dtype=np.float32),
            indices=np.asarray(item.mesh.faces, dtype=np.uint32),
            color_0=item.vertex_colors().astype(np.float32),
            material=material, mode=4)])
        scene.add(mesh)
    for direction, intensity, color in THREE_POINT:
        scene.add(pyrender.DirectionalLight(color=color, intensity=intensity), pose=_light_pose(direction))
    ortho = pyrender.OrthographicCamera(xmag=camera.half_width, ymag=camera.half_height,
                                        znear=0.05, zfar=2 * camera.distance + 10)
    scene.add(ortho, pose=camera.pose)
    color, depth = renderer.render(scene, flags=pyrender.RenderFlags.RGBA)
    if color.shape[2] == 3:  # OSMesa reads back RGB only: alpha from the depth buffer
        alpha = np.where(depth > 0, 255, int(round(255 * background[3]))).astype(np.uint8)
        color = np.concatenate([color, alpha[:, :, None]], axis=2)
    return np.ascontiguousarray(color)
