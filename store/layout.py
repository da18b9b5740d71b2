"""A store as data: floor, walls, racks, fitting rooms, mirrors, and where each product hangs.

Layouts are JSON (`assets/stores/default.json` ships); each rack holds the catalogue's products
of its category and gender, spaced evenly along it in catalogue order. Positions are metres on
the floor plane (x right, z towards the entrance; y up), headings degrees about +y.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from store.catalog import Catalog

DEFAULT_LAYOUT = Path(__file__).resolve().parent.parent / "assets" / "stores" / "default.json"
HANGING_HEIGHT_M = 1.35
RACK_DEPTH_M = 0.5  # garments hang across the rail this deep
BODY_RADIUS_M = 0.25  # how close a shopper's centre comes to a fixture


class LayoutError(ValueError):
    """A store layout file is malformed: it names the field that is wrong."""


@dataclass(frozen=True)
class Rack:
    id: str
    category: str
    gender: str
    position: tuple[float, float]
    heading_deg: float
    length_m: float


@dataclass(frozen=True)
class Fixture:
    """A fitting room or a mirror: somewhere on the floor with a purpose."""

    id: str
    position: tuple[float, float]
    heading_deg: float = 0.0
    width_m: float = 1.0


@dataclass(frozen=True)
class StoreLayout:
    name: str
    width_m: float
    depth_m: float
    wall_height_m: float
    entrance: tuple[float, float]
    racks: tuple[Rack, ...]
    fitting_rooms: tuple[Fixture, ...]
    mirrors: tuple[Fixture, ...]
    placements: dict[str, dict[str, Any]]  # product id -> {"rack", "position": [x, y, z]}

    @classmethod
    def load(cls, catalog: Catalog, path: str | Path = DEFAULT_LAYOUT) -> StoreLayout:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise LayoutError(f"cannot read store layout {path}: {exc}") from exc
        return cls.from_dict(data, catalog)

    @classmethod
    def from_dict(cls, data: dict, catalog: Catalog | None = None) -> StoreLayout:
        """A layout from its JSON; products are hung from `catalog`, or kept as the data places
        them (`placements`, as in a client's snapshot) when no catalogue is given."""
        try:
            floor = data["floor"]
            width, depth = float(floor["width_m"]), float(floor["depth_m"])
            racks = tuple(Rack(str(r["id"]), r["category"], r["gender"], _point(r["position"]),
                               float(r.get("heading_deg", 0.0)), float(r["length_m"])) for r in data["racks"])
            rooms = tuple(Fixture(str(f["id"]), _point(f["position"])) for f in data.get("fitting_rooms", []))
            mirrors = tuple(Fixture(str(m["id"]), _point(m["position"]), float(m.get("heading_deg", 0.0)),
                                    float(m.get("width_m", 1.0))) for m in data.get("mirrors", []))
            layout = cls(str(data["name"]), width, depth, float(data.get("wall_height_m", 3.0)),
                         _point(data["entrance"]), racks, rooms, mirrors, {})
        except (KeyError, TypeError, ValueError) as exc:
            raise LayoutError(f"store layout is malformed: {exc!r} (see assets/stores/default.json)") from exc
        if not racks:
            raise LayoutError("store layout has no racks")
        for x, z in [r.position for r in racks] + [layout.entrance]:
            if not layout.inside(x, z):
                raise LayoutError(f"store layout puts something at ({x}, {z}), outside the {width} x {depth} m floor")
        layout.placements.update(_place(racks, catalog) if catalog is not None else data.get("placements", {}))
        return layout

    def inside(self, x: float, z: float) -> bool:
        return abs(x) <= self.width_m / 2 and abs(z) <= self.depth_m / 2

    def clamp(self, x: float, z: float) -> tuple[float, float]:
        """The nearest point on the floor (shoppers cannot walk through the walls)."""
        return (float(np.clip(x, -self.width_m / 2, self.width_m / 2)),
                float(np.clip(z, -self.depth_m / 2, self.depth_m / 2)))

    @functools.cached_property
    def _rack_frames(self) -> tuple[np.ndarray, ...]:
        """Per rack: centre, unit vectors along and across it, and the half sizes a shopper keeps clear of."""
        a = np.radians([r.heading_deg for r in self.racks])
        centres = np.array([r.position for r in self.racks])
        along, across = np.stack([np.cos(a), -np.sin(a)], axis=1), np.stack([np.sin(a), np.cos(a)], axis=1)
        half = np.stack([np.array([r.length_m for r in self.racks]) / 2 + BODY_RADIUS_M,
                         np.full(len(a), RACK_DEPTH_M / 2 + BODY_RADIUS_M)], axis=1)
        return centres, along, across, half

    def _in_racks(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For (N, 2) floor points: (N, racks) "too close to this rack", and the points' coordinates
        along and across each rack."""
        centres, along, across, half = self._rack_frames
        offset = np.asarray(points, dtype=np.float64)[:, None, :] - centres
        u, v = (offset * along).sum(axis=2), (offset * across).sum(axis=2)
        return (np.abs(u) < half[:, 0]) & (np.abs(v) < half[:, 1]), u, v

    def blocked(self, start: tuple[float, float], end: tuple[float, float]) -> bool:
        """Does walking straight from start to end pass (a body's width) through a rack?"""
        steps = np.linspace(0.0, 1.0, max(2, int(np.hypot(end[0] - start[0], end[1] - start[1]) / 0.1) + 1))
        points = np.asarray(start) + steps[:, None] * (np.asarray(end) - np.asarray(start))
        return bool(self._in_racks(points)[0].any())

    def step_aside(self, x: float, z: float) -> tuple[float, float]:
        """The point itself if it is clear of every rack, else the nearest point just outside the rack."""
        x, z = self.place(np.array([[x, z]]))[0].tolist()
        return x, z

    def place(self, points: np.ndarray) -> np.ndarray:
        """(N, 2) requested floor points -> where shoppers may stand: on the floor, clear of every rack
        (a point inside a rack's keep-clear box goes to the box's nearest side)."""
        limit = np.array([self.width_m / 2, self.depth_m / 2])
        points = np.clip(np.asarray(points, dtype=np.float64), -limit, limit)
        if not self.racks:
            return points
        inside, u, v = self._in_racks(points)
        hit = np.flatnonzero(inside.any(axis=1))
        if len(hit) == 0:
            return points
        centres, along, across, half = self._rack_frames
        rack = inside[hit].argmax(axis=1)  # racks do not overlap: the one rack each point is in
        ui, vi = u[hit, rack], v[hit, rack]
        out_along = half[rack, 0] - np.abs(ui) < half[rack, 1] - np.abs(vi)  # the nearer way out
        ui = np.where(out_along, np.copysign(half[rack, 0], ui), ui)
        vi = np.where(out_along, vi, np.copysign(half[rack, 1], np.where(vi == 0, 1.0, vi)))
        points[hit] = centres[rack] + ui[:, None] * along[rack] + vi[:, None] * across[rack]
        return points

    def as_dict(self) -> dict[str, Any]:
        """What clients draw: the room, fixtures and where products hang."""
        return {
            "name": self.name, "floor": {"width_m": self.width_m, "depth_m": self.depth_m},
            "wall_height_m": self.wall_height_m, "entrance": list(self.entrance),
            "rack_depth_m": RACK_DEPTH_M, "body_radius_m": BODY_RADIUS_M,
            "racks": [asdict(r) for r in self.racks], "fitting_rooms": [asdict(f) for f in self.fitting_rooms],
            "mirrors": [asdict(m) for m in self.mirrors], "placements": self.placements,
        }


def _point(value: Any) -> tuple[float, float]:
    x, z = (float(v) for v in value)
    if not (np.isfinite(x) and np.isfinite(z)):
        raise ValueError(f"position {value!r} is not finite")
    return x, z


def _place(racks: tuple[Rack, ...], catalog: Catalog) -> dict[str, dict[str, Any]]:
    """Hang each rack's products (its category and gender, catalogue order) evenly along it."""
    placements = {}
    for rack in racks:
        products = [p.id for p in catalog.products.values() if p.category == rack.category and p.gender == rack.gender]
        if not products:
            continue
        a = np.radians(rack.heading_deg)
        along = np.array([np.cos(a), -np.sin(a)])
        offsets = (np.arange(len(products)) + 0.5) / len(products) - 0.5
        points = np.asarray(rack.position) + offsets[:, None] * rack.length_m * along
        for product, (x, z) in zip(products, points):
            placements[product] = {"rack": rack.id, "position": [round(float(x), 3), HANGING_HEIGHT_M, round(float(z), 3)]}
    return placements
