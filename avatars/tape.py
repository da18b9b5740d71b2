"""Read ISO 8559-1 body measurements off a body mesh, the way a tape measure would.

The mesh is a standing body in the avatar frame: metres, +Y up, feet at the lowest y, facing +Z,
arms slightly away from the body (A-pose). Girths are convex-hull perimeters of plane sections
(a tape bridges hollows). Landmark levels are found on the surface itself: the bust point is
the most anterior chest point, the buttock level the most posterior point of the seat.

Bony landmarks (nipple, navel, crotch, acromion, wrist, the neck base line) are surface vertices on
Anny's topology, picked once on the mean body by `scripts/find_anny_landmarks.py`, so they move
with the body like the real ones. Any other mesh gets them from geometry: the navel as the
deepest dip of the front midline, the crotch as the lowest point of the mid-sagittal section,
the acromion as the corner of the shoulder seen from the front, the wrist as the narrowest arm
ring, the neck base in the plane through the jugular notch and cervicale.

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
    "span": distance from the centroid of `first` to that of `second`, along `axis` if given.
    """

    kind: str
    first: MaterialPoints
    second: MaterialPoints | None = None
    axis: np.ndarray | None = None

    def evaluate(self, vertices: torch.Tensor) -> torch.Tensor:
        """The measurement (vertex units) for a batch of vertices (B, N, 3) -> (B,)."""
        p = self.first.at_batch(vertices)
        if self.kind == "loop":
            steps = p - p.roll(1, dims=1)
            if self.axis is not None:
                n = torch.as_tensor(self.axis, dtype=vertices.dtype)
                steps = steps - (steps @ n)[..., None] * n
            return steps.norm(dim=-1).sum(dim=1)
        w0 = torch.as_tensor(self.first.w, dtype=vertices.dtype)
        w1 = torch.as_tensor(self.second.w, dtype=vertices.dtype)
        delta = w1 @ self.second.at_batch(vertices) - w0 @ p
        if self.axis is None:
            return delta.norm(dim=-1)
        return (delta @ torch.as_tensor(self.axis, dtype=vertices.dtype)).abs()


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
        self.edges, self.face_edges = _topology(np.asarray(mesh.faces))
        self.floor = vertices[:, 1].min()
        self.stature = vertices[:, 1].max() - self.floor
        if not 0.3 <= self.stature <= 3.0:
            raise MeshError(f"body mesh is {self.stature:.3f} m tall; expected metres, +Y up, 0.3-3 m")
        self.x_mid = float(np.median(vertices[:, 0]))

    def level(self, fraction: float) -> float:
        return self.floor + fraction * self.stature

    def faces_near(self, mask: np.ndarray) -> np.ndarray:
        """Faces whose three vertices are all in the mask (to cut only part of the body)."""
        return np.flatnonzero(mask[self.edges[self.face_edges, 0]].all(axis=1))

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
    band = (v[:, 1] > body.level(0.55)) & (v[:, 1] < body.level(0.66))
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


def _wrist(body: _BodyMesh, start: np.ndarray) -> Section:
    """The narrowest ring of the distal arm between the acromion and the fingertip.

    Rings are cut square to the acromion-fingertip line; the minimum of their tape perimeters
    is refined by a parabola so the wrist moves continuously with the body shape.
    """
    v = body.vertices
    side = np.sign(start[0] - body.x_mid)
    tip = v[int(np.argmax(side * (v[:, 0] - body.x_mid)))]
    axis = (tip - start) / np.linalg.norm(tip - start)
    reach = float((tip - start) @ axis)
    along = (v - start) @ axis
    radial = np.linalg.norm(v - start - along[:, None] * axis, axis=1)
    faces = body.faces_near((radial < 0.08 * body.stature) & (along > 0.5 * reach))

    def ring(u: float) -> tuple[Section, float] | None:
        centre = start + u * axis
        loops = body.section(centre, axis, faces).loops()
        if not loops:
            return None
        loop = min(loops, key=lambda lp: np.linalg.norm(lp.xyz.mean(0) - centre))
        return loop, _hull(loop.xyz @ _plane_basis(axis).T)[1]

    steps = np.linspace(0.62, 0.9, 15) * reach
    rings = [ring(u) for u in steps]
    perimeters = np.array([r[1] if r else np.inf for r in rings])
    if not np.isfinite(perimeters).any():
        raise MeshError("could not find the wrist: the arm does not reach away from the body")
    k = int(np.clip(np.argmin(perimeters), 1, len(steps) - 2))
    p0, p1, p2 = perimeters[k - 1: k + 2]
    curvature = p0 - 2 * p1 + p2
    offset = 0.5 * (p0 - p2) / curvature if np.isfinite(curvature) and curvature > 0 else 0.0
    best = ring(steps[k] + float(np.clip(offset, -1, 1)) * (steps[1] - steps[0])) or rings[k]
    return best[0]


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
        ring = MaterialPoints.vertices(known["neck_base"])
        xyz = ring.at(v)
        normal = np.linalg.svd(xyz - xyz.mean(axis=0))[2][2]
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
            "neck": _tape(ring, xyz, normal),
            "suprasternale": MaterialPoints.vertices(known["suprasternale"]),
            "cervicale": MaterialPoints.vertices(known["cervicale"]),
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
    wrist = _wrist(body, left.centroid(v))
    half = 0.5 * abs(left.centroid(v)[0] - right.centroid(v)[0])
    return {
        "trunk_faces": None,  # below the chest the arms are loops of their own
        "chest_half_width": half,
        "navel_y": _navel_level(body),
        "crotch": _crotch_point(body),
        "acromion_left": left,
        "acromion_right": right,
        "wrist_left": wrist.points,
        "neck": _tape(neck.points, neck.xyz, np.cross(LATERAL, back - front)),
    }


