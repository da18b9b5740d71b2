"""A garment's catalogue picture: the sewn pattern alone ("ghost mannequin"), printed in its colours.

The print (stripes, checks, dots) is laid on each flat panel in centimetres, so stripes run across
the grain and meet at the seams as cut cloth does; the drape is subdivided first so a 1.5 cm mesh
still shows 1.5 cm stripes.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import trimesh

from engine.patterns.sew import SewnGarment
from engine.render import render
from engine.render.scene import RenderItem

PERIOD_CM = 5.0  # one stripe, check or dot row every 5 cm
BAND_CM = 1.6  # a stripe's or check line's width
DOT_RADIUS_CM = 0.8
CHECK_BLEND = 0.55  # check lines are the accent at this strength, crossing lines at twice it
THUMBNAIL_SIZE = (192, 240)  # width, height in pixels


class Print(str, Enum):
    """How the accent colour is laid on the main one (the catalogue's `pattern`)."""

    SOLID = "solid"
    STRIPE = "stripe"
    CHECK = "check"
    DOTS = "print"


def hex_rgb(hex_colour: str) -> np.ndarray:
    """"#rrggbb" as three floats in 0-1."""
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255.0


def printed_colours(flat_cm: np.ndarray, print_: Print, main_rgb: np.ndarray, accent_rgb: np.ndarray) -> np.ndarray:
    """(N, 3) floats in 0-1: the colour of the cloth at each flat panel point (cm)."""
    x, y = flat_cm[:, 0] % PERIOD_CM, flat_cm[:, 1] % PERIOD_CM
    if print_ is Print.STRIPE:
        accent = (y < BAND_CM).astype(np.float64)
    elif print_ is Print.CHECK:
        accent = CHECK_BLEND * ((x < BAND_CM).astype(np.float64) + (y < BAND_CM))
    elif print_ is Print.DOTS:  # a dot in every cell, every other row shifted by half a cell
        shift = np.floor(flat_cm[:, 1] / PERIOD_CM) % 2 * PERIOD_CM / 2
        dx = (flat_cm[:, 0] + shift) % PERIOD_CM - PERIOD_CM / 2
        accent = (np.hypot(dx, y - PERIOD_CM / 2) < DOT_RADIUS_CM).astype(np.float64)
    else:
        accent = np.zeros(len(flat_cm))
    accent = np.clip(accent, 0.0, 1.0)[:, None]
    return (1.0 - accent) * np.asarray(main_rgb, dtype=np.float64) + accent * np.asarray(accent_rgb, dtype=np.float64)


def printed_garment(sewn: SewnGarment, main_rgb: np.ndarray, accent_rgb: np.ndarray, print_: Print,
                    subdivisions: int = 2) -> trimesh.Trimesh:
    """The sewn garment's mesh, each edge split `subdivisions` times, in vertex colours of its print."""
    flat_of_vertex = np.zeros((len(sewn.positions), 2))
    flat_of_vertex[sewn.weld] = sewn.flat_cm  # a seam vertex takes one of its panels' points
    vertices, faces = sewn.positions, sewn.drape.garment.faces
    for _ in range(subdivisions):
        vertices, faces, attributes = trimesh.remesh.subdivide(vertices, faces, vertex_attributes={"flat": flat_of_vertex})
        flat_of_vertex = attributes["flat"]
    mesh = trimesh.Trimesh(vertices, faces, process=False)
    colours = np.c_[printed_colours(flat_of_vertex, print_, main_rgb, accent_rgb), np.ones(len(vertices))]
    mesh.visual.vertex_colors = (255 * colours).round().astype(np.uint8)
    return mesh


def garment_thumbnail(sewn: SewnGarment, main_rgb: np.ndarray, accent_rgb: np.ndarray, print_: Print,
                      size: tuple[int, int] = THUMBNAIL_SIZE) -> np.ndarray:
    """RGBA uint8 picture of the sewn garment alone, from the front, on white."""
    mesh = printed_garment(sewn, main_rgb, accent_rgb, print_)
    return render([RenderItem(mesh, material="cloth")], view="front", size=size, background=(1.0, 1.0, 1.0, 1.0))
