"""Read ISO 8559-1 body measurements off a body mesh, the way a tape measure would.

The mesh is a standing body in the avatar frame: metres, +Y up, feet at the lowest y, facing +Z,
arms slightly away from the body (A-pose). Girths are convex-hull perimeters of plane sections
(a tape bridges hollows). Landmark levels are found on the surface itself: the bust point is
the most anterior chest point, the buttock level the most posterior point of the seat.

Bony landmarks (nipple, navel, crotch, acromion, wrist, the neck base line) are surface vertices on
Anny's topology, picked once on the mean body by `scripts/find_anny_landmarks.py`, so they move
with the body like the real ones. Any other mesh gets them from geometry: the navel as the
deepest dip of the front midline, the crotch as the lowest point of the mid-sagittal section,
the acromion as the corner of the shoulder seen from the front, the wrist as the narrowest
forearm ring before the hand and the elbow where the arm bends, the neck base in the plane
through the jugular notch and cervicale. Arm length runs acromion - elbow - wrist.

Besides the values, `measure_body` returns the *material points* behind each measurement
(mesh-edge interpolants), so the avatar fitter can differentiate the very same tape lines.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, QhullError

from avatars.errors import MeshError
from avatars.measurements import MEASUREMENT_KEYS

UP = np.array([0.0, 1.0, 0.0])
LATERAL = np.array([1.0, 0.0, 0.0])
ANNY_VERTEX_COUNT = 13718
ANNY_LANDMARKS_PATH = Path(__file__).resolve().parent.parent / "assets" / "models" / "anny_landmarks.json"
#: Picked by hand on the mean body's midline: the navel dimple, the jugular notch (where the
#: chest turns into the neck) and cervicale (C7). The rest comes from ANNY_LANDMARKS_PATH.
ANNY_LANDMARKS = {"omphalion": 4100, "suprasternale": 1524, "cervicale": 857}


@dataclass(frozen=True)
class MaterialPoints:
    """Points p = v[a] + t (v[b] - v[a]) on the mesh, with weights for their centroid."""

    a: np.ndarray
    b: np.ndarray
    t: np.ndarray
    w: np.ndarray

    @classmethod
    def vertices(cls, indices, weights=None) -> MaterialPoints:
        idx = np.atleast_1d(np.asarray(indices, dtype=np.int64))
        w = np.full(len(idx), 1.0 / len(idx)) if weights is None else np.asarray(weights) / np.sum(weights)
        return cls(idx, idx, np.zeros(len(idx)), w)

    @classmethod
    def joined(cls, *parts: MaterialPoints) -> MaterialPoints:
        """All points of `parts` in order; each part weighs the same in the centroid."""
        return cls(np.concatenate([p.a for p in parts]), np.concatenate([p.b for p in parts]),
                   np.concatenate([p.t for p in parts]), np.concatenate([p.w / len(parts) for p in parts]))

    def take(self, order: np.ndarray) -> MaterialPoints:
        return MaterialPoints(self.a[order], self.b[order], self.t[order], self.w[order] / self.w[order].sum())

    def at(self, vertices: np.ndarray) -> np.ndarray:
        return vertices[self.a] + self.t[:, None] * (vertices[self.b] - vertices[self.a])

    def centroid(self, vertices: np.ndarray) -> np.ndarray:
        return self.w @ self.at(vertices)

    def at_batch(self, vertices: torch.Tensor) -> torch.Tensor:
        a, b = torch.as_tensor(self.a), torch.as_tensor(self.b)
        t = torch.as_tensor(self.t, dtype=vertices.dtype)[None, :, None]
        return vertices[:, a] + t * (vertices[:, b] - vertices[:, a])


@dataclass(frozen=True)
class Probe:
    """The tape line of one measurement, differentiable in the vertices.

    "loop": perimeter of the closed polygon through `first` in order, projected on the plane
    square to `axis` when given (a tape lies flat).
    "span": distance from the centroid of `first` through those of `via` to that of `second`,
    along `axis` if given.
    "path": length of the open polyline through `first` in order (a tape laid down the body).
    """

    kind: str
    first: MaterialPoints
    second: MaterialPoints | None = None
    axis: np.ndarray | None = None
    via: tuple[MaterialPoints, ...] = ()

    def evaluate(self, vertices: torch.Tensor) -> torch.Tensor:
        """The measurement (vertex units) for a batch of vertices (B, N, 3) -> (B,)."""
        p = self.first.at_batch(vertices)
        if self.kind == "loop":
            steps = p - p.roll(1, dims=1)
            if self.axis is not None:
                n = torch.as_tensor(self.axis, dtype=vertices.dtype)
                steps = steps - (steps @ n)[..., None] * n
            return steps.norm(dim=-1).sum(dim=1)
        if self.kind == "path":
            return (p[:, 1:] - p[:, :-1]).norm(dim=-1).sum(dim=1)
        stops = (self.first, *self.via, self.second)
        centres = torch.stack([torch.as_tensor(stop.w, dtype=vertices.dtype) @ stop.at_batch(vertices)
                               for stop in stops], dim=1)  # (B, stops, 3)
        steps = centres[:, 1:] - centres[:, :-1]
        if self.axis is None:
            return steps.norm(dim=-1).sum(dim=1)
        return (steps.sum(dim=1) @ torch.as_tensor(self.axis, dtype=vertices.dtype)).abs()


@dataclass(frozen=True)
class Section:
    """Where a plane cuts the mesh: the crossing edges as material points, in connected loops."""

    points: MaterialPoints
    xyz: np.ndarray
    labels: np.ndarray

    def loops(self) -> list[Section]:
        out = []
        for label in np.unique(self.labels):
            keep = np.flatnonzero(self.labels == label)
            out.append(Section(self.points.take(keep), self.xyz[keep], self.labels[keep]))
        return out


@dataclass(frozen=True)
class MeasuredBody:
    """Measurements in cm, the landmark points found (metres), and the probes behind them."""

    values: dict[str, float]
    landmarks: dict[str, np.ndarray]
    probes: dict[str, Probe]


@functools.lru_cache(maxsize=4)
def _topology_cached(faces_bytes: bytes, n_faces: int) -> tuple[np.ndarray, np.ndarray]:
    mesh = trimesh.Trimesh(faces=np.frombuffer(faces_bytes, dtype=np.int64).reshape(n_faces, 3), process=False)
    return mesh.edges_unique, mesh.faces_unique_edges


def _topology(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique edges and each face's three edge ids, cached per topology (avatars share one)."""
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    return _topology_cached(faces.tobytes(), len(faces))


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
        self.faces = np.asarray(mesh.faces)
        self.edges, self.face_edges = _topology(self.faces)
        self.floor = vertices[:, 1].min()
        self.stature = vertices[:, 1].max() - self.floor
        if not 0.3 <= self.stature <= 3.0:
            raise MeshError(f"body mesh is {self.stature:.3f} m tall; expected metres, +Y up, 0.3-3 m")
        self.x_mid = float(np.median(vertices[:, 0]))

    def level(self, fraction: float) -> float:
        return self.floor + fraction * self.stature

    def corners_in(self, mask: np.ndarray, faces: np.ndarray | None = None) -> np.ndarray:
        """How many of each face's three vertices are in the mask (all faces, or these): a byte sum, ten times
        faster than numpy's any/all along an axis of three."""
        flags = np.asarray(mask, dtype=bool).view(np.uint8)
        triangles = self.faces if faces is None else self.faces[faces]
        return flags[triangles[:, 0]] + flags[triangles[:, 1]] + flags[triangles[:, 2]]

    def faces_near(self, mask: np.ndarray) -> np.ndarray:
        """Faces whose three vertices are all in the mask (to cut only part of the body)."""
        return np.flatnonzero(self.corners_in(mask) == 3)

    def section(self, origin: np.ndarray, normal: np.ndarray, faces: np.ndarray | None = None) -> Section:
        """Cut by a plane (optionally only these faces); points come labelled by connected loop."""
        d = (self.vertices - origin) @ normal
        above = d >= 0
        corners = self.corners_in(above, faces)
        straddling = (corners > 0) & (corners < 3)
        face_edges = self.face_edges[np.flatnonzero(straddling) if faces is None else faces[straddling]]
        cut = above[self.edges[face_edges, 0]] != above[self.edges[face_edges, 1]]
        pairs = face_edges[cut].reshape(-1, 2)  # a triangle the plane crosses has two edges cut
        idx, local = np.unique(pairs, return_inverse=True)
        local = local.reshape(-1, 2)
        a, b = self.edges[idx, 0], self.edges[idx, 1]
        t = d[a] / (d[a] - d[b])
        points = MaterialPoints(a, b, t, np.full(len(idx), 1.0 / max(len(idx), 1)))
        graph = coo_matrix((np.ones(len(local)), (local[:, 0], local[:, 1])), shape=(len(idx), len(idx)))
        _, labels = connected_components(graph, directed=False)
        return Section(points, points.at(self.vertices), labels)


