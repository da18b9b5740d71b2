"""Pattern pieces as triangle meshes at real scale, ready to sew: isotropic triangles of about `edge_cm`,
and the same number of vertices along both sides of every seam so they can be joined vertex to vertex.

Boundary: each edge resampled by arc length (a seam's count shared out over the edges of each of its
sides in proportion to their lengths). Interior: a triangular lattice kept clear of the boundary.
Triangles: Delaunay (scipy's Qhull, BSD-licensed; not Shewchuk's Triangle, which is not free for
commercial use), keeping those inside the outline. Vectorised throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import Delaunay

from engine.patterns.model import Panel, Pattern, PatternError, polyline_length

EDGE_CM = 1.2
CLEARANCE = 0.6  # interior points keep this many target edges away from the boundary


@dataclass(frozen=True)
class PanelMesh:
    vertices: np.ndarray  # (V, 2) cm, in the panel's flat frame
    faces: np.ndarray  # (F, 3), counter-clockwise
    edge_vertices: dict[str, np.ndarray]  # edge name -> vertex indices along it, in outline order


def resample(points: np.ndarray, segments: int) -> np.ndarray:
    """`segments` + 1 points evenly spaced by arc length along a polyline (both ends kept)."""
    lengths = np.linalg.norm(np.diff(points, axis=0), axis=1)
    along = np.concatenate([[0.0], np.cumsum(lengths)])
    targets = np.linspace(0.0, along[-1], segments + 1)
    return np.stack([np.interp(targets, along, points[:, 0]), np.interp(targets, along, points[:, 1])], axis=1)


def seam_segments(pattern: Pattern, edge_cm: float = EDGE_CM) -> dict[tuple[str, str], int]:
    """(piece, edge) -> segments along it, equal in total on both sides of every seam."""
    counts: dict[tuple[str, str], int] = {}
    for seam in pattern.seams:
        total = max(1, int(np.ceil(max(pattern.side_length(seam.a), pattern.side_length(seam.b)) / edge_cm)))
        for side in (seam.a, seam.b):
            lengths = np.array([pattern.panels[s.panel].edge_length(s.edge) for s in side])
            shares = np.maximum(1, np.round(np.cumsum(lengths) / lengths.sum() * total).astype(int))
            for s, count in zip(side, np.diff(np.concatenate([[0], shares]))):
                counts[(s.panel, s.edge)] = max(1, int(count))
    return counts


def mesh_panel(panel: Panel, segments: dict[str, int] | None = None, edge_cm: float = EDGE_CM) -> PanelMesh:
    """Triangulate one piece; `segments` fixes the count along named edges (the rest follow `edge_cm`)."""
    segments = segments or {}
    edges = sorted(panel.edges, key=lambda e: e.start)  # in the order they run round the outline
    runs = [(e.name, panel.edge_points(e.name)) for e in edges] or [("outline", np.vstack([panel.outline, panel.outline[:1]]))]
    boundary, edge_vertices = [], {}
    for name, points in runs:
        count = segments.get(name) or max(1, int(np.ceil(polyline_length(points) / edge_cm)))
        start = len(boundary)
        boundary.extend(resample(points, count)[:-1])
        edge_vertices[name] = np.arange(start, start + count + 1)
    boundary = np.array(boundary)
    for name in edge_vertices:
        edge_vertices[name] = edge_vertices[name] % len(boundary)
    polygon = shapely.Polygon(boundary)
    if not polygon.is_valid:
        raise PatternError(f"piece {panel.name!r}: its resampled outline crosses itself; mesh it finer")
    interior = _lattice(polygon, edge_cm)
    vertices = np.vstack([boundary, interior])
    faces = Delaunay(vertices).simplices
    centroids = vertices[faces].mean(axis=1)
    faces = faces[shapely.contains_xy(polygon, centroids[:, 0], centroids[:, 1])]
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    cross = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    keep = np.abs(cross) > 1e-6 * edge_cm ** 2  # Qhull's flat triangles along straight runs of the boundary
    faces = np.where((cross < 0)[:, None], faces[:, ::-1], faces)[keep]  # counter-clockwise, like the outline
    return PanelMesh(vertices, faces, edge_vertices)


def mesh_pattern(pattern: Pattern, edge_cm: float = EDGE_CM) -> dict[str, PanelMesh]:
    """Every piece meshed, seams sharing their vertex counts."""
    counts = seam_segments(pattern, edge_cm)
    return {name: mesh_panel(panel, {edge: n for (piece, edge), n in counts.items() if piece == name}, edge_cm)
            for name, panel in pattern.panels.items()}


def _lattice(polygon: shapely.Polygon, spacing: float) -> np.ndarray:
    """Points of an equilateral triangular lattice inside `polygon`, clear of its boundary."""
    (x0, y0, x1, y1), row = polygon.bounds, spacing * np.sqrt(3.0) / 2.0
    ys = np.arange(y0 + row / 2, y1, row)
    xs = np.arange(x0 + spacing / 2, x1, spacing)
    grid_x = xs[None, :] + (np.arange(len(ys)) % 2)[:, None] * spacing / 2
    points = np.stack([grid_x.ravel(), np.repeat(ys, len(xs))], axis=1)
    inside = shapely.contains_xy(polygon, points[:, 0], points[:, 1])
    points = points[inside]
    clear = shapely.distance(polygon.exterior, shapely.points(points)) > CLEARANCE * spacing
    return points[clear]
