"""Read ISO 8559-1 body measurements off a body mesh, the way a tape measure would.

The mesh is a standing body in the avatar frame: metres, +Y up, feet at the lowest y, facing +Z,
arms slightly away from the body (A-pose). Girths are convex-hull perimeters of plane sections
(a tape bridges hollows); landmark levels are found on the surface itself: the bust point is the
most anterior chest point, the navel the deepest dip of the front midline, the buttock level
the most posterior point of the seat, the crotch the lowest point of the mid-sagittal section,
the acromion the corner of the shoulder seen from the front, the wrist the narrowest arm ring.

Besides the values, `measure` returns for each measurement the *material points* it used
(mesh-edge interpolants), so the avatar fitter can differentiate the very same tape lines.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull

from avatars.errors import MeshError
from avatars.measurements import MEASUREMENT_KEYS

UP = np.array([0.0, 1.0, 0.0])
#: Landmark vertices of Anny's topology (13,718 vertices), picked on the mean body's midline:
#: the navel dimple, the jugular notch (where the chest turns into the neck) and cervicale (C7).
ANNY_VERTEX_COUNT = 13718
ANNY_LANDMARKS = {"omphalion": 4100, "suprasternale": 1524, "cervicale": 857}


@dataclass(frozen=True)
class Probe:
    """The tape line of one measurement as material points p = v[a] + t (v[b] - v[a]).

    kind "loop": perimeter of the closed polygon through the points in order.
    kind "span": distance between the centroids of group 0 and group 1, along `axis` if given.
    """

    kind: str
    a: np.ndarray
    b: np.ndarray
    t: np.ndarray
    group: np.ndarray | None = None
    axis: np.ndarray | None = None
    weight: np.ndarray | None = None  # per point, for weighted centroids (soft landmarks)

    def evaluate(self, vertices: torch.Tensor) -> torch.Tensor:
        """The measurement in the vertices' units for a batch of vertices (B, N, 3) -> (B,)."""
        a, b = torch.as_tensor(self.a), torch.as_tensor(self.b)
        t = torch.as_tensor(self.t, dtype=vertices.dtype)[None, :, None]
        p = vertices[:, a] + t * (vertices[:, b] - vertices[:, a])
        if self.kind == "loop":
            return (p - p.roll(1, dims=1)).norm(dim=-1).sum(dim=1)
        g = torch.as_tensor(self.group)
        w = torch.ones(len(g), dtype=vertices.dtype) if self.weight is None else torch.as_tensor(self.weight)
        w0, w1 = w[g == 0] / w[g == 0].sum(), w[g == 1] / w[g == 1].sum()
        c0 = (p[:, g == 0] * w0[None, :, None]).sum(dim=1)
        c1 = (p[:, g == 1] * w1[None, :, None]).sum(dim=1)
        if self.axis is None:
            return (c1 - c0).norm(dim=-1)
        return ((c1 - c0) @ torch.as_tensor(self.axis, dtype=vertices.dtype)).abs()


@dataclass(frozen=True)
class Section:
    """Where a plane cuts the mesh: crossing edges, their interpolants and connected loops."""

    a: np.ndarray
    b: np.ndarray
    t: np.ndarray
    points: np.ndarray
    labels: np.ndarray

    def component(self, label: int) -> "Section":
        keep = self.labels == label
        return Section(self.a[keep], self.b[keep], self.t[keep], self.points[keep], self.labels[keep])


@dataclass(frozen=True)
class MeasuredBody:
    """Measurements in cm, the landmark points found (metres), and the probes behind them."""

    values: dict[str, float]
    landmarks: dict[str, np.ndarray]
    probes: dict[str, Probe]