def _plane_basis(normal: np.ndarray) -> np.ndarray:
    """Two unit vectors spanning the plane with this normal (rows)."""
    helper = LATERAL if abs(normal[0]) < 0.9 else np.array([0.0, 0.0, 1.0])
    u = np.cross(normal, helper)
    u /= np.linalg.norm(u)
    return np.stack([u, np.cross(normal, u)])


def _hull(points2d: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Convex hull vertex order (counter-clockwise), perimeter and area of 2-D points."""
    if len(points2d) >= 3:
        try:
            hull = ConvexHull(points2d)
            return hull.vertices, float(hull.area), float(hull.volume)
        except QhullError:  # a sliver loop: all points on a line
            pass
    ends = np.unique([np.argmin(points2d[:, 0]), np.argmax(points2d[:, 0])])
    return ends, 2.0 * float(np.ptp(points2d[:, 0])), 0.0


@dataclass(frozen=True)
class _Tape:
    """A tape laid around one loop: its probe, girth (m) and the area it encloses (m^2)."""

    probe: Probe
    girth: float
    area: float
    centre: np.ndarray


def _tape(points: MaterialPoints, xyz: np.ndarray, normal: np.ndarray) -> _Tape:
    normal = normal / np.linalg.norm(normal)
    order, girth, area = _hull(xyz @ _plane_basis(normal).T)
    return _Tape(Probe("loop", points.take(order), axis=normal), girth, area, xyz.mean(axis=0))


def _tapes(section: Section, normal: np.ndarray) -> list[_Tape]:
    return [_tape(loop.points, loop.xyz, normal) for loop in section.loops()]


def _girth_at(body: _BodyMesh, y: float, side: str = "torso", faces: np.ndarray | None = None) -> _Tape:
    """Horizontal tape girth at height y around the torso (largest loop) or the left leg."""
    tapes = _tapes(body.section(np.array([0.0, y, 0.0]), UP, faces), UP)
    if side == "left":
        tapes = [tp for tp in tapes if tp.centre[0] > body.x_mid] or tapes
    if not tapes:
        raise MeshError(f"no body surface at height {y:.3f} m")
    return max(tapes, key=lambda tp: tp.area)


def _chest_girth(body: _BodyMesh, y: float, faces: np.ndarray | None, half_width: float | None) -> _Tape:
    """The chest tape: around the trunk and under the arms.

    Where the arms press into the chest, the trunk's section falls apart into a front and a
    back piece (Anny: arm faces left out) or merges with the arms (other meshes): the tape
    spans every trunk piece, or the merged loop clipped to the acromion span.
    """
    section = body.section(np.array([0.0, y, 0.0]), UP, faces)
    if half_width is None:
        keep = np.abs(section.xyz[:, 0] - body.x_mid) < 0.25 * body.stature
    else:
        largest = max(_tapes(section, UP), key=lambda tp: tp.area, default=None)
        if largest is not None and largest.girth < 2 * np.pi * half_width:
            return largest  # arms apart from the chest: the trunk is its own loop
        keep = np.abs(section.xyz[:, 0] - body.x_mid) < half_width
    if not keep.any():
        raise MeshError(f"no chest surface at height {y:.3f} m")
    return _tape(section.points.take(np.flatnonzero(keep)), section.xyz[keep], UP)


def _soft_extreme(mask: np.ndarray, score: np.ndarray, what: str, softness: float = 0.004) -> MaterialPoints:
    """A landmark as the softmax-weighted mean of the best-scoring vertices (moves smoothly)."""
    if not mask.any():
        raise MeshError(f"could not find the {what} on the body mesh; is it standing in an A-pose?")
    idx = np.flatnonzero(mask)
    w = np.exp((score[idx] - score[idx].max()) / softness)
    keep = w > 1e-4
    return MaterialPoints.vertices(idx[keep], w[keep])


# --- geometric landmarks, for meshes that are not Anny's -------------------------------------

def _navel_level(body: _BodyMesh) -> float:
    """Height of the navel: the deepest dip of the front midline profile below its trend."""
    v = body.vertices
    band = (v[:, 1] > body.level(0.57)) & (v[:, 1] < body.level(0.63))  # ANSUR II: 60.1% +- 1.2%
    near = band & (np.abs(v[:, 0] - body.x_mid) < 0.012 * body.stature)
    front = near & (v[:, 2] > np.median(v[near, 2])) if near.any() else near
    if front.sum() < 5:
        return body.level(0.6014)  # ANSUR mean omphalion height / stature
    y, z = v[front, 1], v[front, 2]
    return float(y[np.argmin(z - np.polyval(np.polyfit(y, z, 2), y))])


def _crotch_point(body: _BodyMesh) -> MaterialPoints:
    """The lowest point of the mid-sagittal section between the legs."""
    section = body.section(np.array([body.x_mid, 0.0, 0.0]), LATERAL)
    y = section.xyz[:, 1]
    keep = np.flatnonzero((y < body.level(0.65)) & (y > body.level(0.25)))
    if len(keep) == 0:
        raise MeshError("could not find the crotch: no body surface on the mid-sagittal plane")
    return section.points.take(keep[[np.argmin(y[keep])]])


def _acromia(body: _BodyMesh) -> tuple[MaterialPoints, MaterialPoints]:
    """Left and right acromion: the shoulder corner, where the shoulder line turns into the arm."""
    v = body.vertices
    upper = (v[:, 1] > body.level(0.72)) & (v[:, 1] < body.level(0.88))
    lateral = v[:, 0] - body.x_mid
    score = v[:, 1] + 0.7 * np.abs(lateral)
    return (_soft_extreme(upper & (lateral > 0.05 * body.stature), score, "left acromion"),
            _soft_extreme(upper & (lateral < -0.05 * body.stature), score, "right acromion"))


def _arm_rings(body: _BodyMesh, start: np.ndarray) -> tuple[Section, Section]:
    """The elbow and the wrist of the arm whose acromion is `start`, as rings square to the arm.

    Rings are cut square to the arm's own local direction (the line through the centres of its
    sections, which bends at the elbow). The wrist is the narrowest ring of the forearm before
    the hand (the search stops where the hand splits into fingers, narrower than any wrist); the
    elbow is the ring whose centre lies farthest from the straight line acromion-wrist.
    """
    v = body.vertices
    side = np.sign(start[0] - body.x_mid)
    tip = v[int(np.argmax(side * (v[:, 0] - body.x_mid)))]
    axis = (tip - start) / np.linalg.norm(tip - start)
    reach = float((tip - start) @ axis)
    along = (v - start) @ axis
    radial = np.linalg.norm(v - start - along[:, None] * axis, axis=1)
    faces = body.faces_near((radial < 0.1 * body.stature) & (along > 0.15 * reach))

    def loops_at(centre: np.ndarray, normal: np.ndarray) -> list[Section]:
        return sorted(body.section(centre, normal, faces).loops(), key=lambda lp: np.linalg.norm(lp.xyz.mean(0) - centre))

    steps = np.linspace(0.2, 0.97, 36) * reach
    centres = []
    for u in steps:  # 36 rings along the arm, not vertices
        loops = loops_at(start + u * axis, axis)
        if not loops:
            break
        centres.append(loops[0].xyz.mean(axis=0))
    rings: list[tuple[Section, float, int]] = []
    for i in range(1, len(centres) - 1):
        direction = (centres[i + 1] - centres[i - 1]) / np.linalg.norm(centres[i + 1] - centres[i - 1])
        loops = loops_at(centres[i], direction)
        if len(loops) > 1 and np.linalg.norm(loops[1].xyz.mean(0) - centres[i]) < 0.03 * body.stature:
            break  # the fingers: the hand is behind us
        rings.append((loops[0], _hull(loops[0].xyz @ _plane_basis(direction).T)[1], i))
    forearm = [ring for ring in rings if steps[ring[2]] > 0.55 * reach]
    if not forearm:
        raise MeshError("could not find the wrist: the arm does not reach away from the body")
    wrist = min(forearm, key=lambda ring: ring[1])
    end = wrist[0].xyz.mean(axis=0)
    line = (end - start) / np.linalg.norm(end - start)
    offsets = [np.linalg.norm(centres[i] - start - ((centres[i] - start) @ line) * line) for _, _, i in rings]
    elbow = rings[int(np.argmax([off if i < wrist[2] else -1.0 for off, (_, _, i) in zip(offsets, rings)]))]
    return elbow[0], wrist[0]


def _neck_section(body: _BodyMesh, front: np.ndarray, back: np.ndarray) -> Section:
    """The neck base loop in the plane through the jugular notch and cervicale (square to the midline).

    Where the shoulders rise above that plane (a muscular trapezius) the tape rides up over
    them: the plane is shifted up the neck to the lowest level whose loop is the neck alone.
    """
    normal = np.cross(LATERAL, back - front)
    normal = normal * np.sign(normal[1]) / np.linalg.norm(normal)
    sagittal = (back - front) / np.linalg.norm(back - front)
    origin = 0.5 * (front + back)
    faces = body.faces_near(np.linalg.norm(body.vertices - origin, axis=1) < 0.15 * body.stature)

    def loop_at(shift: float) -> tuple[Section, bool]:
        centre = origin + shift * normal
        loops = body.section(centre, normal, faces).loops()
        if not loops:
            raise MeshError("could not find the neck base")
        loop = min(loops, key=lambda lp: np.linalg.norm(lp.xyz.mean(0) - centre))
        return loop, np.ptp(loop.xyz[:, 0]) < 1.2 * np.ptp(loop.xyz @ sagittal)

    low, high = 0.0, 0.0
    for high in np.linspace(0.0, 0.05, 11) * body.stature:
        if loop_at(high)[1]:
            break
        low = high
    for _ in range(4 if high > 0 else 0):
        middle = 0.5 * (low + high)
        low, high = (low, middle) if loop_at(middle)[1] else (middle, high)
    return loop_at(high)[0]


def _axilla(body: _BodyMesh, acromion: np.ndarray, low_y: float) -> MaterialPoints:
    """The armpit on the side of `acromion`: the highest level at which a horizontal section still
    holds the arm as a loop of its own, and there the arm's point nearest the trunk."""
    side = np.sign(acromion[0] - body.x_mid)

    def split(y: float) -> tuple[Section, Section] | None:
        loops = body.section(np.array([0.0, y, 0.0]), UP).loops()
        trunk = [lp for lp in loops if lp.xyz[:, 0].min() < body.x_mid < lp.xyz[:, 0].max()]
        if not trunk:
            return None
        trunk_loop = max(trunk, key=lambda lp: np.ptp(lp.xyz[:, 0]))
        edge = (side * (trunk_loop.xyz[:, 0] - body.x_mid)).max()
        arms = [lp for lp in loops if (side * (lp.xyz[:, 0] - body.x_mid)).min() > edge]
        if not arms:
            return None
        return min(arms, key=lambda lp: (side * (lp.xyz[:, 0] - body.x_mid)).min()), trunk_loop

    low, high = low_y, float(acromion[1])
    if split(low) is None:
        raise MeshError("could not find the armpit: the arms touch the trunk; is the body in an A-pose?")
    for _ in range(14):  # to 0.1 mm
        middle = 0.5 * (low + high)
        low, high = (middle, high) if split(middle) is not None else (low, middle)
    arm, trunk_loop = split(low)
    gap = np.linalg.norm(arm.xyz[:, None] - trunk_loop.xyz[None], axis=2).min(axis=1)
    return arm.points.take(np.array([int(np.argmin(gap))]))


