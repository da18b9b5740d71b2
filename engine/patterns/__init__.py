"""Garments as sewing patterns: pieces and seams (`model`), drafting from size charts (`tops`), SVG and AAMA DXF."""

from engine.patterns.model import Edge, Panel, Pattern, PatternError, Placement, Seam, SeamSide

__all__ = ["Edge", "Panel", "Pattern", "PatternError", "Placement", "Seam", "SeamSide"]
