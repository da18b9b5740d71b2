"""A garment as a sewing pattern: flat panels (closed outlines in cm with named edges) and the seams that join them.

Everything a pattern maker draws lives here as data: the outline of each piece, its grain line,
notches, internal lines, drill holes (button and buttonhole marks), quantity and cut-on-fold, where
it goes on the body, and which edge runs sew to which (one edge to two for a sleeve cap set into a front and a back armhole). Validation
names the piece and the problem. Geometry is numpy; simple-polygon checks use shapely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np
import shapely

from engine.garments.charts import GarmentError


class PatternError(GarmentError):
    """A pattern, piece or seam that cannot be cut or sewn; the message names the piece and the problem."""


class Placement(Enum):
    """Where a piece goes on the body (the sewing stage wraps it there)."""

    FRONT_TORSO = "front torso"
    BACK_TORSO = "back torso"
    LEFT_ARM = "left arm"
    RIGHT_ARM = "right arm"
    LEFT_LEG = "left leg"
    RIGHT_LEG = "right leg"
    NECK = "neck"
    WAIST = "waist"


@dataclass(frozen=True)
class Edge:
    """A named run of a piece's outline: vertices `start` to `end` in outline order (wrapping past the end)."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class Panel:
    """One pattern piece, flat, in cm (x across, y up), outline counter-clockwise and implicitly closed."""

    name: str
    outline: np.ndarray
    edges: tuple[Edge, ...]
    grain: np.ndarray  # (2, 2): a line along the warp
    placement: Placement | None  # None: not known yet (an imported piece whose name does not say)
    notches: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    internal_lines: tuple[np.ndarray, ...] = ()
    quantity: int = 1
    cut_on_fold: bool = False
    drill_holes: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # marks inside: buttons, buttonholes

    def edge(self, name: str) -> Edge:
        for edge in self.edges:
            if edge.name == name:
                return edge
        raise PatternError(f"piece {self.name!r} has no edge {name!r}; edges: {[e.name for e in self.edges]}")

    def edge_points(self, name: str) -> np.ndarray:
        """The polyline of an edge, in outline order."""
        edge = self.edge(name)
        count = len(self.outline)
        span = (edge.end - edge.start) % count
        return self.outline[(edge.start + np.arange(span + 1)) % count]

    def edge_length(self, name: str) -> float:
        return polyline_length(self.edge_points(name))

    @property
    def area_cm2(self) -> float:
        return signed_area(self.outline)

    def width_at(self, y: float) -> float:
        """How much of the horizontal line at height `y` (cm) lies inside the piece."""
        low, high = self.outline[:, 0].min() - 1.0, self.outline[:, 0].max() + 1.0
        return float(shapely.Polygon(self.outline).intersection(shapely.LineString([(low, y), (high, y)])).length)

    def validate(self) -> None:
        """Raise PatternError unless the piece can be cut: a simple, finite, counter-clockwise outline whose edges fit it."""
        where = f"piece {self.name!r}"
        if self.outline.ndim != 2 or self.outline.shape[1] != 2 or len(self.outline) < 3:
            raise PatternError(f"{where}: an outline needs at least 3 points (x, y); got shape {self.outline.shape}")
        if not np.isfinite(self.outline).all():
            raise PatternError(f"{where}: the outline has points that are not finite numbers")
        polygon = shapely.Polygon(self.outline)
        if not polygon.is_valid:
            raise PatternError(f"{where}: the outline crosses itself ({shapely.is_valid_reason(polygon)})")
        if self.area_cm2 <= 0:
            raise PatternError(f"{where}: the outline runs clockwise or encloses nothing (area {self.area_cm2:.2f} cm2)")
        for edge in self.edges:
            if not (0 <= edge.start < len(self.outline) and 0 <= edge.end < len(self.outline)):
                raise PatternError(f"{where}: edge {edge.name!r} runs outside the outline's {len(self.outline)} points")
        if self.quantity < 1:
            raise PatternError(f"{where}: quantity must be at least 1")


@dataclass(frozen=True)
class SeamSide:
    panel: str
    edge: str


@dataclass(frozen=True)
class Seam:
    """Edges sewn together: the run of `a` (one or more edges, end to end) to the run of `b`."""

    name: str
    a: tuple[SeamSide, ...]
    b: tuple[SeamSide, ...]