def _knee(body: _BodyMesh, crotch_y: float) -> MaterialPoints:
    """The middle of the left patella: the most anterior point of the left leg at 52-60% of crotch
    height (ANSUR II's mid-patella height is 58% of crotch height; the thigh bulges further above)."""
    v = body.vertices
    rise = (v[:, 1] - body.floor) / (crotch_y - body.floor)
    leg = (rise > 0.52) & (rise < 0.60) & (v[:, 0] > body.x_mid + 0.01 * body.stature)
    return _soft_extreme(leg, v[:, 2], "knee", softness=0.002)


def _widest_level(girth, low: float, high: float, samples: int = 8) -> float:
    """The level in [low, high] where `girth(level)` peaks, refined by a parabola through the best three."""
    levels = np.linspace(low, high, samples)
    values = np.array([girth(y) for y in levels])
    k = int(np.clip(np.argmax(values), 1, samples - 2))
    p0, p1, p2 = values[k - 1: k + 2]
    curvature = p0 - 2 * p1 + p2
    offset = 0.5 * (p0 - p2) / curvature if curvature < 0 else 0.0
    return float(levels[k] + np.clip(offset, -1, 1) * (levels[1] - levels[0]))


def _calf(body: _BodyMesh, knee_y: float) -> _Tape:
    """The left calf at its widest horizontal girth, between 55% and 90% of knee height."""
    v = body.vertices
    faces = body.faces_near((v[:, 1] < knee_y) & (v[:, 0] > body.x_mid))
    lowest, highest = body.floor + 0.55 * (knee_y - body.floor), body.floor + 0.9 * (knee_y - body.floor)
    level = _widest_level(lambda y: _girth_at(body, y, "left", faces).girth, lowest, highest)
    return _girth_at(body, level, "left", faces)