class _BodyMesh:
    """A body mesh with its edge topology, ready to be cut by planes."""

    def __init__(self, mesh: trimesh.Trimesh):
        vertices = np.asarray(mesh.vertices, dtype=np.float64)
        if len(vertices) < 100 or len(mesh.faces) < 100:
            raise MeshError(f"body mesh has {len(vertices)} vertices and {len(mesh.faces)} faces; "
                            "a body needs at least 100 of each")
        if not np.isfinite(vertices).all():
            raise MeshError("body mesh has NaN or infinite vertex coordinates")
        self.vertices = vertices
        self.edges, self.face_edges = _topology(np.asarray(mesh.faces))
        self.floor = vertices[:, 1].min()
        self.stature = vertices[:, 1].max() - self.floor
        if not 0.3 <= self.stature <= 3.0:
            raise MeshError(f"body mesh is {self.stature:.3f} m tall; expected metres, +Y up, 0.3-3 m")
        self.x_mid = float(np.median(vertices[:, 0]))

    def level(self, fraction: float) -> float:
        return self.floor + fraction * self.stature

    def section(self, origin: np.ndarray, normal: np.ndarray, faces: np.ndarray | None = None) -> Section:
        """Cut by a plane (optionally only these faces); points come labelled by connected loop."""
        face_edges = self.face_edges if faces is None else self.face_edges[faces]
        d = (self.vertices - origin) @ normal
        above = d >= 0
        cut = above[self.edges[face_edges, 0]] != above[self.edges[face_edges, 1]]
        two = cut.sum(axis=1) == 2
        pairs = face_edges[two][cut[two]].reshape(-1, 2)
        idx, local = np.unique(pairs, return_inverse=True)
        local = local.reshape(-1, 2)
        a, b = self.edges[idx, 0], self.edges[idx, 1]
        t = d[a] / (d[a] - d[b])
        points = self.vertices[a] + t[:, None] * (self.vertices[b] - self.vertices[a])
        graph = coo_matrix((np.ones(len(local)), (local[:, 0], local[:, 1])), shape=(len(idx), len(idx)))
        _, labels = connected_components(graph, directed=False)
        return Section(a, b, t, points, labels)


@functools.lru_cache(maxsize=4)
def _topology_cached(faces_bytes: bytes, n_faces: int) -> tuple[np.ndarray, np.ndarray]:
    mesh = trimesh.Trimesh(faces=np.frombuffer(faces_bytes, dtype=np.int64).reshape(n_faces, 3), process=False)
    return mesh.edges_unique, mesh.faces_unique_edges