@dataclass(frozen=True)
class Tack:
    """Two points held together, one on each piece (cm, in each piece's frame): a button through its hole."""

    name: str
    panel_a: str
    point_a: tuple[float, float]
    panel_b: str
    point_b: tuple[float, float]


@dataclass(frozen=True)
class Pattern:
    category: str
    gender: str
    size: str
    fabric: str
    panels: dict[str, Panel]
    seams: tuple[Seam, ...]
    method: str = ""  # the drafting method, for the record
    levels_cm: dict[str, float] = field(default_factory=dict)  # drafting lines (y on the body pieces): chest, waist
    tacks: tuple[Tack, ...] = ()  # buttons: points of two pieces held together
    neck_slit_cm: float = 0.0  # a zip or placket opening the neckline (putting it on, the neckline opens by twice this)

    def side_length(self, sides: tuple[SeamSide, ...]) -> float:
        return sum(self.panels[s.panel].edge_length(s.edge) for s in sides)

    def validate(self, ease_fraction: float) -> None:
        """Every piece valid; every seam joins existing edges whose lengths differ by at most `ease_fraction`
        (what the fabric can ease or stretch in)."""
        for panel in self.panels.values():
            panel.validate()
        for seam in self.seams:
            for side in seam.a + seam.b:
                if side.panel not in self.panels:
                    raise PatternError(f"seam {seam.name!r} names a piece {side.panel!r} the pattern does not have")
                self.panels[side.panel].edge(side.edge)
            a, b = self.side_length(seam.a), self.side_length(seam.b)
            if abs(a - b) > ease_fraction * max(a, b):
                raise PatternError(f"seam {seam.name!r}: its sides are {a:.1f} and {b:.1f} cm long, more apart than the "
                                   f"{ease_fraction:.0%} the fabric can ease")


def assemble_outline(runs: list[tuple[str, np.ndarray]]) -> tuple[np.ndarray, tuple[Edge, ...]]:
    """Join edge polylines, each ending where the next starts and the last where the first starts, into one
    closed outline; each run becomes a named edge."""
    points, edges = [], []
    for name, run in runs:
        start = len(points)
        points.extend(run[:-1])
        edges.append(Edge(name, start, len(points)))
    outline = np.array(points)
    return outline, tuple(Edge(e.name, e.start, e.end % len(outline)) for e in edges)


def mirror_run(run: np.ndarray) -> np.ndarray:
    """A polyline flipped about the centre line (x = 0) and reversed, so a half outline continues into the other."""
    return run[::-1] * np.array([-1.0, 1.0])


def mirrored(panel: Panel, name: str, placement: Placement | None, rename: dict[str, str] | None = None) -> Panel:
    """The piece flipped left to right (the other leg, the other front): outline kept counter-clockwise,
    edges in the order they run round it, renamed by `rename`."""
    flip, count, rename = np.array([-1.0, 1.0]), len(panel.outline), rename or {}
    edges = tuple(Edge(rename.get(e.name, e.name), (count - 1 - e.end) % count, (count - 1 - e.start) % count)
                  for e in reversed(panel.edges))
    return Panel(name, (panel.outline * flip)[::-1], edges, panel.grain * flip, placement, panel.notches * flip,
                 tuple(line * flip for line in panel.internal_lines), panel.quantity, panel.cut_on_fold,
                 panel.drill_holes * flip)


def require_positive(values: dict, fields: tuple[str, ...], what: str, needs: str = "positive numbers (cm) for") -> None:
    """PatternError naming the fields of `values` that are not positive finite numbers ("<what> needs <needs> [...]")."""
    missing = [k for k in fields if isinstance(values.get(k), bool) or not isinstance(values.get(k), (int, float))
               or not np.isfinite(values[k]) or values[k] <= 0]
    if missing:
        raise PatternError(f"{what} needs {needs} {missing}")


def signed_area(points: np.ndarray) -> float:
    """The area a closed outline encloses, positive when it runs counter-clockwise (shoelace)."""
    x, y = points[:, 0], points[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def polyline_length(points: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum())


def cubic(p0, p1, p2, p3, count: int = 24) -> np.ndarray:
    """Points of a cubic Bezier curve (both ends included): the pattern maker's French curve."""
    t = np.linspace(0.0, 1.0, count)[:, None]
    p0, p1, p2, p3 = (np.asarray(p, dtype=float) for p in (p0, p1, p2, p3))
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t ** 2 * p2 + t ** 3 * p3