def _head(body: _BodyMesh) -> _Tape:
    """The head at its widest horizontal girth, between 92.5% and 97.5% of stature (above the brows)."""
    faces = body.faces_near(body.vertices[:, 1] > body.level(0.9))
    level = _widest_level(lambda y: _girth_at(body, y, faces=faces).girth, body.level(0.925), body.level(0.975))
    return _girth_at(body, level, faces=faces)


def _upper_arm(body: _BodyMesh, acromion: np.ndarray, elbow: np.ndarray) -> Section:
    """The left upper arm's ring square to it, midway between acromion and elbow."""
    axis = (elbow - acromion) / np.linalg.norm(elbow - acromion)
    centre = 0.5 * (acromion + elbow)
    near = np.linalg.norm(body.vertices - centre, axis=1) < 0.06 * body.stature
    loops = body.section(centre, axis, body.faces_near(near)).loops()
    if not loops:
        raise MeshError("could not find the upper arm")
    return min(loops, key=lambda lp: np.linalg.norm(lp.xyz.mean(0) - centre))


def _ring_tape(points: MaterialPoints, xyz: np.ndarray) -> _Tape:
    """A tape round a ring of points (neck, wrist, ...), in the ring's own best-fit plane."""
    return _tape(points, xyz, np.linalg.svd(xyz - xyz.mean(axis=0))[2][2])


