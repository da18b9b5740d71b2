"""A pattern as SVG, to look at: every piece at real scale (1 unit = 1 mm), laid out in a row, with
its name, size, quantity, grain arrow, notches, drill holes (buttons) and edge names."""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np

from engine.patterns.model import Pattern

MM_PER_CM = 10.0
GAP_CM = 4.0


def pattern_svg(pattern: Pattern) -> str:
    parts, x_offset, height = [], 0.0, 0.0
    for panel in pattern.panels.values():
        low, high = panel.outline.min(axis=0), panel.outline.max(axis=0)
        shift = np.array([x_offset - low[0], -high[1]])  # top-left of the piece at (x_offset, 0); SVG y runs down

        def xy(points: np.ndarray) -> np.ndarray:
            return (points + shift) * np.array([MM_PER_CM, -MM_PER_CM])

        outline = " ".join(f"{x:.2f},{y:.2f}" for x, y in xy(panel.outline))
        parts.append(f'<g id="{escape(panel.name)}"><polygon points="{outline}" fill="#f4efe6" stroke="#222" '
                     f'stroke-width="1.5"/>')
        (gx0, gy0), (gx1, gy1) = xy(panel.grain)
        parts.append(f'<line x1="{gx0:.2f}" y1="{gy0:.2f}" x2="{gx1:.2f}" y2="{gy1:.2f}" stroke="#444" '
                     f'stroke-width="1.2" marker-start="url(#arrow)" marker-end="url(#arrow)"/>')
        parts += [f'<circle cx="{x:.2f}" cy="{y:.2f}" r="4" fill="#c33"/>' for x, y in xy(panel.notches)]
        parts += [f'<circle class="drill" cx="{x:.2f}" cy="{y:.2f}" r="5" fill="none" stroke="#36c" stroke-width="1.5"/>'
                  for x, y in xy(panel.drill_holes)]
        for edge in panel.edges:
            mx, my = xy(panel.edge_points(edge.name)).mean(axis=0)
            parts.append(f'<text x="{mx:.1f}" y="{my:.1f}" font-size="14" fill="#777" text-anchor="middle">'
                         f'{escape(edge.name)}</text>')
        cx, cy = xy(panel.outline).mean(axis=0)
        parts.append(f'<text x="{cx:.1f}" y="{cy:.1f}" font-size="26" text-anchor="middle">{escape(panel.name)} · '
                     f'{escape(pattern.size)} · cut {panel.quantity}{" on fold" if panel.cut_on_fold else ""}</text></g>')
        x_offset += (high[0] - low[0]) + GAP_CM
        height = max(height, high[1] - low[1])
    width_mm, height_mm = x_offset * MM_PER_CM, height * MM_PER_CM
    margin = GAP_CM * MM_PER_CM
    title = escape(f"{pattern.category} ({pattern.gender}) size {pattern.size}: {pattern.method}")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_mm / 10 + 2 * GAP_CM:.1f}cm" '
            f'height="{height_mm / 10 + 2 * GAP_CM:.1f}cm" '
            f'viewBox="{-margin:.1f} {-margin:.1f} {width_mm + 2 * margin:.1f} {height_mm + 2 * margin:.1f}">'
            f'<title>{title}</title>'
            '<defs><marker id="arrow" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" markerHeight="6" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker></defs>'
            + "".join(parts) + "</svg>")
