"""A numpy z-buffer rasteriser: the renderer of last resort where no GL context can be made.

Triangles are bucketed by their pixel bounding-box size; each bucket tests all its candidate
pixels at once with edge functions, and the nearest fragment per pixel wins (a lexsort), so
there is no Python loop over triangles or pixels. Shading is per-pixel Lambert plus a
Blinn-Phong highlight under the same three lights as the GL renderer.
"""

from __future__ import annotations

import numpy as np

from engine.render.scene import AMBIENT, MATERIALS, THREE_POINT, Camera, RenderItem

_LIGHT_SCALE = 0.3  # maps pyrender-style intensities to Lambert weights of similar brightness


def _fragments(px: np.ndarray, depth: np.ndarray, faces: np.ndarray, width: int, height: int):
    """Covered pixels of all triangles: (pixel index, depth, face index, barycentrics (n, 3))."""
    tri = px[faces]  # (F, 3, 2)
    lo = np.ceil(tri.min(axis=1) - 0.5).astype(np.int64)
    hi = np.floor(tri.max(axis=1) - 0.5).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [width - 1, height - 1])
    size = (hi - lo + 1).max(axis=1)
    (x0, y0), (x1, y1), (x2, y2) = tri[:, 0].T, tri[:, 1].T, tri[:, 2].T
    area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
    valid = (size > 0) & (np.abs(area) > 1e-12)
    bucket = np.ceil(np.log2(np.maximum(size, 1))).astype(int)
    out = []
    for b in np.unique(bucket[valid]):
        f = np.flatnonzero(valid & (bucket == b))
        side = 2 ** b
        oy, ox = np.divmod(np.arange(side * side), side)
        x = lo[f, 0, None] + ox  # (nf, side^2)
        y = lo[f, 1, None] + oy
        cx, cy = x + 0.5, y + 0.5
        t = tri[f]
        w0 = (t[:, 1, 0, None] - cx) * (t[:, 2, 1, None] - cy) - (t[:, 2, 0, None] - cx) * (t[:, 1, 1, None] - cy)
        w1 = (t[:, 2, 0, None] - cx) * (t[:, 0, 1, None] - cy) - (t[:, 0, 0, None] - cx) * (t[:, 2, 1, None] - cy)
        w2 = area[f, None] - w0 - w1
        sign = np.sign(area[f])[:, None]
        inside = (w0 * sign >= 0) & (w1 * sign >= 0) & (w2 * sign >= 0)
        inside &= (x <= hi[f, 0, None]) & (y <= hi[f, 1, None])
        rows, cols = np.nonzero(inside)
        bary = np.stack([w0[rows, cols], w1[rows, cols], w2[rows, cols]], axis=1) / area[f][rows, None]
        face = f[rows]
        z = (bary * depth[faces[face]]).sum(axis=1)
        out.append((y[rows, cols] * width + x[rows, cols], z, face, bary))
    if not out:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64), np.zeros((0, 3))
    return tuple(np.concatenate(parts) for parts in zip(*out))


def render_raster(items: list[RenderItem], camera: Camera, background: tuple[float, float, float, float]) -> np.ndarray:
    """RGBA uint8 image (H, W, 4) of the items; alpha 0 where nothing was hit."""
    w, h = camera.width, camera.height
    positions, normals, colors, materials, faces = [], [], [], [], []
    offset = 0
    for item in items:
        positions.append(np.asarray(item.mesh.vertices, dtype=np.float64))
        normals.append(np.asarray(item.mesh.vertex_normals, dtype=np.float64))
        colors.append(item.vertex_colors())
        materials.append(np.full(len(item.mesh.vertices), 0 if item.material == "skin" else 1))
        faces.append(np.asarray(item.mesh.faces) + offset)
        offset += len(item.mesh.vertices)
    positions, normals, colors = np.concatenate(positions), np.concatenate(normals), np.concatenate(colors)
    materials, faces = np.concatenate(materials), np.concatenate(faces)
    px, depth = camera.project(positions)
    pixel, z, face, bary = _fragments(px, depth, faces, w, h)

    image = np.tile(np.asarray(background, dtype=np.float64), (h * w, 1))
    if len(pixel):
        order = np.lexsort((z, pixel))
        first = order[np.r_[True, pixel[order][1:] != pixel[order][:-1]]]
        pixel, face, bary = pixel[first], face[first], bary[first]
        corners = faces[face]
        n = (bary[:, :, None] * normals[corners]).sum(axis=1)
        n /= np.linalg.norm(n, axis=1, keepdims=True) + 1e-12
        to_camera = camera.pose[:3, 2]
        n *= np.where(n @ to_camera < 0, -1.0, 1.0)[:, None]  # two-sided, like doubleSided GL
        albedo = (bary[:, :, None] * colors[corners]).sum(axis=1)
        specular_strength = np.array([MATERIALS["skin"][2], MATERIALS["cloth"][2]])[materials[corners[:, 0]]]
        light = np.full((len(pixel), 3), AMBIENT)
        highlight = np.zeros((len(pixel), 3))
        for direction, intensity, color in THREE_POINT:
            d = direction / np.linalg.norm(direction)
            lambert = np.clip(n @ d, 0.0, None)
            light += _LIGHT_SCALE * intensity * lambert[:, None] * color
            half = (d + to_camera) / np.linalg.norm(d + to_camera)
            highlight += (_LIGHT_SCALE * intensity * specular_strength
                          * np.clip(n @ half, 0.0, None) ** 32)[:, None] * color
        rgb = np.clip(albedo[:, :3] * light + highlight, 0.0, 1.0)
        image[pixel] = np.concatenate([rgb, np.ones((len(pixel), 1))], axis=1)
    return (image.reshape(h, w, 4) * 255.0 + 0.5).astype(np.uint8)
