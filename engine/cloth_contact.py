"""Cloth against itself: layers of one garment (a skirt's front and back, a jacket's two fronts) kept apart, and
held together where buttons hold them.

Each vertex near a triangle it is not part of (nor next to) is held at least `thickness_m` off that
triangle, on the side it was found on: a stiff penalty on the gap between the vertex and the point of
the triangle nearest it, along the line between them, both fixed when the pairs are found (like the
body contact, refreshed between optimiser rounds). So cloth that starts apart stays apart as long as
no vertex crosses more than `reach_m` in a round. `piercing_edges` is the independent check: edges
that pass through a triangle of the same mesh.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import torch
import trimesh
from scipy.spatial import cKDTree

from engine.drape import DTYPE, Incidence, _torch_csr

THICKNESS_M = 0.002  # two layers of cloth, kept this far apart at their vertices
REACH_M = 0.02  # pairs are looked for this far beyond the thickness: how far a vertex may move in a round
STIFFNESS = 5e4  # as the body contact
RINGS = 1  # a vertex is not held apart from the triangles round it and their neighbours


class SelfContact:
    """The vertex-triangle pairs of one garment mesh that are close in space but not on the cloth."""

    def __init__(self, faces: np.ndarray, vertex_count: int, joined: np.ndarray | None = None, rings: int = RINGS,
                 thickness_m: float = THICKNESS_M, reach_m: float = REACH_M, stiffness: float = STIFFNESS):
        """Vertices within `rings` edges of each other are near on the cloth; `joined` (K, 2) vertex pairs (seams
        not yet merged) count as edges."""
        self.faces = np.asarray(faces)
        self.vertex_count = vertex_count
        self.thickness, self.reach, self.stiffness = thickness_m, reach_m, stiffness
        ring = _rings(self.faces, vertex_count, rings, joined)
        self._near = np.zeros((vertex_count, (vertex_count + 7) // 8), dtype=np.uint8)  # a bit per pair
        np.bitwise_or.at(self._near, (ring.row, ring.col >> 3), (1 << (ring.col & 7)).astype(np.uint8))
        self.matrix: torch.Tensor | None = None
        self.normals = torch.zeros((0, 3), dtype=DTYPE)

    def refresh(self, positions: np.ndarray) -> int:
        """Find the pairs and their gap directions at `positions`; returns how many there are."""
        triangles = positions[self.faces]
        centroids = triangles.mean(axis=1)
        radius = float(np.linalg.norm(triangles - centroids[:, None], axis=2).max())
        near = cKDTree(positions).sparse_distance_matrix(cKDTree(centroids), radius + self.thickness + self.reach,
                                                         output_type="coo_matrix")
        vertex, face = near.row, near.col
        corners = self.faces[face]
        on_cloth = (self._near[vertex[:, None], corners >> 3] >> (corners & 7)) & 1
        keep = ~on_cloth.any(axis=1)  # no corner near the vertex on the cloth
        vertex, face, corners = vertex[keep], face[keep], corners[keep]
        closest = trimesh.triangles.closest_point(triangles[face], positions[vertex])
        gap = positions[vertex] - closest
        distance = np.linalg.norm(gap, axis=1)
        keep = distance < self.thickness + self.reach
        vertex, face, corners, closest, gap, distance = (a[keep] for a in (vertex, face, corners, closest, gap, distance))
        weights = trimesh.triangles.points_to_barycentric(positions[corners], closest)
        a, b, c = (positions[corners[:, i]] for i in range(3))
        normal = np.cross(b - a, c - a)
        normal /= np.maximum(np.linalg.norm(normal, axis=1), 1e-18)[:, None]
        side = np.where(np.einsum("ij,ij->i", gap, normal) < 0.0, -1.0, 1.0)  # touching: push along the normal
        direction = np.where((distance < 1e-6)[:, None], normal * side[:, None], gap / np.maximum(distance, 1e-12)[:, None])
        rows = np.arange(len(vertex))
        matrix = scipy.sparse.csr_matrix(
            (np.concatenate([np.ones(len(vertex)), -weights.ravel()]),
             (np.concatenate([rows, np.repeat(rows, 3)]), np.concatenate([vertex, corners.ravel()]))),
            shape=(len(vertex), self.vertex_count))
        self.matrix = _torch_csr(matrix)
        self.transposed = _torch_csr(matrix.T.tocsr())
        self.normals = torch.as_tensor(direction, dtype=DTYPE)
        return len(vertex)

    def energy(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The penalty for pairs closer than the thickness, and its gradient by x."""
        if self.matrix is None or not len(self.normals):
            return torch.zeros((), dtype=x.dtype), torch.zeros_like(x)
        depth = (self.thickness - ((self.matrix @ x) * self.normals).sum(dim=1)).clamp(min=0.0)
        force = (self.stiffness * depth)[:, None] * self.normals
        return 0.5 * self.stiffness * (depth**2).sum(), -(self.transposed @ force)


class Ties:
    """Pairs of vertices on two layers held `rest_m` apart by stiff springs: buttons. Not merged into one vertex,
    so the layers round a button lie on each other instead of crossing at it."""

    def __init__(self, pairs: np.ndarray, vertex_count: int, rest_m: float = THICKNESS_M, stiffness: float = 2e6):
        self.pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        self.springs = Incidence(self.pairs[:, 0], self.pairs[:, 1], vertex_count)
        self.rest, self.stiffness = rest_m, stiffness

    def refresh(self, positions: np.ndarray) -> int:
        return len(self.pairs)

    def energy(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The springs' energy and its gradient by x."""
        if not len(self.pairs):
            return torch.zeros((), dtype=x.dtype), torch.zeros_like(x)
        gap = self.springs.difference(x)
        length = gap.norm(dim=1)
        stretch = length - self.rest
        force = (self.stiffness * stretch / length.clamp_min(1e-9))[:, None] * gap
        return 0.5 * self.stiffness * (stretch**2).sum(), self.springs.gather(force)


def _rings(faces: np.ndarray, vertex_count: int, steps: int, joined: np.ndarray | None) -> scipy.sparse.coo_matrix:
    """Pairs of vertices at most `steps` edges (or `joined` pairs) apart on the mesh, each vertex with itself."""
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]],
                            np.zeros((0, 2), dtype=faces.dtype) if joined is None else np.asarray(joined)])
    adjacency = scipy.sparse.csr_matrix((np.ones(len(edges) * 2), (np.r_[edges[:, 0], edges[:, 1]], np.r_[edges[:, 1], edges[:, 0]])),
                                        shape=(vertex_count, vertex_count))
    ring = scipy.sparse.identity(vertex_count, format="csr") + adjacency
    reach = ring
    for _ in range(steps - 1):
        reach = reach @ ring
    return reach.tocoo()


def piercing_edges(mesh: trimesh.Trimesh) -> np.ndarray:
    """Indices into `mesh.edges_unique` of the edges that pass through a triangle they are not a side of."""
    edges = mesh.edges_unique
    start = mesh.vertices[edges[:, 0]]
    along = mesh.vertices[edges[:, 1]] - start
    length = np.linalg.norm(along, axis=1)
    along = along / np.maximum(length, 1e-12)[:, None]
    face, ray, where = mesh.ray.intersects_id(start, along, multiple_hits=True, return_locations=True)
    travelled = np.einsum("ij,ij->i", where - start[ray], along[ray])
    shares = (mesh.faces[face] == edges[ray, :1]).any(axis=1) | (mesh.faces[face] == edges[ray, 1:]).any(axis=1)
    through = (travelled > 1e-7) & (travelled < length[ray] - 1e-7) & ~shares
    return np.unique(ray[through])