def _midline_point(body: _BodyMesh, y: float, side: float) -> MaterialPoints:
    """Where the horizontal plane at y crosses the front (side +1) or back (side -1) midline."""
    v = body.vertices
    near = (np.abs(v[:, 0] - body.x_mid) < 0.03 * body.stature) & (np.abs(v[:, 1] - y) < 0.03 * body.stature)
    section = body.section(np.array([0.0, y, 0.0]), UP, body.faces_near(near))
    if len(section.xyz) == 0:
        raise MeshError(f"no body surface on the midline at height {y:.3f} m")
    depth = section.xyz[:, 2]
    facing = side * (depth - depth.mean()) > 0
    pick = np.flatnonzero(facing)[np.argmin(np.abs(section.xyz[facing, 0] - body.x_mid))]
    return section.points.take(np.array([pick]))


def _down_the_midline(body: _BodyMesh, top: MaterialPoints, bottom: MaterialPoints, side: float) -> Probe:
    """A tape from `top` down the front (side +1) or back (side -1) midline to `bottom`, bridging
    hollows: the outer convex chain of the mid-sagittal section between the two."""
    v = body.vertices
    start, end = top.centroid(v), bottom.centroid(v)
    near = (np.abs(v[:, 0] - body.x_mid) < 0.02 * body.stature) & (v[:, 1] > end[1] - 0.02) & (v[:, 1] < start[1] + 0.02)
    section = body.section(np.array([body.x_mid, 0.0, 0.0]), LATERAL, body.faces_near(near))
    y, z = section.xyz[:, 1], section.xyz[:, 2]
    centre = 0.5 * (start[2] + end[2]) - side * 0.03 * body.stature
    inner = np.flatnonzero((y < start[1]) & (y > end[1]) & (side * (z - centre) > 0))
    points = MaterialPoints.joined(top, section.points.take(inner), bottom)
    yz = points.at(v)[:, 1:]
    hull = ConvexHull(yz).vertices if len(yz) >= 3 else np.arange(len(yz))
    first, last = np.flatnonzero(hull == 0)[0], np.flatnonzero(hull == len(yz) - 1)[0]
    arcs = (np.roll(hull, -first)[: (last - first) % len(hull) + 1],
            np.roll(hull, -last)[: (first - last) % len(hull) + 1][::-1])
    chain = max(arcs, key=lambda arc: side * yz[arc, 1].mean())
    return Probe("path", points.take(chain))