def _topology(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique edges and each face's three edge ids, cached per topology (avatars share one)."""
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    return _topology_cached(faces.tobytes(), len(faces))


def _plane_basis(normal: np.ndarray) -> np.ndarray:
    """Two unit vectors spanning the plane with this normal (rows)."""
    helper = np.array([1.0, 0.0, 0.0]) if abs(normal[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
    u = np.cross(normal, helper)
    u /= np.linalg.norm(u)
    return np.stack([u, np.cross(normal, u)])


def _hull(points2d: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Convex hull vertex order (counter-clockwise), perimeter and area of 2-D points."""
    if len(points2d) < 3:
        return np.arange(len(points2d)), 0.0, 0.0
    hull = ConvexHull(points2d)
    return hull.vertices, float(hull.area), float(hull.volume)


def _loops(section: Section, normal: np.ndarray) -> list[tuple[Section, np.ndarray, float, float]]:
    """Each connected loop of a section with its hull order, tape girth (m) and enclosed area."""
    basis = _plane_basis(normal)
    out = []
    for label in np.unique(section.labels):
        loop = section.component(label)
        order, perimeter, area = _hull(loop.points @ basis.T)
        out.append((loop, order, perimeter, area))
    return out


def _loop_probe(loop: Section, order: np.ndarray) -> Probe:
    return Probe("loop", loop.a[order], loop.b[order], loop.t[order])


def _vertex_point(index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.array([index]), np.array([index]), np.array([0.0])


def _span_probe(first: tuple, second: tuple, axis: np.ndarray | None) -> Probe:
    """Distance between two material points or weighted point sets, each (a, b, t[, weight])."""
    a = np.concatenate([first[0], second[0]])
    b = np.concatenate([first[1], second[1]])
    t = np.concatenate([first[2], second[2]])
    group = np.concatenate([np.zeros(len(first[0]), int), np.ones(len(second[0]), int)])
    weight = np.concatenate([first[3] if len(first) > 3 else np.ones(len(first[0])),
                             second[3] if len(second) > 3 else np.ones(len(second[0]))])
    return Probe("span", a, b, t, group, axis, weight)


def _girth_at(body: _BodyMesh, y: float, choose: str = "largest") -> tuple[float, Probe, Section]:
    """Horizontal tape girth at height y around the torso (largest loop) or the left leg."""
    loops = _loops(body.section(np.array([0.0, y, 0.0]), UP), UP)
    if not loops:
        raise MeshError(f"no body surface at height {y:.3f} m")
    if choose == "left":
        loops = [lp for lp in loops if lp[0].points[:, 0].mean() > body.x_mid] or loops
    loop, order, perimeter, _ = max(loops, key=lambda lp: lp[3])
    return perimeter, _loop_probe(loop, order), loop


def _extreme_vertex(body: _BodyMesh, mask: np.ndarray, score: np.ndarray, what: str) -> int:
    if not mask.any():
        raise MeshError(f"could not find the {what} on the body mesh; is it standing in an A-pose?")
    candidates = np.flatnonzero(mask)
    return int(candidates[np.argmax(score[candidates])])


def _navel_level(body: _BodyMesh) -> float:
    """Height of the navel: the deepest dip of the front midline profile below its trend."""
    v = body.vertices
    band = (v[:, 1] > body.level(0.55)) & (v[:, 1] < body.level(0.66))
    near = band & (np.abs(v[:, 0] - body.x_mid) < 0.012 * body.stature)
    front = near & (v[:, 2] > np.median(v[near, 2])) if near.any() else near
    if front.sum() < 5:
        return body.level(0.6014)  # ANSUR mean omphalion height / stature
    y, z = v[front, 1], v[front, 2]
    trend = np.polyval(np.polyfit(y, z, 2), y)
    return float(y[np.argmin(z - trend)])


def _crotch(body: _BodyMesh) -> tuple[float, Probe]:
    """Crotch height: lowest point of the mid-sagittal section between the legs."""
    section = body.section(np.array([body.x_mid, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]))
    low = section.points[:, 1] < body.level(0.65)
    high = section.points[:, 1] > body.level(0.25)
    keep = np.flatnonzero(low & high)
    if len(keep) == 0:
        raise MeshError("could not find the crotch: no body surface on the mid-sagittal plane")
    i = keep[np.argmin(section.points[keep, 1])]
    bottom = int(np.argmin(body.vertices[:, 1]))
    point = (section.a[[i]], section.b[[i]], section.t[[i]])
    return float(section.points[i, 1]), _span_probe(_vertex_point(bottom), point, UP)


def _soft_extreme(body: _BodyMesh, mask: np.ndarray, score: np.ndarray, what: str,
                  softness: float = 0.004) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A landmark as the softmax-weighted mean of the best-scoring vertices (moves smoothly)."""
    if not mask.any():
        raise MeshError(f"could not find the {what} on the body mesh; is it standing in an A-pose?")
    idx = np.flatnonzero(mask)
    w = np.exp((score[idx] - score[idx].max()) / softness)
    keep = w > 1e-4
    idx, w = idx[keep], w[keep] / w[keep].sum()
    return idx, idx, np.zeros(len(idx)), w


def _acromia(body: _BodyMesh) -> tuple[tuple, tuple]:
    """Left and right acromion: the shoulder corner, where the shoulder line turns into the arm."""
    v = body.vertices
    upper = (v[:, 1] > body.level(0.72)) & (v[:, 1] < body.level(0.88))
    lateral = v[:, 0] - body.x_mid
    score = v[:, 1] + 0.7 * np.abs(lateral)
    left = _soft_extreme(body, upper & (lateral > 0.05 * body.stature), score, "left acromion")
    right = _soft_extreme(body, upper & (lateral < -0.05 * body.stature), score, "right acromion")
    return left, right


def _point(body: _BodyMesh, point: tuple) -> np.ndarray:
    a, b, t, w = point
    p = body.vertices[a] + t[:, None] * (body.vertices[b] - body.vertices[a])
    return (w[:, None] * p).sum(axis=0)


def _neck_base(body: _BodyMesh, front: np.ndarray, back: np.ndarray) -> tuple[float, Probe]:
    """Neck base girth in the plane through the jugular notch and cervicale (square to the midline).

    Where the shoulders rise above that plane (muscular trapezius) the tape rides up over them:
    the plane is shifted up the neck to the lowest level whose loop is the neck alone.
    """
    normal = np.cross(np.array([1.0, 0.0, 0.0]), back - front)
    normal = normal * np.sign(normal[1]) / np.linalg.norm(normal)
    sagittal = (back - front) / np.linalg.norm(back - front)
    origin = 0.5 * (front + back)
    near = np.linalg.norm(body.vertices - origin, axis=1) < 0.15 * body.stature
    faces = np.flatnonzero(near[body.edges[body.face_edges, 0]].all(axis=1))

    def loop_at(shift: float):
        centre = origin + shift * normal
        loops = _loops(body.section(centre, normal, faces), normal)
        if not loops:
            raise MeshError("could not find the neck base")
        loop, order, perimeter, _ = min(loops, key=lambda lp: np.linalg.norm(lp[0].points.mean(0) - centre))
        width = np.ptp(loop.points[:, 0])
        depth = np.ptp(loop.points @ sagittal)
        return loop, order, perimeter, width < 1.5 * depth

    low, high = 0.0, 0.0
    for high in np.linspace(0.0, 0.05, 11) * body.stature:
        if loop_at(high)[3]:
            break
        low = high
    for _ in range(4 if high > 0 else 0):
        middle = 0.5 * (low + high)
        low, high = (low, middle) if loop_at(middle)[3] else (middle, high)
    loop, order, perimeter, _ = loop_at(high)
    return perimeter, _loop_probe(loop, order)


def _wrist(body: _BodyMesh, start: np.ndarray) -> tuple[float, Section, np.ndarray]:
    """The narrowest ring of the distal arm between acromion and fingertip.

    Rings are cut perpendicular to the acromion-fingertip line; the minimum of their tape
    perimeters is refined by a parabola so the wrist moves continuously with the body shape.
    """
    v = body.vertices
    side = np.sign(start[0] - body.x_mid)
    tip = v[int(np.argmax(side * (v[:, 0] - body.x_mid)))]
    axis = (tip - start) / np.linalg.norm(tip - start)
    reach = float((tip - start) @ axis)
    rel = v - start
    along = rel @ axis
    radial = np.linalg.norm(rel - along[:, None] * axis, axis=1)
    near = (radial < 0.08 * body.stature) & (along > 0.5 * reach)
    faces = np.flatnonzero(near[body.edges[body.face_edges, 0]].all(axis=1))

    def ring(u: float) -> tuple[Section, np.ndarray, float] | None:
        centre = start + u * axis
        section = body.section(centre, axis, faces)
        if len(section.t) < 3:
            return None
        loop, order, perimeter, _ = min(
            _loops(section, axis), key=lambda lp: np.linalg.norm(lp[0].points.mean(0) - centre))
        return loop, order, perimeter

    steps = np.linspace(0.62, 0.9, 15) * reach
    rings = [ring(u) for u in steps]
    perimeters = np.array([r[2] if r else np.inf for r in rings])
    if not np.isfinite(perimeters).any():
        raise MeshError("could not find the wrist: the arm does not reach away from the body")
    k = int(np.clip(np.argmin(perimeters), 1, len(steps) - 2))
    p0, p1, p2 = perimeters[k - 1: k + 2]
    curvature = p0 - 2 * p1 + p2
    offset = 0.5 * (p0 - p2) / curvature if np.isfinite(curvature) and curvature > 0 else 0.0
    best = ring(steps[k] + float(np.clip(offset, -1, 1)) * (steps[1] - steps[0])) or rings[k]
    loop = best[0]
    centroid = loop.points.mean(0)
    return float(np.linalg.norm(centroid - start)), loop, centroid


def measure_body(mesh: trimesh.Trimesh) -> MeasuredBody:
    """Measure a standing body mesh (avatar frame); values in cm, see the module docstring."""
    body = _BodyMesh(mesh)
    v = body.vertices
    values: dict[str, float] = {}
    probes: dict[str, Probe] = {}
    landmarks: dict[str, np.ndarray] = {}

    top, bottom = int(np.argmax(v[:, 1])), int(np.argmin(v[:, 1]))
    values["stature"] = body.stature
    probes["stature"] = _span_probe(_vertex_point(bottom), _vertex_point(top), UP)
    landmarks["vertex"] = v[top]

    central = np.abs(v[:, 0] - body.x_mid)
    chest_band = (v[:, 1] > body.level(0.66)) & (v[:, 1] < body.level(0.79))
    bust = _extreme_vertex(body, chest_band & (central < 0.07 * body.stature), v[:, 2], "bust point")
    landmarks["bust_point"] = v[bust]
    values["chest"], probes["chest"], _ = _girth_at(body, v[bust, 1])

    anny_topology = len(v) == ANNY_VERTEX_COUNT
    navel_y = v[ANNY_LANDMARKS["omphalion"], 1] if anny_topology else _navel_level(body)
    landmarks["omphalion"] = np.array([body.x_mid, navel_y, 0.0])
    values["waist"], probes["waist"], _ = _girth_at(body, navel_y)

    crotch_y, probes["inseam"] = _crotch(body)
    values["inseam"] = crotch_y - body.floor
    landmarks["crotch"] = np.array([body.x_mid, crotch_y, 0.0])

    seat = (v[:, 1] > crotch_y) & (v[:, 1] < navel_y) & (central < 0.08 * body.stature)
    buttock = _extreme_vertex(body, seat, -v[:, 2], "buttock protrusion")
    landmarks["buttock"] = v[buttock]
    values["hip"], probes["hip"], _ = _girth_at(body, v[buttock, 1])

    values["thigh"], probes["thigh"], _ = _girth_at(body, crotch_y - 0.015 * body.stature, "left")

    if anny_topology:
        front, back = v[ANNY_LANDMARKS["suprasternale"]], v[ANNY_LANDMARKS["cervicale"]]
    else:  # ANSUR's mean heights of the jugular notch and cervicale, on the neck's front and back
        ring = (np.abs(v[:, 1] - body.level(0.836)) < 0.01 * body.stature) & (central < 0.04 * body.stature)
        if not ring.any():
            raise MeshError("could not find the neck")
        front = np.array([body.x_mid, body.level(0.818), v[ring, 2].max()])
        back = np.array([body.x_mid, body.level(0.861), v[ring, 2].min()])
    landmarks["suprasternale"], landmarks["cervicale"] = front, back
    values["neck_base"], probes["neck_base"] = _neck_base(body, front, back)

    left, right = _acromia(body)
    landmarks["acromion_left"], landmarks["acromion_right"] = _point(body, left), _point(body, right)
    values["shoulder_breadth"] = abs(landmarks["acromion_left"][0] - landmarks["acromion_right"][0])
    probes["shoulder_breadth"] = _span_probe(right, left, np.array([1.0, 0, 0]))

    values["arm_length"], wrist, landmarks["wrist_left"] = _wrist(body, landmarks["acromion_left"])
    probes["arm_length"] = _span_probe(left, (wrist.a, wrist.b, wrist.t), None)

    values = {k: round(100.0 * values[k], 2) for k in MEASUREMENT_KEYS}
    return MeasuredBody(values, landmarks, probes)


def measure(mesh: trimesh.Trimesh) -> dict[str, float]:
    """ISO 8559-1 measurements (cm) of a standing body mesh in the avatar frame."""
    return measure_body(mesh).values
