"""Size charts and fabrics, read from `assets/` (what a designer edits; every mesh comes from them)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
CHARTS = ASSETS / "size_charts"
#: Garment category -> (fabric, construction). "top": torso and sleeves; "dress": sleeveless top
#: and skirt; "trousers": waist and legs; "skirt": waist band and skirt.
CATEGORIES: dict[str, tuple[str, str]] = {
    "tee": ("jersey", "top"),
    "longsleeve": ("shirting", "top"),
    "jacket": ("suiting", "top"),
    "dress": ("viscose", "dress"),
    "trousers": ("denim", "trousers"),
    "skirt": ("viscose", "skirt"),
}
#: The size charts a shopper's sex is cut for (charts exist for "women" and "men").
CHART_GENDER = {"female": "women", "male": "men"}


class GarmentError(ValueError):
    """A garment, size, chart, fabric or garment file is unknown or unusable."""


@dataclass(frozen=True)
class Fabric:
    """How a cloth behaves: membrane stiffness (N/m), bending as a fraction of it, mass, comfortable stretch."""

    name: str
    density_g_m2: float
    stretch_stiffness: float
    bend_stiffness: float
    comfort_strain_pct: float
    friction: float
    max_stretch_pct: float  # how far it can be pulled for a moment (a neckline over the head)


@dataclass(frozen=True)
class SizeChart:
    """Garment measurements (cm) per size label for one category and gender."""

    category: str
    gender: str
    sizes: tuple[dict, ...]

    @property
    def labels(self) -> list[str]:
        return [s["label"] for s in self.sizes]

    def size(self, label: str) -> dict:
        """The measurements of one size, by letter ("M") or numeric label ("38")."""
        for s in self.sizes:
            if label in (s["label"], s["numeric"]):
                return s
        raise GarmentError(f"{self.category} ({self.gender}) has no size {label!r}; sizes: {self.labels}")


@functools.lru_cache(maxsize=None)
def load_chart(category: str, gender: str = "women") -> SizeChart:
    if category not in CATEGORIES:
        raise GarmentError(f"unknown garment {category!r}; choose one of {sorted(CATEGORIES)}")
    path = CHARTS / f"{category}_{gender}.json"
    if not path.exists():
        path = next(iter(sorted(CHARTS.glob(f"{category}_*.json"))), None)
        if path is None:
            raise GarmentError(f"no size chart for {category!r} in {CHARTS}")
    data = json.loads(path.read_text())
    return SizeChart(data["category"], data["gender"], tuple(data["sizes"]))


@functools.lru_cache(maxsize=None)
def load_fabric(name: str) -> Fabric:
    fabrics = {k: v for k, v in json.loads((ASSETS / "fabrics.json").read_text()).items() if isinstance(v, dict)}
    if name not in fabrics:
        raise GarmentError(f"unknown fabric {name!r}; choose one of {sorted(fabrics)}")
    f = fabrics[name]
    return Fabric(name, f["density_g_m2"], f["stretch_stiffness"], f["bend_stiffness"],
                  f["comfort_strain_pct"], f["friction"], f["max_stretch_pct"])


#: "regular" fit wants this much more ease than a fit rule's "tight" threshold (size advice, made-to-measure)
COMFORT_MARGIN_CM = 3.0


@functools.lru_cache(maxsize=1)
def fit_rules() -> dict:
    return json.loads((ASSETS / "fit_rules.json").read_text())