def _edge_points(ring: dict) -> MaterialPoints:
    """A ring stored as edge interpolants ({"a", "b", "t"}), equally weighted."""
    a, b, t = (np.asarray(ring[k]) for k in ("a", "b", "t"))
    return MaterialPoints(a, b, t, np.full(len(a), 1.0 / len(a)))


@functools.lru_cache(maxsize=1)
def anny_landmarks() -> dict | None:
    """Anny's landmark vertices, or None when the landmark file has not been generated."""
    if not ANNY_LANDMARKS_PATH.exists():
        return None
    return {**json.loads(ANNY_LANDMARKS_PATH.read_text()), **ANNY_LANDMARKS}


def _bony_landmarks(body: _BodyMesh) -> dict:
    """Navel level, crotch, acromia, wrist, neck base, and the faces of trunk and legs (no arms):
    material vertices on Anny, else geometry."""
    v = body.vertices
    known = anny_landmarks() if len(v) == ANNY_VERTEX_COUNT else None
    if known is not None:
        arms = np.zeros(len(v), dtype=bool)
        arms[known["arm_vertices"]] = True
        trunk = body.faces_near(~arms)
        return {
            "trunk_faces": trunk,
            "navel_y": float(v[known["omphalion"], 1]),
            "bust_point": MaterialPoints.vertices(known["nipple_left"]),
            "crotch": MaterialPoints.vertices(known["crotch"]),
            "acromion_left": MaterialPoints.vertices(known["acromion_left"]),
            "acromion_right": MaterialPoints.vertices(known["acromion_right"]),
            "wrist_left": MaterialPoints.vertices(known["wrist_left"]),
            "elbow_left": MaterialPoints.vertices(known["elbow_left"]),
            "neck": _ring_tape(MaterialPoints.vertices(known["neck_base"]), v[known["neck_base"]]),
            "suprasternale": MaterialPoints.vertices(known["suprasternale"]),
            "cervicale": MaterialPoints.vertices(known["cervicale"]),
            "bust_point_right": MaterialPoints.vertices(known["nipple_right"]),
            "axilla": MaterialPoints.vertices([known["axilla_left"], known["axilla_right"]]),
            "knee": MaterialPoints.vertices(known["knee_left"]),
            "wrist": _ring_tape(MaterialPoints.vertices(known["wrist_left"]), v[known["wrist_left"]]),
            **{name: _ring_tape(points, points.at(v)) for name, points in (
                (name, _edge_points(known[ring])) for name, ring in
                (("upper_arm", "upper_arm_left"), ("calf", "calf_left"), ("head", "head")))},
        }
    central = np.abs(v[:, 0] - body.x_mid) < 0.04 * body.stature
    ring = (np.abs(v[:, 1] - body.level(0.836)) < 0.01 * body.stature) & central
    if not ring.any():
        raise MeshError("could not find the neck")
    # ANSUR's mean heights of the jugular notch and cervicale, on the neck's front and back
    front = np.array([body.x_mid, body.level(0.818), v[ring, 2].max()])
    back = np.array([body.x_mid, body.level(0.861), v[ring, 2].min()])
    neck = _neck_section(body, front, back)
    left, right = _acromia(body)
    elbow, wrist = _arm_rings(body, left.centroid(v))
    half = 0.5 * abs(left.centroid(v)[0] - right.centroid(v)[0])
    crotch = _crotch_point(body)
    knee = _knee(body, crotch.centroid(v)[1])
    chest_band = (v[:, 1] > body.level(0.66)) & (v[:, 1] < body.level(0.79))
    lateral = v[:, 0] - body.x_mid
    bust = [_soft_extreme(chest_band & (side * lateral > 0.01 * body.stature) & (side * lateral < 0.07 * body.stature),
                          v[:, 2], "bust point") for side in (1.0, -1.0)]
    armpit_floor = body.level(0.6)
    upper_arm = _upper_arm(body, left.centroid(v), elbow.xyz.mean(axis=0))
    return {
        "trunk_faces": None,  # below the chest the arms are loops of their own
        "chest_half_width": half,
        "navel_y": _navel_level(body),
        "crotch": crotch,
        "acromion_left": left,
        "acromion_right": right,
        "wrist_left": wrist.points,
        "elbow_left": elbow.points,
        "neck": _tape(neck.points, neck.xyz, np.cross(LATERAL, back - front)),
        "suprasternale": neck.points.take(np.array([int(np.argmax(neck.xyz[:, 2]))])),
        "cervicale": neck.points.take(np.array([int(np.argmin(neck.xyz[:, 2]))])),
        "bust_point": bust[0],
        "bust_point_right": bust[1],
        "axilla": MaterialPoints.joined(_axilla(body, left.centroid(v), armpit_floor),
                                        _axilla(body, right.centroid(v), armpit_floor)),
        "knee": knee,
        "wrist": _ring_tape(wrist.points, wrist.xyz),
        "upper_arm": _ring_tape(upper_arm.points, upper_arm.xyz),
        "calf": _calf(body, knee.centroid(v)[1]),
        "head": _head(body),
    }


