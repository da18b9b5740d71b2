"""Cloth drape: the garment's static equilibrium on the body, found by energy minimisation.

The energy is the cloth's stretch (a spring on every edge towards the sewn rest length, softer
in compression so loose cloth folds), its bending (springs across every pair of triangles), its
weight, and a stiff penalty for entering the body within a small skin offset (nearest point of
a refined copy of the body and its outward normal; this round's and the last's, so that cloth in a
crease such as the armpit does not flip between arm and torso), and another for going below the floor
the body stands on (and, for a garment sewn from a pattern, one for its layers passing through each other, and
its buttons: `engine.cloth_contact`). L-BFGS in torch minimises it in rounds,
refreshing the nearest body points between rounds; a last pass lifts any vertex still inside
the skin out along the normal. Vertices held by an elastic waistband stay put. Deterministic.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse
import torch
import trimesh
from scipy.spatial import cKDTree

from engine.garments.build import Garment

DTYPE = torch.float32  # twice as fast as float64 here, and millimetres are all we need


class ClothTerm(Protocol):
    """A further energy of the cloth in the settle (layers kept apart, buttons), refreshed between rounds."""

    def refresh(self, positions: np.ndarray) -> int: ...

    def energy(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...


@dataclass
class DrapeResult:
    garment: Garment
    positions: np.ndarray  # (N, 3) settled cloth, avatar frame
    steps: int  # optimiser iterations
    seconds: float
    settled: bool  # the last round moved no vertex more than half a millimetre

    @property
    def mesh(self) -> trimesh.Trimesh:
        return self.garment.mesh(self.positions)

    def edge_strain(self) -> np.ndarray:
        """Per unique edge: length / rest length - 1."""
        edges = self.mesh.edges_unique
        rest = self.garment.rest_edge_m
        if rest is None:
            rest = np.linalg.norm(self.garment.rest[edges[:, 0]] - self.garment.rest[edges[:, 1]], axis=1)
        now = np.linalg.norm(self.positions[edges[:, 0]] - self.positions[edges[:, 1]], axis=1)
        return now / np.maximum(rest, 1e-9) - 1.0


class BodyCollider:
    """The body as something cloth cannot enter: nearest surface sample and its outward normal."""

    def __init__(self, body: trimesh.Trimesh):
        vertices, faces = trimesh.remesh.subdivide(body.vertices, body.faces)
        refined = trimesh.Trimesh(vertices, faces, process=False)
        self.points = np.asarray(refined.vertices)
        self.normals = np.array(refined.vertex_normals)  # a writable copy, for torch
        self.tree = cKDTree(self.points)
        self.floor_y = float(body.bounds[0, 1])  # the body stands on the floor: its soles' height

    def nearest(self, positions: np.ndarray) -> np.ndarray:
        return self.tree.query(positions, workers=-1)[1]


def bending_pairs(faces: np.ndarray) -> np.ndarray:
    """For each edge shared by two triangles, the two vertices opposite it."""
    mesh = trimesh.Trimesh(faces=faces, process=False)
    shared = mesh.face_adjacency_edges.sum(axis=1)
    faces_sum = faces.sum(axis=1)[mesh.face_adjacency]  # the vertex not on the edge = sum - edge
    return np.stack([faces_sum[:, 0] - shared, faces_sum[:, 1] - shared], axis=1)


def flat_bend_lengths(faces: np.ndarray, edges: np.ndarray, edge_length: np.ndarray) -> np.ndarray:
    """For each pair of `bending_pairs`, the distance between the two opposite vertices with both triangles
    unfolded flat, from the edge lengths alone: the rest length of a bending spring for cloth cut flat."""
    mesh = trimesh.Trimesh(faces=faces, process=False)
    shared = np.sort(mesh.face_adjacency_edges, axis=1)
    opposite = bending_pairs(faces)
    count = int(faces.max()) + 1
    keys = edges.min(axis=1).astype(np.int64) * count + edges.max(axis=1)
    order = np.argsort(keys)

    def length(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        key = np.minimum(a, b).astype(np.int64) * count + np.maximum(a, b)
        return edge_length[order[np.searchsorted(keys[order], key)]]

    base = length(shared[:, 0], shared[:, 1])
    corners = []
    for side in (0, 1):  # each opposite vertex in the plane: the shared edge along x, one triangle above, one below
        to_a, to_b = length(shared[:, 0], opposite[:, side]), length(shared[:, 1], opposite[:, side])
        along = (to_a**2 - to_b**2 + base**2) / (2.0 * base)
        corners.append(np.stack([along, np.sqrt(np.maximum(to_a**2 - along**2, 0.0)) * (1 - 2 * side)], axis=1))
    return np.linalg.norm(corners[0] - corners[1], axis=1)


class Incidence:
    """Pairs of vertices (a[n], b[n]) as a sparse matrix: x[b] - x[a] for every pair, and a force per pair
    summed back onto the vertices, are each one sparse product (4x faster than gathering and index_add)."""

    def __init__(self, a: np.ndarray, b: np.ndarray, vertex_count: int):
        rows = np.arange(len(a))
        signs = np.r_[-np.ones(len(a)), np.ones(len(b))]
        matrix = scipy.sparse.csr_matrix((signs, (np.r_[rows, rows], np.r_[a, b])), shape=(len(a), vertex_count))
        self.difference_matrix, self.gather_matrix = _torch_csr(matrix), _torch_csr(matrix.T.tocsr())

    def difference(self, x: torch.Tensor) -> torch.Tensor:
        """x[b] - x[a] for every pair."""
        return self.difference_matrix @ x

    def gather(self, force: torch.Tensor) -> torch.Tensor:
        """Per vertex: the sum of +force over the pairs it ends (b) and -force over those it starts (a)."""
        return self.gather_matrix @ force


def _torch_csr(matrix: scipy.sparse.csr_matrix) -> torch.Tensor:
    with warnings.catch_warnings():  # torch marks sparse CSR as beta; products on the CPU are all we use
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.as_tensor(matrix.indptr, dtype=torch.int64),
                                       torch.as_tensor(matrix.indices, dtype=torch.int64),
                                       torch.as_tensor(matrix.data, dtype=DTYPE), size=matrix.shape)


def cloth_energy(x: torch.Tensor, springs: Incidence, rest_len: torch.Tensor, k: torch.Tensor,
                 compression: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Springs between the `springs` pairs: stretched at stiffness k, compressed at k * compression (so loose
    cloth folds). Returns the energy and its gradient by x, written out: autograd's tape cost as much again."""
    d = springs.difference(x)
    length = d.norm(dim=1)
    strain = length - rest_len
    tension = torch.where(strain > 0, k, k * compression) * strain / rest_len.clamp_min(1e-6)
    gradient = springs.gather((tension / length.clamp_min(1e-9))[:, None] * d)
    return 0.5 * (tension * strain).sum(), gradient


