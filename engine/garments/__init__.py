"""Garments: size charts and fabrics as data, meshes built on the avatar from a chart's size."""

from engine.garments.charts import (
    CATEGORIES,
    Fabric,
    GarmentError,
    SizeChart,
    load_chart,
    load_fabric,
)

__all__ = ["CATEGORIES", "Fabric", "GarmentError", "SizeChart", "load_chart", "load_fabric"]