def measure_body(mesh: trimesh.Trimesh, keys: tuple[str, ...] = MEASUREMENT_KEYS) -> MeasuredBody:
    """Measure a standing body mesh (avatar frame); values in cm, see the module docstring.

    `keys` limits the values and probes to those measurements (the fitter asks only for its targets).
    """
    body = _BodyMesh(mesh)
    v = body.vertices
    bony = _bony_landmarks(body)
    landmarks = {k: p.centroid(v) for k, p in bony.items() if isinstance(p, MaterialPoints)}
    floor = MaterialPoints.vertices(int(np.argmin(v[:, 1])))
    top = MaterialPoints.vertices(int(np.argmax(v[:, 1])))
    central = np.abs(v[:, 0] - body.x_mid)

    crotch_y = landmarks["crotch"][1]
    seat = (v[:, 1] > crotch_y) & (v[:, 1] < bony["navel_y"]) & (central < 0.08 * body.stature)
    bony["buttock"] = _soft_extreme(seat, -v[:, 2], "buttock protrusion")
    waist_front = _midline_point(body, bony["navel_y"], +1.0)
    waist_back = _midline_point(body, bony["navel_y"], -1.0)
    bony["acromia"] = MaterialPoints.joined(bony["acromion_left"], bony["acromion_right"])
    landmarks.update({k: bony[k].centroid(v) for k in ("bust_point", "buttock", "axilla", "knee")})
    landmarks["omphalion"] = waist_front.centroid(v)

    trunk = bony["trunk_faces"]
    tapes = {
        "chest": _chest_girth(body, landmarks["bust_point"][1], trunk, bony.get("chest_half_width")),
        "waist": _girth_at(body, bony["navel_y"], faces=trunk),
        "hip": _girth_at(body, landmarks["buttock"][1], faces=trunk),
        "thigh": _girth_at(body, crotch_y - 0.015 * body.stature, side="left", faces=trunk),
        "neck_base": bony["neck"],
        **{k: bony[k] for k in ("wrist", "upper_arm", "calf", "head")},
    }
    probes = {k: tape.probe for k, tape in tapes.items()}
    probes["stature"] = Probe("span", floor, top, UP)
    probes["shoulder_breadth"] = Probe("span", bony["acromion_right"], bony["acromion_left"], LATERAL)
    probes["arm_length"] = Probe("span", bony["acromion_left"], bony["wrist_left"], via=(bony["elbow_left"],))
    probes["bust_point_breadth"] = Probe("span", bony["bust_point_right"], bony["bust_point"], LATERAL)
    if "back_waist_length" in keys:
        probes["back_waist_length"] = _down_the_midline(body, bony["cervicale"], waist_back, -1.0)
    if "front_waist_length" in keys:
        probes["front_waist_length"] = _down_the_midline(body, bony["suprasternale"], waist_front, +1.0)
    heights = {"inseam": bony["crotch"], "cervicale_height": bony["cervicale"], "shoulder_height": bony["acromia"],
               "axilla_height": bony["axilla"], "chest_height": bony["bust_point"], "waist_height": waist_front,
               "hip_height": bony["buttock"], "knee_height": bony["knee"]}
    probes.update({k: Probe("span", floor, point, UP) for k, point in heights.items()})

    vertices = torch.as_tensor(v)[None]
    values = {k: tapes[k].girth if k in tapes else float(probes[k].evaluate(vertices)[0]) for k in keys}
    return MeasuredBody({k: round(100.0 * values[k], 2) for k in keys}, landmarks, {k: probes[k] for k in keys})