def contact_energy(x: torch.Tensor, points: torch.Tensor, normals: torch.Tensor, skin_offset: float,
                   stiffness: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A stiff penalty for cloth closer to the body than `skin_offset` (nearest body point and its normal),
    with its gradient by x."""
    depth = (((x - points) * normals).sum(dim=1) - skin_offset).clamp(max=0.0)
    return 0.5 * stiffness * (depth**2).sum(), (stiffness * depth)[:, None] * normals


def floor_energy(x: torch.Tensor, floor_y: float, stiffness: float) -> tuple[torch.Tensor, torch.Tensor]:
    """A stiff penalty for cloth below the floor the body stands on, with its gradient by x: a full-length
    trouser hem rests on it instead of hanging past the soles, stretched over the feet."""
    depth = (x[:, 1] - floor_y).clamp(max=0.0)
    gradient = torch.zeros_like(x)
    gradient[:, 1] = stiffness * depth
    return 0.5 * stiffness * (depth**2).sum(), gradient


def seam_energy(x: torch.Tensor, seams: Incidence, stiffness: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-length springs pulling the two vertices of every seam pair together, with the gradient by x."""
    gap = seams.difference(x)
    return 0.5 * stiffness * (gap**2).sum(), seams.gather(stiffness * gap)


def lift_out(x: torch.Tensor, collider: BodyCollider, points: torch.Tensor, normals: torch.Tensor,
             skin_offset: float, free: torch.Tensor) -> torch.Tensor:
    """Move every free vertex still inside the skin offset out along the body's normal."""
    nearest = torch.as_tensor(collider.nearest(x.numpy()))
    depth = ((x - points[nearest]) * normals[nearest]).sum(dim=1) - skin_offset
    return x - depth.clamp(max=0.0)[:, None] * normals[nearest] * free[:, None]


def push_out(body: trimesh.Trimesh, x: np.ndarray, skin_offset: float, pinned: np.ndarray) -> np.ndarray:
    """Put any free vertex still inside the body (in a crease, where the nearest sample's normal misleads) onto
    the body's closest point, `skin_offset` out along that face's normal."""
    inside = body.contains(x) & ~pinned
    if inside.any():
        closest, _, triangle = trimesh.proximity.closest_point(body, x[inside])
        x = x.copy()
        x[inside] = closest + body.face_normals[triangle] * skin_offset
    return x


def drape(garment: Garment, body: trimesh.Trimesh, **options) -> DrapeResult:
    """Let the garment settle on the body (same input, same output: torch's deterministic kernels)."""
    was = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        return _drape(garment, body, **options)
    finally:
        torch.use_deterministic_algorithms(was)


def _drape(garment: Garment, body: trimesh.Trimesh, *, rounds: int = 4, iterations: int = 30,
          skin_offset: float = 0.0025, collider: BodyCollider | None = None,
          compression: float = 0.05, contact_stiffness: float = 5e4, terms: tuple[ClothTerm, ...] = ()) -> DrapeResult:
    """`rounds` of at most `iterations` L-BFGS steps, refreshing the nearest body points (and `terms`: the
    cloth's layers kept apart and its buttons, `engine.cloth_contact`) between."""
    started = time.perf_counter()
    collider = collider or BodyCollider(body)
    fabric = garment.fabric
    edges = np.array(garment.mesh().edges_unique)
    bends = bending_pairs(garment.faces)
    pairs = np.concatenate([edges, bends])
    rest = garment.rest
    if garment.rest_edge_m is None:
        rest_len = torch.as_tensor(np.linalg.norm(rest[pairs[:, 0]] - rest[pairs[:, 1]], axis=1), dtype=DTYPE)
    else:  # cut from flat cloth: edges and bending springs at their flat lengths
        flat = np.concatenate([garment.rest_edge_m, flat_bend_lengths(garment.faces, edges, garment.rest_edge_m)])
        rest_len = torch.as_tensor(flat, dtype=DTYPE)
    k = torch.as_tensor(np.concatenate([np.full(len(edges), fabric.stretch_stiffness),
                                        np.full(len(bends), fabric.stretch_stiffness * fabric.bend_stiffness)]),
                        dtype=DTYPE)
    area = np.zeros(len(rest))
    np.add.at(area, garment.faces, trimesh.Trimesh(rest, garment.faces, process=False).area_faces[:, None] / 3.0)
    weight = torch.as_tensor(area * fabric.density_g_m2 / 1000.0 * 9.81, dtype=DTYPE)  # N per vertex
    free = torch.as_tensor(~garment.pinned)
    points = torch.as_tensor(collider.points, dtype=DTYPE)
    normals = torch.as_tensor(collider.normals, dtype=DTYPE)
    springs = Incidence(pairs[:, 0], pairs[:, 1], len(rest))

    x0 = torch.as_tensor(garment.start, dtype=DTYPE)
    moving = x0[free].clone().requires_grad_(True)
    optimiser = torch.optim.LBFGS([moving], lr=1.0, max_iter=iterations, history_size=20,
                                  line_search_fn="strong_wolfe", tolerance_grad=1e-7, tolerance_change=1e-12)

    def positions() -> torch.Tensor:  # the gradient is written out (cloth_energy): no autograd graph
        x = x0.clone()
        x[free] = moving.detach()
        return x

    def energy() -> torch.Tensor:
        x = positions()
        e, gradient = cloth_energy(x, springs, rest_len, k, compression)
        e = e + (weight * x[:, 1]).sum()
        gradient[:, 1] += weight
        for near in nearest:
            contact, push = contact_energy(x, points[near], normals[near], skin_offset, contact_stiffness)
            e, gradient = e + contact, gradient + push
        floor, push = floor_energy(x, collider.floor_y + skin_offset, contact_stiffness)
        e, gradient = e + floor, gradient + push
        for term in terms:
            more, push = term.energy(x)
            e, gradient = e + more, gradient + push
        moving.grad = gradient[free]
        return e

    settled = False
    nearest = []
    for _ in range(rounds):
        nearest = [*nearest[-1:], torch.as_tensor(collider.nearest(positions().numpy()))]
        at = positions().numpy().astype(np.float64)
        for term in terms:
            term.refresh(at)
        before = positions()
        optimiser.step(energy)
        moved = float((positions() - before).norm(dim=1).max())
        if moved < 5e-4:
            settled = True
            break
    x = lift_out(positions(), collider, points, normals, skin_offset, free).numpy().astype(np.float64)
    return DrapeResult(garment, push_out(body, x, skin_offset, garment.pinned),
                       optimiser.state[optimiser._params[0]]["n_iter"], time.perf_counter() - started, settled)
