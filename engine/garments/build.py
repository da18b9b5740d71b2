"""Build a garment of a chart size on an avatar: its rest shape (what was sewn) and where it starts.

A garment is cut from the avatar's own surface (torso, arms, legs, as the category needs), its
edges straightened onto the neckline, hem and sleeve planes, smoothed so it bridges hollows as
cloth does, and offset along the normals so that its girths are the chart's: where the chart
is smaller than the body the rest shape lies inside it, and the drape will stretch it. Skirts
(and a dress below the hips) are tubes hung from the hip line out to the hem girth.
Panels are kept as per-vertex region labels (torso, sleeve, leg, skirt).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.spatial import cKDTree

from avatars import Avatar
from avatars.body_model import BodyModel, load_body_model
from avatars.tape import ANNY_LANDMARKS, anny_landmarks, girth_at_height, girth_in_plane
from engine.garments.charts import (
    CATEGORIES,
    CHART_GENDER,
    Fabric,
    GarmentError,
    load_chart,
    load_fabric,
)

CLEARANCE_M = 0.006  # where a garment starts, at least this far outside the skin
RING_SPACING_M = 0.02  # skirt tubes


@dataclass
class Garment:
    """A garment ready to drape: rest and start positions share faces; labels name the panels."""

    category: str
    size: str
    fabric: Fabric
    faces: np.ndarray
    rest: np.ndarray  # (N, 3) sewn shape, metres, avatar frame
    start: np.ndarray  # (N, 3) collision-free first guess
    regions: np.ndarray  # (N,) "torso", "sleeve_left", "sleeve_right", "leg_left", "leg_right", "skirt"
    pinned: np.ndarray  # (N,) bool: held by an elastic waistband
    measurements: dict
    rest_edge_m: np.ndarray | None = None  # per unique edge, when the rest shape is flat panels rather than `rest`

    def mesh(self, positions: np.ndarray | None = None) -> trimesh.Trimesh:
        return trimesh.Trimesh(self.start if positions is None else positions, self.faces, process=False)


@dataclass(frozen=True)
class _Landmarks:
    """What garment building needs to know of the body, in metres."""

    floor: float
    crotch: float
    navel: float
    buttock: float
    bust: float
    neck_front: np.ndarray
    neck_back: np.ndarray
    acromion_left: np.ndarray
    acromion_right: np.ndarray
    wrist_left: np.ndarray
    wrist_right: np.ndarray

    @property
    def neck_normal(self) -> np.ndarray:
        """Upward normal of the neck base plane (through the jugular notch and cervicale, square to the midline)."""
        normal = np.cross([1.0, 0.0, 0.0], self.neck_back - self.neck_front)
        return normal * np.sign(normal[1]) / np.linalg.norm(normal)


def body_landmarks(avatar: Avatar) -> _Landmarks:
    """The body landmarks garments are cut and read at (metres, avatar frame)."""
    v = avatar.vertices
    found = avatar.landmarks
    lm = {**anny_landmarks(), **ANNY_LANDMARKS}
    return _Landmarks(
        floor=float(v[:, 1].min()), crotch=float(found["crotch"][1]),
        navel=float(v[lm["omphalion"], 1]), buttock=float(found["buttock"][1]),
        bust=float(found["bust_point"][1]),
        neck_front=v[lm["suprasternale"]], neck_back=v[lm["cervicale"]],
        acromion_left=v[lm["acromion_left"]], acromion_right=v[lm["acromion_right"]],
        wrist_left=v[lm["wrist_left"]].mean(axis=0), wrist_right=v[lm["wrist_right"]].mean(axis=0))


def boundary_loops(mesh: trimesh.Trimesh) -> list[np.ndarray]:
    """Ordered vertex loops along the open edges of a mesh."""
    outline = mesh.outline()
    return [np.asarray(entity.points[:-1] if entity.closed else entity.points) for entity in outline.entities]


def _submesh(vertices: np.ndarray, faces: np.ndarray, keep_vertex: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The faces whose three vertices are kept, re-indexed; returns (vertices, faces, old indices)."""
    keep_faces = faces[keep_vertex[faces].all(axis=1)]
    used = np.unique(keep_faces)
    remap = np.full(len(vertices), -1)
    remap[used] = np.arange(len(used))
    mesh = trimesh.Trimesh(vertices[used], remap[keep_faces], process=False)
    parts = mesh.split(only_watertight=False)
    if len(parts) > 1:  # drop islands (a stray face or two at the cut)
        biggest = max(parts, key=lambda m: len(m.faces))
        index = {tuple(np.round(p, 9)): i for i, p in enumerate(mesh.vertices)}
        used = used[[index[tuple(np.round(p, 9))] for p in biggest.vertices]]
        mesh = biggest
    return np.asarray(mesh.vertices), np.asarray(mesh.faces), used


