"""An imported piece's outline split at its corners into runs, which seam inference names (`infer`, `infer_bottoms`).

DXF carries outlines, not edges: a run is the outline between two corners (where it turns more sharply
than CORNER_DEG). When the pieces say too little, `edge_table` lists each piece's runs with their
lengths, so the designer can name them in a seams sidecar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from engine.patterns.model import Edge, Panel, PatternError, Placement, polyline_length

CORNER_DEG = 40.0  # an outline turning more sharply than this at a point has a corner there
#: Corners closer than this along the outline are one (a cut line less its seam allowance, or a CAD system's
#: corner treatment, can turn a corner in two steps a few millimetres apart)
CORNER_MERGE_CM = 0.5
Run = tuple[int, int]  # (start, end) vertex indices along the outline, wrapping past its end


def corners(outline: np.ndarray) -> np.ndarray:
    """Indices of the outline's corners, in order: where it turns more sharply than CORNER_DEG (of two such turns
    closer than CORNER_MERGE_CM, the first)."""
    ahead = np.roll(outline, -1, axis=0) - outline
    behind = outline - np.roll(outline, 1, axis=0)
    cos = np.einsum("ij,ij->i", ahead, behind) / np.maximum(
        np.linalg.norm(ahead, axis=1) * np.linalg.norm(behind, axis=1), 1e-12)
    found = np.flatnonzero(cos < np.cos(np.radians(CORNER_DEG)))
    if len(found) < 2:
        return found
    arc = np.r_[0.0, np.cumsum(np.linalg.norm(ahead, axis=1))]  # outline length to each point; arc[-1] all round
    since_previous = np.diff(arc[found], prepend=arc[found[-1]] - arc[-1])
    return found[since_previous >= CORNER_MERGE_CM]  # a corner just after another is its second step


def outline_runs(panel: Panel) -> list[Run]:
    """The outline between consecutive corners, in outline order."""
    found = corners(panel.outline)
    return [(int(a), int(b)) for a, b in zip(found, np.roll(found, -1))]


def run_points(outline: np.ndarray, run: Run) -> np.ndarray:
    span = (run[1] - run[0]) % len(outline) or len(outline)
    return outline[(run[0] + np.arange(span + 1)) % len(outline)]


def run_length(panel: Panel, run: Run) -> float:
    return polyline_length(run_points(panel.outline, run))


def edge_table(panels: list[Panel]) -> str:
    """Every piece's edges between corners, numbered in outline order with their lengths: what a sidecar names."""
    lines = []
    for panel in panels:
        described = ", ".join(f"e{k} {run_length(panel, r):.1f} cm" for k, r in enumerate(outline_runs(panel)))
        lines.append(f"  {panel.name}: {described or 'no corners'}")
    return "\n".join(lines)


def lower_long_run(panel: Panel, runs: list[Run]) -> int:
    """Of a band's two longest runs, the lower: the edge it is sewn to the garment by."""
    longest = np.argsort([run_length(panel, r) for r in runs])[-2:]
    return int(min(longest, key=lambda k: run_points(panel.outline, runs[k])[:, 1].mean()))


def lowest_first(panel: Panel, runs: list[Run]) -> list[Run]:
    """The runs in outline order, starting from the lowest (the hem)."""
    lowest = min(range(len(runs)), key=lambda k: run_points(panel.outline, runs[k])[:, 1].mean())
    return runs[lowest:] + runs[:lowest]


def with_edges(panel: Panel, names: list[str] | tuple[str, ...], runs: list[Run]) -> Panel:
    """The piece with `runs` named `names`, in order."""
    if len(runs) != len(names):
        raise PatternError(f"piece {panel.name!r} has {len(runs)} edges between corners where {len(names)} were "
                           f"expected ({', '.join(names)})")
    repeated = sorted({n for n in names if list(names).count(n) > 1})
    if repeated:
        raise PatternError(f"piece {panel.name!r} has more than one edge named {repeated}")
    return replace(panel, edges=tuple(Edge(name, start, end) for name, (start, end) in zip(names, runs)))


def named(panel: Panel, names: tuple[str, ...] | list[str], hem_first: bool = True) -> Panel:
    """The piece with its runs between corners named in order, starting from its lowest run (the hem) when asked."""
    runs = outline_runs(panel)
    if len(runs) != len(names):
        return with_edges(panel, names, runs)  # refuses, naming the counts
    return with_edges(panel, names, lowest_first(panel, runs) if hem_first else runs)


def as_piece(panel: Panel, name: str, placement: Placement | None) -> Panel:
    """The piece under our name and placement, cut once (a piece cut twice becomes two of ours)."""
    return replace(panel, name=name, placement=placement, quantity=1)


def moved(panel: Panel, shift: np.ndarray) -> Panel:
    """The piece translated by `shift` (cm), with its grain, notches, internal lines and drill holes."""
    return replace(panel, outline=panel.outline + shift, grain=panel.grain + shift,
                   notches=panel.notches.reshape(-1, 2) + shift, drill_holes=panel.drill_holes.reshape(-1, 2) + shift,
                   internal_lines=tuple(line + shift for line in panel.internal_lines))


def centred_from_top(panel: Panel) -> Panel:
    """A body or sleeve piece in the drafts' frame: its centre line at x = 0, its top at y = 0."""
    low, high = panel.outline.min(axis=0), panel.outline.max(axis=0)
    return moved(panel, -np.array([(low[0] + high[0]) / 2, high[1]]))


def from_corner(panel: Panel) -> Panel:
    """A band in the drafts' frame: the edge it is sewn by along y = 0 from x = 0, the band above it."""
    return moved(panel, -panel.outline.min(axis=0))


def sort_pieces(panels: dict[str, Panel], sidecar: dict, kind_of: Callable[[str], str | None],
                kinds: tuple[str | None, ...]) -> dict[str | None, list[Panel]]:
    """The pieces by kind: what the sidecar's `"pieces"` says a piece is, else what its name says (`kind_of`)."""
    said = {str(k).lower(): v for k, v in sidecar.get("pieces", {}).items()}
    for name in (*said, *(str(k).lower() for k in sidecar.get("edges", {}))):
        if name not in panels:
            raise PatternError(f"the sidecar names a piece {name!r} the file does not have")
    out: dict[str | None, list[Panel]] = {}
    for panel in panels.values():
        kind = said.get(panel.name, kind_of(panel.name))
        if kind not in kinds:
            raise PatternError(f"the sidecar calls piece {panel.name!r} a {kind!r}; a piece is one of {list(kinds)}")
        out.setdefault(kind, []).append(panel)
    return out


def sidecar_edges(sidecar: dict) -> dict[str, list[str]]:
    """The sidecar's `"edges"`: piece name to its edges' names in outline order."""
    return {str(k).lower(): [str(n) for n in v] for k, v in sidecar.get("edges", {}).items()}