def measure_body(mesh: trimesh.Trimesh) -> MeasuredBody:
    """Measure a standing body mesh (avatar frame); values in cm, see the module docstring."""
    body = _BodyMesh(mesh)
    v = body.vertices
    bony = _bony_landmarks(body)
    landmarks = {k: p.centroid(v) for k, p in bony.items() if isinstance(p, MaterialPoints)}
    floor = MaterialPoints.vertices(int(np.argmin(v[:, 1])))
    top = MaterialPoints.vertices(int(np.argmax(v[:, 1])))
    central = np.abs(v[:, 0] - body.x_mid)

    if "bust_point" not in landmarks:
        chest_band = (v[:, 1] > body.level(0.66)) & (v[:, 1] < body.level(0.79)) & (central < 0.07 * body.stature)
        landmarks["bust_point"] = _soft_extreme(chest_band, v[:, 2], "bust point").centroid(v)
    crotch_y = landmarks["crotch"][1]
    seat = (v[:, 1] > crotch_y) & (v[:, 1] < bony["navel_y"]) & (central < 0.08 * body.stature)
    landmarks["buttock"] = _soft_extreme(seat, -v[:, 2], "buttock protrusion").centroid(v)
    landmarks["omphalion"] = np.array([body.x_mid, bony["navel_y"], 0.0])

    trunk = bony["trunk_faces"]
    tapes = {
        "chest": _chest_girth(body, landmarks["bust_point"][1], trunk, bony.get("chest_half_width")),
        "waist": _girth_at(body, bony["navel_y"], faces=trunk),
        "hip": _girth_at(body, landmarks["buttock"][1], faces=trunk),
        "thigh": _girth_at(body, crotch_y - 0.015 * body.stature, side="left", faces=trunk),
        "neck_base": bony["neck"],
    }
    probes = {k: tape.probe for k, tape in tapes.items()}
    probes["stature"] = Probe("span", floor, top, UP)
    probes["inseam"] = Probe("span", floor, bony["crotch"], UP)
    probes["shoulder_breadth"] = Probe("span", bony["acromion_right"], bony["acromion_left"], LATERAL)
    probes["arm_length"] = Probe("span", bony["acromion_left"], bony["wrist_left"])

    values = {k: tape.girth for k, tape in tapes.items()}
    values["stature"] = body.stature
    values["inseam"] = crotch_y - body.floor
    values["shoulder_breadth"] = abs(landmarks["acromion_left"][0] - landmarks["acromion_right"][0])
    values["arm_length"] = float(np.linalg.norm(landmarks["wrist_left"] - landmarks["acromion_left"]))
    values = {k: round(100.0 * values[k], 2) for k in MEASUREMENT_KEYS}
    return MeasuredBody(values, landmarks, {k: probes[k] for k in MEASUREMENT_KEYS})


def girth_at_height(mesh: trimesh.Trimesh, y: float, side: str = "torso") -> float:
    """Tape girth (m) of the largest horizontal loop at height y (side="left": left leg or arm)."""
    return _girth_at(_BodyMesh(mesh), y, side).girth


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