def _arm_reach(v: np.ndarray, acromion: np.ndarray, wrist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    axis = (wrist - acromion) / np.linalg.norm(wrist - acromion)
    return (v - acromion) @ axis, axis


def _select(avatar: Avatar, model: BodyModel, lm: _Landmarks, construction: str, size: dict) -> np.ndarray:
    """Which body vertices the garment covers."""
    v, parts = avatar.vertices, model.part_labels
    below_neck = (v - lm.neck_front + 0.01 * lm.neck_normal) @ lm.neck_normal < 0
    if construction in ("top", "dress"):
        if construction == "top":
            hem = max(lm.neck_back[1] - size["body_length"] / 100.0, lm.crotch + 0.03)
        else:
            hem = lm.buttock
        keep = (parts == "torso") & below_neck & (v[:, 1] >= hem)
        if construction == "top":
            for acromion, wrist in ((lm.acromion_left, lm.wrist_left), (lm.acromion_right, lm.wrist_right)):
                reach, _ = _arm_reach(v, acromion, wrist)
                side = np.sign(v[:, 0]) == np.sign(acromion[0])
                keep |= (parts == "arm") & side & (reach <= size["sleeve_length"] / 100.0)
        return keep
    if construction == "trousers":
        hem = max(lm.crotch - size["inseam"] / 100.0, lm.floor + 0.03)
        return ((parts == "torso") & (v[:, 1] <= lm.navel) & (v[:, 1] >= lm.crotch - 0.05)) | (
            (parts == "leg") & (v[:, 1] >= hem))
    if construction == "skirt":
        return (parts == "torso") & (v[:, 1] <= lm.navel) & (v[:, 1] >= lm.buttock)
    raise GarmentError(f"unknown construction {construction!r}")


def _straighten(vertices: np.ndarray, mesh: trimesh.Trimesh, lm: _Landmarks, construction: str, size: dict) -> dict:
    """Project each open edge loop onto its cutting plane; returns the loops by name."""
    loops = boundary_loops(mesh)
    named = {}
    for loop in loops:
        centre = vertices[loop].mean(axis=0)
        if construction in ("top", "dress") and centre[1] > lm.bust:
            name, normal = "neck", lm.neck_normal
            origin = lm.neck_front - 0.01 * normal
        elif construction in ("trousers", "skirt") and centre[1] > 0.5 * (lm.navel + lm.buttock):
            name, origin, normal = "waist", np.array([0.0, lm.navel, 0.0]), np.array([0.0, 1.0, 0.0])
        elif construction == "top" and abs(centre[0]) > abs(lm.acromion_left[0]) and centre[1] > lm.crotch:
            left = centre[0] > 0
            acromion, wrist = (lm.acromion_left, lm.wrist_left) if left else (lm.acromion_right, lm.wrist_right)
            _, axis = _arm_reach(vertices, acromion, wrist)
            name = "sleeve_left" if left else "sleeve_right"
            origin, normal = acromion + axis * size["sleeve_length"] / 100.0, axis
        else:
            side = "" if construction in ("top", "dress", "skirt") else ("_left" if centre[0] > 0 else "_right")
            y = vertices[loop, 1].min() if construction in ("dress", "skirt") else vertices[loop, 1].mean()
            name, origin, normal = "hem" + side, np.array([0.0, y, 0.0]), np.array([0.0, 1.0, 0.0])
        vertices[loop] -= ((vertices[loop] - origin) @ normal)[:, None] * normal
        named[name] = loop
    return named


def _tube(vertices: np.ndarray, faces: np.ndarray, loop: np.ndarray, hem_y: float,
          hem_girth: float, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Extend the mesh below a horizontal boundary loop by rings that widen to the hem girth."""
    ring = vertices[loop]
    centre = ring.mean(axis=0)
    top_y = ring[:, 1].mean()
    top_girth = np.linalg.norm(ring - np.roll(ring, 1, axis=0), axis=1).sum()
    n = len(loop)
    new_vertices, rows = [], [loop]
    for k in range(1, count + 1):
        f = k / count
        scale = (top_girth + f * (hem_girth - top_girth)) / top_girth
        points = centre + (ring - centre) * [scale, 0.0, scale]
        points[:, 1] = top_y + f * (hem_y - top_y)
        rows.append(len(vertices) + (k - 1) * n + np.arange(n))
        new_vertices.append(points)
    quads = []
    for upper, lower in zip(rows[:-1], rows[1:]):
        a, b, c, d = upper, np.roll(upper, -1), lower, np.roll(lower, -1)
        quads += [np.stack([a, c, b], axis=1), np.stack([b, c, d], axis=1)]
    return np.concatenate([vertices, *new_vertices]), np.concatenate([faces, *quads])


def build_garment(avatar: Avatar, category: str, size: str, gender: str | None = None,
                  model: BodyModel | None = None) -> Garment:
    """The garment `category` in chart size `size`, cut and sized for this avatar."""
    if category not in CATEGORIES:
        raise GarmentError(f"unknown garment {category!r}; choose one of {sorted(CATEGORIES)}")
    model = model or load_body_model()
    gender = gender or CHART_GENDER.get(avatar.inputs.get("sex", ""), "women")
    chart = load_chart(category, gender)
    measurements = chart.size(size)
    fabric_name, construction = CATEGORIES[category]
    lm = body_landmarks(avatar)

    keep = _select(avatar, model, lm, construction, measurements)
    vertices, faces, source = _submesh(avatar.vertices, avatar.faces, keep)
    parts = model.part_labels[source]
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    trimesh.smoothing.filter_taubin(mesh, iterations=8)
    vertices = np.asarray(mesh.vertices).copy()
    loops = _straighten(vertices, mesh, lm, construction, measurements)

    regions = np.where(parts == "arm", np.where(vertices[:, 0] > 0, "sleeve_left", "sleeve_right"),
                       np.where(parts == "leg", np.where(vertices[:, 0] > 0, "leg_left", "leg_right"), "torso"))
    offset = _offsets(avatar, lm, vertices, regions, construction, measurements)
    normals = trimesh.Trimesh(vertices, faces, process=False).vertex_normals
    rest = vertices + normals * offset[:, None]
    start = vertices + normals * np.maximum(offset, CLEARANCE_M)[:, None]
    body_count = len(rest)
    if construction in ("dress", "skirt"):
        length = measurements["length"] / 100.0
        top = lm.neck_back[1] if construction == "dress" else lm.navel
        hem_y = max(top - length, lm.floor + 0.05)
        hem_girth = measurements["hem"] / 100.0
        rings = max(2, int(np.ceil((rest[loops["hem"], 1].mean() - hem_y) / RING_SPACING_M)))
        rest, tube_faces = _tube(rest, faces, loops["hem"], hem_y, hem_girth, rings)
        start, _ = _tube(start, faces, loops["hem"], hem_y, hem_girth, rings)
        faces = tube_faces
        regions = np.concatenate([regions, np.full(len(rest) - body_count, "skirt")])
    if len(rest) < 5000:  # cloth wants ~1 cm resolution: split every triangle in four
        rest_sub, faces_sub = trimesh.remesh.subdivide(rest, faces)
        start, _ = trimesh.remesh.subdivide(start, faces)
        nearest = cKDTree(rest).query(rest_sub)[1]  # new midpoints take a neighbour's panel
        regions, rest, faces = regions[nearest], rest_sub, faces_sub
    pinned = np.zeros(len(rest), dtype=bool)
    if construction in ("trousers", "skirt"):  # an elastic waistband holds the garment up
        pinned = np.abs(rest[:, 1] - rest[:, 1].max()) < 1e-4
    return Garment(category, measurements["label"], load_fabric(fabric_name), faces, rest, start,
                   regions, pinned, dict(measurements))


def _offsets(avatar: Avatar, lm: _Landmarks, vertices: np.ndarray, regions: np.ndarray,
             construction: str, size: dict) -> np.ndarray:
    """How far out (m, negative: in) each vertex moves so the garment has the chart's girths."""
    mesh = avatar.mesh

    def ease(garment_cm: float, body_m: float) -> float:
        return (garment_cm / 100.0 - body_m) / (2 * np.pi)

    y = vertices[:, 1]
    offset = np.zeros(len(vertices))
    torso = regions == "torso"
    if construction in ("top", "dress"):
        levels = [(lm.bust, ease(size["chest"], avatar.measured["chest"] / 100.0)),
                  (lm.navel, ease(size["waist"], avatar.measured["waist"] / 100.0))]
        if construction == "top":
            hem_y = y[torso].min()
            levels.append((hem_y + 0.01, ease(size["hem"], girth_at_height(mesh, hem_y + 0.01))))
        else:
            levels.append((lm.buttock, ease(size["hip"], avatar.measured["hip"] / 100.0)))
        heights, values = zip(*sorted(levels))
        offset[torso] = np.interp(y[torso], heights, values)
        for side, acromion, wrist in (("left", lm.acromion_left, lm.wrist_left), ("right", lm.acromion_right, lm.wrist_right)):
            sleeve = regions == f"sleeve_{side}"
            if sleeve.any():
                _, axis = _arm_reach(vertices, acromion, wrist)
                end = acromion + axis * size["sleeve_length"] / 100.0
                arm = girth_in_plane(mesh, end, axis)
                offset[sleeve] = max(ease(size["sleeve_opening"], arm), ease(size["chest"], avatar.measured["chest"] / 100.0) * 0.5)
    else:
        levels = [(lm.navel, ease(size["waist"], avatar.measured["waist"] / 100.0)),
                  (lm.buttock, ease(size["hip"], avatar.measured["hip"] / 100.0))]
        heights, values = zip(*sorted(levels))
        offset[torso] = np.interp(y[torso], heights, values)
        legs = np.isin(regions, ["leg_left", "leg_right"])
        if legs.any():
            thigh_y = lm.crotch - 0.015 * (avatar.measured["stature"] / 100.0)
            hem_y = y[legs].min() + 0.01
            leg_levels = [(hem_y, ease(size["leg_opening"], girth_at_height(mesh, hem_y, side="left"))),
                          (thigh_y, ease(size["thigh"], avatar.measured["thigh"] / 100.0)),
                          (lm.crotch + 0.05, values[0] if heights[0] == lm.buttock else values[-1])]
            h, val = zip(*sorted(leg_levels))
            offset[legs] = np.interp(y[legs], h, val)
    return offset