def girth_at_height(mesh: trimesh.Trimesh, y: float, side: str = "torso") -> float:
    """Tape girth (m) of the largest horizontal loop at height y (side="left": left leg or arm)."""
    return _girth_at(_BodyMesh(mesh), y, side).girth


def trunk_girths_at(mesh: trimesh.Trimesh, heights_m: dict[str, float]) -> dict[str, float]:
    """Tape girths (m) of the trunk, kept under the arms, at each named height above the floor (m)."""
    body = _BodyMesh(mesh)
    bony = _bony_landmarks(body)
    return {name: _chest_girth(body, body.floor + y, bony["trunk_faces"], bony.get("chest_half_width")).girth
            for name, y in heights_m.items()}


def girth_in_plane(mesh: trimesh.Trimesh, origin: np.ndarray, normal: np.ndarray) -> float:
    """Tape girth (m) of the loop nearest `origin` in the plane through it (0 if none)."""
    body = _BodyMesh(mesh)
    normal = np.asarray(normal, dtype=np.float64) / np.linalg.norm(normal)
    tapes = _tapes(body.section(np.asarray(origin, dtype=np.float64), normal), normal)
    if not tapes:
        return 0.0
    return min(tapes, key=lambda tp: np.linalg.norm(tp.centre - origin)).girth


def measure(mesh: trimesh.Trimesh) -> dict[str, float]:
    """ISO 8559-1 measurements (cm) of a standing body mesh in the avatar frame."""
    return measure_body(mesh).values
