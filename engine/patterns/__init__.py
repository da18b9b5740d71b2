"""Garments as sewing patterns: pieces and seams (`model`), drafting from size charts (`tops`, `dresses`, `skirts`, `trousers`),
meshing (`mesh`), SVG and AAMA DXF (`svg`, `dxf`)."""

from __future__ import annotations

from engine.garments.charts import load_chart
from engine.patterns.dresses import draft_dress, measure_dress
from engine.patterns.model import (
    Edge,
    Panel,
    Pattern,
    PatternError,
    Placement,
    Seam,
    SeamSide,
)
from engine.patterns.skirts import draft_skirt, measure_skirt
from engine.patterns.tops import TOPS, draft_top, measure_top
from engine.patterns.trousers import draft_trousers, measure_trousers

DRAFTED = (*TOPS, "dress", "skirt", "trousers")  # the categories drafted so far

__all__ = ["DRAFTED", "draft_poms", "Edge", "Panel", "Pattern", "PatternError", "Placement", "Seam", "SeamSide", "draft", "measure"]


def draft(category: str, gender: str, size: str) -> Pattern:
    """The pattern of one size of a garment, drafted from its size chart."""
    if category not in DRAFTED:
        raise PatternError(f"drafting {category!r} is not written yet; drafted so far: {list(DRAFTED)}")
    chart = load_chart(category, gender)
    pom = chart.size(size)
    return draft_poms(category, chart.gender, pom["label"], pom)


def draft_poms(category: str, gender: str, size: str, pom: dict) -> Pattern:
    """The pattern whose finished measurements are `pom` (cm): a chart size, or made to measure."""
    drafter = {"skirt": draft_skirt, "dress": draft_dress, "trousers": draft_trousers}.get(category)
    if drafter is None:
        return draft_top(category, gender, size, pom)
    return drafter(gender, size, pom)


def measure(pattern: Pattern) -> dict[str, float]:
    """The finished garment's points of measure (cm), read off the pieces."""
    return {"skirt": measure_skirt, "dress": measure_dress, "trousers": measure_trousers}.get(
        pattern.category, measure_top)(pattern)
