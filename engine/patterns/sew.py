"""Sew a pattern on a body: flat panels placed around it, seams pulled shut and merged, then the cloth settles.

Placement wraps each meshed panel where it goes (`Placement`): front and back round an ellipse a
few centimetres outside the chest (trouser pieces round the hips, then round each leg), the high
point shoulder (or the waist) at its body height, never crossing each other at the sides; sleeves
round the arm's own axes, turning smoothly at the elbow; bands round the neck or waist from where
the edge they are sewn to starts. Nothing starts through anything else, and the cloth's layers are
then held apart (`engine.cloth_contact`). Sewing is the statics of `engine.drape` (stretch towards
the flat panel's own edge lengths, bending, contact with the body) plus springs that pull every
pair of seam vertices together, stiffened in stages; then each pair is merged into one vertex and
the garment settles under gravity in `engine.drape`. L-BFGS in torch, deterministic.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import torch
import trimesh

from avatars import Avatar
from avatars.tape import anny_landmarks
from engine.cloth_contact import SelfContact, Ties
from engine.drape import (
    DTYPE,
    BodyCollider,
    ClothTerm,
    DrapeResult,
    Incidence,
    bending_pairs,
    cloth_energy,
    contact_energy,
    drape,
    floor_energy,
    seam_energy,
)
from engine.garments.build import Garment, body_landmarks
from engine.garments.charts import load_fabric
from engine.patterns import measure
from engine.patterns.mesh import mesh_pattern
from engine.patterns.model import Pattern, PatternError, Placement, SeamSide

M_PER_CM = 0.01
CLEARANCE_M = 0.04  # panels start this far outside the torso
SKIN_OFFSET_M = 0.0025
COMPRESSION = 0.05  # cloth resists squashing this much less than stretching: it folds
CONTACT_STIFFNESS = 5e4
#: (seam spring stiffness N/m per metre, rounds): pull the seams shut, stiffer each stage, before they are merged
SEAM_STAGES = ((2e3, 2), (2e4, 2), (2e5, 1), (2e6, 1))
SETTLE_ROUNDS = 4  # then the merged garment settles under gravity (`engine.drape`)
SETTLE_REACH_M = 0.01  # settling moves the cloth less than sewing: its layers are looked for nearer
ITERATIONS = 60
ROW_M = 0.01  # sleeve rows for wrapping, a centimetre apart
SLEEVE_CLEARANCE_M = 0.01  # sleeves start at least this far outside the arm
SIDE_GAP = 0.02  # a panel row as wide as half the torso starts this much short of the side
LAYER_M = 0.008  # the jacket front that laps over the other starts this far outside it
LAPPING_FRONT = {"women": "front_right", "men": "front_left"}  # women's button right over left, men's left over right
BANDS = (Placement.NECK, Placement.WAIST)  # placed round the body where the edges they are sewn to start
UPPER_ARM_M = (0.08, 0.26)  # the arm's surface this far from the shoulder point is the upper arm
FOREARM_M = (0.36, 0.52)  # and this far, the forearm
ELBOW_BEND_M = 0.14  # a sleeve's line turns from the upper arm's axis to the forearm's over this length
PATH_STEP_M = 0.002
LEG_REACH_M = 0.3  # the legs' surface lies this close to the midline (the hands hang further out)
LEG_BIN_M = 0.02  # the legs' sections, this far apart
ANKLE_M = 0.08  # the legs are read above this height
MIDLINE_GAP_M = 0.005  # a trouser leg starts at least this far to its side of the body's middle
LEG_BLEND_M = 0.06  # trouser pieces turn from the hips to the legs over this height at the crotch
REGION = {Placement.FRONT_TORSO: "torso", Placement.BACK_TORSO: "torso", Placement.NECK: "torso", Placement.WAIST: "torso",
          Placement.LEFT_ARM: "sleeve_left", Placement.RIGHT_ARM: "sleeve_right",
          Placement.LEFT_LEG: "leg_left", Placement.RIGHT_LEG: "leg_right"}  # the fit's names for where cloth is


@dataclass
class SewnGarment:
    """A pattern sewn on a body: the welded garment at rest (`drape`), and how each flat vertex got there."""

    pattern: Pattern
    drape: DrapeResult  # the garment, seams merged, settled on the body
    weld: np.ndarray  # (N,) each flat panel vertex's vertex in the garment
    flat_cm: np.ndarray  # (N, 2) each flat panel vertex in its panel (cm)
    panel: np.ndarray  # (N,) the panel name of each flat vertex
    seam_pairs: np.ndarray  # (K, 2) flat vertices sewn together
    button_pairs: np.ndarray  # (B, 2) flat vertices a button holds together, one on each layer
    closing_gap_mm: np.ndarray  # (K,) how far apart each pair was when the seams were merged
    seconds: float
    steps: int  # optimiser iterations, sewing and settling
    terms: tuple[ClothTerm, ...]  # its layers kept apart and its buttons, for settling it further

    @property
    def positions(self) -> np.ndarray:
        return self.drape.positions

    @property
    def mesh(self) -> trimesh.Trimesh:
        return self.drape.mesh

    def edge_strain(self) -> np.ndarray:
        """Per garment edge: length on the body over length in the flat panel, minus one."""
        return self.drape.edge_strain()


def _welded(pattern: Pattern, positions: np.ndarray, faces: np.ndarray, flat_cm: np.ndarray, panel: np.ndarray,
            pairs: np.ndarray) -> tuple[Garment, np.ndarray]:
    """The panels as one garment, each seam's vertex pairs merged into one vertex at their mean, with every
    edge's length in its flat panel (a seam edge's mean over its two panels); and each flat vertex's new index."""
    joined = scipy.sparse.coo_matrix((np.ones(len(pairs)), pairs.T), shape=(len(positions),) * 2)
    count, weld = scipy.sparse.csgraph.connected_components(joined, directed=False)
    merged = np.stack([np.bincount(weld, positions[:, k], minlength=count) for k in range(3)], axis=1)
    merged /= np.bincount(weld, minlength=count)[:, None]
    welded_faces = weld[faces]
    whole = ((welded_faces[:, 0] != welded_faces[:, 1]) & (welded_faces[:, 1] != welded_faces[:, 2])
             & (welded_faces[:, 2] != welded_faces[:, 0]))
    mesh = trimesh.Trimesh(merged, welded_faces[whole], process=False)
    flat_edges = trimesh.geometry.faces_to_edges(faces[whole])  # the order of mesh.edges
    flat = np.linalg.norm(flat_cm[flat_edges[:, 0]] - flat_cm[flat_edges[:, 1]], axis=1) * M_PER_CM
    inverse = mesh.edges_unique_inverse
    rest_edge_m = np.bincount(inverse, flat) / np.bincount(inverse)
    regions = np.empty(count, dtype=object)
    regions[weld] = [REGION[pattern.panels[name].placement] for name in panel]
    garment = Garment(pattern.category, pattern.size, load_fabric(pattern.fabric), mesh.faces, merged, merged,
                      regions.astype(str), np.zeros(count, dtype=bool), measure(pattern), rest_edge_m)
    return garment, weld


class _Ellipse:
    """A horizontal ellipse round the trunk, a clearance outside the body's section over a band of heights,
    walked by arc length from the front centre."""

    def __init__(self, v: np.ndarray, band: np.ndarray, what: str):
        if band.sum() < 10:
            raise PatternError(f"cannot find the {what} to place the panels around")
        self.half_width = float(np.abs(v[band, 0]).max()) + CLEARANCE_M
        self.half_depth = float(np.ptp(v[band, 2])) / 2 + CLEARANCE_M
        self.centre_z = float(v[band, 2].max() + v[band, 2].min()) / 2
        self.theta = np.linspace(0.0, 2.0 * np.pi, 4001)
        ring = np.stack([self.half_width * np.sin(self.theta), self.half_depth * np.cos(self.theta)], axis=1)
        self.arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(ring, axis=0), axis=1))])

    def at(self, arc_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(x, z offset from the centre) of the points this far round from the front centre, towards +x."""
        angle = np.interp(np.mod(arc_m, self.arc[-1]), self.arc, self.theta)
        return self.half_width * np.sin(angle), self.half_depth * np.cos(angle)


class _Placer:
    """Where each flat panel starts, around this body."""

    def __init__(self, avatar: Avatar):
        self.lm = body_landmarks(avatar)
        self.vertices = v = avatar.vertices
        self.arm_ids = anny_landmarks()["arm_vertices"]
        trunk = np.abs(v[:, 0]) < np.abs(self.lm.acromion_left[0]) * 0.95
        self.chest = _Ellipse(v, trunk & (np.abs(v[:, 1] - self.lm.bust) < 0.02), "torso at bust height")
        self.hips = _Ellipse(v, trunk & (v[:, 1] > self.lm.crotch + 0.03) & (v[:, 1] < self.lm.navel), "hips")
        self.layer_out = 1.0 + LAYER_M / self.chest.half_depth  # the torso ellipse one layer of cloth larger

    def torso(self, flat_m: np.ndarray, outline_m: np.ndarray, back: bool, top_y: float, outer: bool = False) -> np.ndarray:
        """Wrap a front or back panel round the torso ellipse: x across from the centre line, y down from `top_y`.
        A row wider than the front (or back) half of the ellipse goes round a larger one, so that front and
        back never start crossed at the sides (a flared hem); an `outer` piece (the jacket front that laps
        over) goes round one a layer larger."""
        low, high = _extent(outline_m, flat_m[:, 1])
        half_round = self.chest.arc[-1] / 4.0
        scale = np.maximum(1.0, np.maximum(np.abs(low), np.abs(high)) / half_round) * (1.0 + SIDE_GAP)
        if outer:
            scale *= self.layer_out
        x, z = self.chest.at(flat_m[:, 0] / scale)
        sign = -1.0 if back else 1.0
        return np.stack([sign * scale * x, top_y + flat_m[:, 1], self.chest.centre_z + sign * scale * z], axis=1)

    def clear_of_torso(self, x: np.ndarray) -> np.ndarray:
        """Points (a loose sleeve's underarm) moved out of the ellipse the front and back go round, to a layer
        outside it, so that a sleeve does not start through the body pieces beside the armpit."""
        across, depth = x[:, 0] / self.chest.half_width, (x[:, 2] - self.chest.centre_z) / self.chest.half_depth
        reach = np.hypot(across, depth)
        outside = (1.0 + SIDE_GAP) * self.layer_out
        push = np.where(reach < outside, outside / np.maximum(reach, 1e-9), 1.0)
        return np.stack([x[:, 0] * push, x[:, 1], self.chest.centre_z + (x[:, 2] - self.chest.centre_z) * push], axis=1)

    def leg(self, flat_m: np.ndarray, outline_m: np.ndarray, left: bool, back: bool, top_y: float, rise_m: float) -> np.ndarray:
        """Wrap a trouser piece: above the crotch round the hips from the centre line (the crotch extension
        curving under, towards the other side), below it round its leg, each row's middle on the leg's front
        (or back) line and its two edges at the leg's inside and outside; blended over 6 cm at the crotch."""
        out = 1.0 if left else -1.0
        face = -1.0 if back else 1.0
        toward_side = out if back else -out  # the right front and the left back are drafted side seam at +x
        across = toward_side * flat_m[:, 0]  # from the centre line towards the side seam
        y = top_y + flat_m[:, 1]
        lowest, hem_y = top_y + outline_m[:, 1].min(), self.lm.floor + ANKLE_M
        if lowest < hem_y:  # a full length starts gathered below mid-leg, its hem clear of the foot, and slides down
            gather = (self.lm.crotch + hem_y) / 2
            y = np.where(y < gather, gather - (gather - y) * (gather - hem_y) / (gather - lowest), y)
        x, z = self.hips.at(np.maximum(across, 0.0))
        hips = np.stack([out * x, y, self.hips.centre_z + face * (z + np.minimum(across, 0.0))], axis=1)
        low, high = _extent(outline_m * np.array([toward_side, 1.0]), flat_m[:, 1])
        middle, half = (low + high) / 2, np.maximum((high - low) / 2, 1e-3)
        centre_x, centre_z, radius = self.leg_axis(left, y)
        angle = 0.5 * np.pi * (across - middle) / half  # -pi/2 at the inside leg, +pi/2 at the outside
        r = np.maximum(2.0 * half / np.pi, radius + SLEEVE_CLEARANCE_M)
        side_x = out * np.maximum(out * (centre_x + out * r * np.sin(angle)), MIDLINE_GAP_M)  # a wide leg: not past the middle
        legs = np.stack([side_x, y, centre_z + face * r * np.cos(angle)], axis=1)
        weight = np.clip((flat_m[:, 1] + rise_m + LEG_BLEND_M / 2) / LEG_BLEND_M, 0.0, 1.0)[:, None]
        return weight * hips + (1.0 - weight) * legs

    def leg_axis(self, left: bool, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The leg's centre (x, z) and radius at heights `y`, from the boxes round the body's sections 2 cm apart
        below the crotch (a mesh's vertices are not spread evenly round a section, so their mean wanders)."""
        v = self.vertices
        leg = ((np.sign(v[:, 0]) == (1.0 if left else -1.0)) & (v[:, 1] < self.lm.crotch) & (np.abs(v[:, 0]) < LEG_REACH_M)
               & (v[:, 1] > self.lm.floor + ANKLE_M))  # below the ankle the foot juts forward: the ankle's section holds
        bins = np.floor((v[leg, 1] - self.lm.floor) / LEG_BIN_M).astype(int)
        count = np.bincount(bins)
        filled = count > 0
        box = np.zeros((4, len(count)))  # min x, min z, -max x, -max z of each section
        box[:] = np.inf
        for k, column in enumerate((v[leg, 0], v[leg, 2], -v[leg, 0], -v[leg, 2])):
            np.minimum.at(box[k], bins, column)
        box = box[:, filled]
        centre_x, centre_z = (box[0] - box[2]) / 2, (box[1] - box[3]) / 2  # the middle of each section's box
        radius = np.maximum(-box[2] - box[0], -box[3] - box[1]) / 2
        heights = self.lm.floor + (np.flatnonzero(filled) + 0.5) * LEG_BIN_M
        clipped = np.clip(y, heights[0], heights[-1])
        return (np.interp(clipped, heights, centre_x), np.interp(clipped, heights, centre_z),
                np.interp(clipped, heights, radius))

    def _segment(self, left: bool, reach_m: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, float]:
        """Centre, unit direction down the arm, and radius of the arm's surface `reach_m` from the shoulder point
        (its principal axis)."""
        acromion = self.lm.acromion_left if left else self.lm.acromion_right
        arm = self.vertices[self.arm_ids]
        arm = arm[np.sign(arm[:, 0]) == np.sign(acromion[0])]
        reach = np.linalg.norm(arm - acromion, axis=1)
        part = arm[(reach > reach_m[0]) & (reach < reach_m[1])]
        if len(part) < 20:
            raise PatternError("cannot find the arms to place the sleeves around")
        centre = part.mean(axis=0)
        direction = np.linalg.svd(part - centre, full_matrices=False)[2][0]
        direction *= -np.sign(direction[1])
        off_axis = part - centre - np.outer((part - centre) @ direction, direction)
        return centre, direction, float(np.percentile(np.linalg.norm(off_axis, axis=1), 95))

    def arm_path(self, left: bool, down_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Points on the arm's centre line `down_m` below the shoulder point's level, with the direction there,
        and the upper arm's radius. The line bends at the elbow (where the upper arm's and forearm's axes pass
        closest), since the A pose bends the forearm forward: the line from the shoulder to the wrist misses it."""
        acromion = self.lm.acromion_left if left else self.lm.acromion_right
        upper, upper_dir, radius = self._segment(left, UPPER_ARM_M)
        fore, fore_dir, _ = self._segment(left, FOREARM_M)
        start = upper - upper_dir * float((upper - acromion) @ upper_dir)
        # closest approach of the two axes: solve for the distances along each
        cross = float(upper_dir @ fore_dir)
        w = start - fore
        s_elbow = (cross * float(w @ fore_dir) - float(w @ upper_dir)) / max(1.0 - cross**2, 1e-6)
        # the line turns from the one axis to the other over ELBOW_BEND_M, so the sleeve's rows, square to it,
        # do not cross each other on the inside of the bend
        along = np.arange(min(float(down_m.min()), 0.0), max(float(down_m.max()), s_elbow) + 2 * PATH_STEP_M, PATH_STEP_M)
        turned = np.clip((along - s_elbow) / ELBOW_BEND_M + 0.5, 0.0, 1.0)
        turned = turned * turned * (3.0 - 2.0 * turned)
        direction = (1.0 - turned)[:, None] * upper_dir + turned[:, None] * fore_dir
        direction /= np.linalg.norm(direction, axis=1, keepdims=True)
        steps = (direction[1:] + direction[:-1]) / 2 * np.diff(along)[:, None]
        line = start + along[0] * upper_dir + np.vstack([np.zeros(3), np.cumsum(steps, axis=0)])
        points = np.stack([np.interp(down_m, along, line[:, k]) for k in range(3)], axis=1)
        tangent = np.stack([np.interp(down_m, along, direction[:, k]) for k in range(3)], axis=1)
        return points, tangent / np.linalg.norm(tangent, axis=1, keepdims=True), radius

    def arm(self, flat_m: np.ndarray, left: bool) -> np.ndarray:
        """Roll a sleeve round the arm's centre line, its cap's top level with the shoulder point: below the
        bicep each row of the sleeve goes once round (its two underarm edges meet under the arm), the cap keeps
        the bicep's radius; never closer to the axis than the arm's own radius and a clearance."""
        centre, along, arm_radius = self.arm_path(left, -flat_m[:, 1])
        up = np.array([0.0, 1.0, 0.0]) - along[:, 1:2] * along
        up /= np.linalg.norm(up, axis=1, keepdims=True)
        across = np.cross(along, up) * (1.0 if left else -1.0)  # the sleeve's +x half (its front) faces forward
        rows = np.round(flat_m[:, 1] / ROW_M).astype(int)
        rows -= rows.min()
        half_width = np.zeros(rows.max() + 1)
        np.maximum.at(half_width, rows, np.abs(flat_m[:, 0]))
        bicep_row = int(np.argmax(half_width))
        width = np.where(rows <= bicep_row, half_width[rows], half_width[bicep_row])  # rows count up from the hem
        width = np.maximum(width, 1e-3)
        radius = np.maximum(width / np.pi, arm_radius + SLEEVE_CLEARANCE_M)
        angle = np.pi * flat_m[:, 0] / width
        return centre + radius[:, None] * (np.cos(angle)[:, None] * up + np.sin(angle)[:, None] * across)

    @staticmethod
    def ring(flat_m: np.ndarray, centre: np.ndarray, depth_ratio: float, start: np.ndarray) -> np.ndarray:
        """Wrap a band round a ring at `centre` (its length the circumference), its first end level with
        `start` (where the edge it is sewn to starts), running round whichever way; sewing finds the way."""
        radius = float(np.ptp(flat_m[:, 0])) / (2.0 * np.pi)
        angle = np.arctan2(start[0] - centre[0], (start[2] - centre[2]) / depth_ratio) - flat_m[:, 0] / radius
        return np.stack([centre[0] + radius * np.sin(angle), centre[1] + 0.5 * flat_m[:, 1] - 0.01,
                         centre[2] + depth_ratio * radius * np.cos(angle)], axis=1)

    def place(self, pattern: Pattern, name: str, flat_cm: np.ndarray, sewn_to: np.ndarray | None = None) -> np.ndarray:
        """Where a flat piece starts; a band needs `sewn_to`, the placed start of the edge run it is sewn to."""
        flat_m = flat_cm * M_PER_CM
        placement = pattern.panels[name].placement
        hps = self.lm.acromion_left[1] + 0.045  # the high point shoulder, above the shoulder point by its slope
        top = self.lm.navel if pattern.category in ("skirt", "trousers") else hps
        if placement in (Placement.FRONT_TORSO, Placement.BACK_TORSO):
            return self.torso(flat_m, pattern.panels[name].outline * M_PER_CM, placement is Placement.BACK_TORSO, top,
                              name == LAPPING_FRONT.get(pattern.gender))
        if placement in (Placement.LEFT_ARM, Placement.RIGHT_ARM):
            return self.clear_of_torso(self.arm(flat_m, placement is Placement.LEFT_ARM))
        if placement in (Placement.LEFT_LEG, Placement.RIGHT_LEG):
            return self.leg(flat_m, pattern.panels[name].outline * M_PER_CM, placement is Placement.LEFT_LEG,
                            name.startswith("back"), top,
                            -pattern.levels_cm["thigh"] * M_PER_CM)
        if placement is Placement.NECK:
            return self.ring(flat_m, (self.lm.neck_front + self.lm.neck_back) / 2, 0.9, sewn_to)
        if placement is Placement.WAIST:
            return self.ring(flat_m, np.array([0.0, self.lm.navel + 0.03, self.hips.centre_z]),
                             self.hips.half_depth / self.hips.half_width, sewn_to)
        raise PatternError(f"piece {name!r}: sewing pieces placed on the {placement} is not written yet")


def _extent(outline: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The leftmost and rightmost x where the closed outline crosses each height in `y`."""
    a, b = outline, np.roll(outline, -1, axis=0)
    t = (y[:, None] - a[None, :, 1]) / np.where(b[:, 1] == a[:, 1], np.nan, b[:, 1] - a[:, 1])[None, :]
    x = a[None, :, 0] + t * (b - a)[None, :, 0]
    crossing = (t >= 0.0) & (t <= 1.0)
    return np.where(crossing, x, np.inf).min(axis=1), np.where(crossing, x, -np.inf).max(axis=1)


def _side_positions(side: tuple[SeamSide, ...], meshes: dict, offsets: dict) -> list[list[int]]:
    """The vertices along a seam side, position by position (where two edges meet, both of their ends)."""
    positions: list[list[int]] = []
    for s in side:
        ids = (meshes[s.panel].edge_vertices[s.edge] + offsets[s.panel]).tolist()
        if positions:
            positions[-1].append(ids[0])
            ids = ids[1:]
        positions += [[i] for i in ids]
    return positions


def sew(pattern: Pattern, avatar: Avatar, edge_cm: float = 1.5, collider: BodyCollider | None = None) -> SewnGarment:
    """Place, sew and settle `pattern` on the avatar (same input, same output); pass the body's `collider`
    to reuse it across garments."""
    started = time.perf_counter()
    was = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        return _sew(pattern, avatar, edge_cm, collider or BodyCollider(avatar.mesh), started)
    finally:
        torch.use_deterministic_algorithms(was)


def folded_bands(pattern: Pattern) -> Pattern:
    """The pattern as it is sewn: each band (neckband, collar, waistband; drafted as cut, to be folded in two
    along its length) at its finished height, its two layers one piece of cloth (a 5 cm neckband stood 5 cm up
    the neck like a polo collar)."""
    half = np.array([1.0, 0.5])  # bands are drafted with the edge sewn to the garment along y = 0
    panels = {name: dataclasses.replace(panel, outline=panel.outline * half, grain=panel.grain * half,
                                        notches=panel.notches * half)
              if panel.placement in BANDS else panel for name, panel in pattern.panels.items()}
    return dataclasses.replace(pattern, panels=panels)


def _sew(pattern: Pattern, avatar: Avatar, edge_cm: float, collider: BodyCollider, started: float) -> SewnGarment:
    meshes = mesh_pattern(folded_bands(pattern), edge_cm)
    placer = _Placer(avatar)
    offsets, start, flat, faces, panel = {}, [], [], [], []
    placed = {name: placer.place(pattern, name, piece.vertices) for name, piece in meshes.items()
              if pattern.panels[name].placement not in BANDS}
    for seam in pattern.seams:  # then the bands, their ends where the edges they are sewn to start
        band, other = seam.a[0].panel, seam.b[0]
        if band not in placed and pattern.panels[band].placement in BANDS and other.panel in placed:
            first = placed[other.panel][meshes[other.panel].edge_vertices[other.edge][0]]
            placed[band] = placer.place(pattern, band, meshes[band].vertices, first)
    for name, piece in meshes.items():
        offsets[name] = sum(len(f) for f in flat)
        if name not in placed:
            raise PatternError(f"piece {name!r}: a band must be sewn to a placed piece")
        start.append(placed[name])
        flat.append(piece.vertices)
        faces.append(piece.faces + offsets[name])
        panel.append(np.full(len(piece.vertices), name))
    start, flat, faces, panel = np.vstack(start), np.vstack(flat), np.vstack(faces), np.concatenate(panel)
    pairs = []
    for seam in pattern.seams:
        a, b = _side_positions(seam.a, meshes, offsets), _side_positions(seam.b, meshes, offsets)
        gap = lambda bb: sum(np.linalg.norm(start[p[0]] - start[q[0]]) for p, q in zip(a, bb))  # noqa: E731
        b = b if gap(b) <= gap(b[::-1]) else b[::-1]  # sew each side the way round its ends meet
        pairs += [(i, j) for p, q in zip(a, b) for i in p for j in q]
    pairs = np.array(pairs)
    buttons = np.array([[offsets[piece] + int(np.argmin(np.linalg.norm(meshes[piece].vertices - np.array(point), axis=1)))
                         for piece, point in ((tack.panel_a, tack.point_a), (tack.panel_b, tack.point_b))]
                        for tack in pattern.tacks], dtype=np.int64).reshape(-1, 2)  # each piece's vertex nearest its point

    fabric = load_fabric(pattern.fabric)
    rest = np.c_[flat * M_PER_CM, np.zeros(len(flat))]  # no edge crosses panels, so they may overlap here
    edges = np.array(trimesh.Trimesh(rest, faces, process=False).edges_unique)
    springs = np.concatenate([edges, bending_pairs(faces)])
    cloth = Incidence(springs[:, 0], springs[:, 1], len(rest))
    rest_len = torch.as_tensor(np.linalg.norm(rest[springs[:, 0]] - rest[springs[:, 1]], axis=1), dtype=DTYPE)
    k = torch.as_tensor(np.concatenate([np.full(len(edges), fabric.stretch_stiffness),
                                        np.full(len(springs) - len(edges), fabric.stretch_stiffness * fabric.bend_stiffness)]),
                        dtype=DTYPE)
    points, normals = torch.as_tensor(collider.points, dtype=DTYPE), torch.as_tensor(collider.normals, dtype=DTYPE)
    seams = Incidence(pairs[:, 0], pairs[:, 1], len(rest))
    x = torch.as_tensor(start, dtype=DTYPE).clone().requires_grad_(True)
    layers = SelfContact(faces, len(rest), pairs)
    ties = Ties(buttons, len(rest))
    steps = 0
    for seam_stiffness, rounds in SEAM_STAGES:
        optimiser = torch.optim.LBFGS([x], lr=1.0, max_iter=ITERATIONS, history_size=20, line_search_fn="strong_wolfe",
                                      tolerance_grad=1e-7, tolerance_change=1e-12)
        for _ in range(rounds):
            nearest = torch.as_tensor(collider.nearest(x.detach().numpy()))
            layers.refresh(x.detach().numpy().astype(np.float64))
            ties.stiffness = seam_stiffness

            def energy() -> torch.Tensor:
                at = x.detach()
                e, gradient = cloth_energy(at, cloth, rest_len, k, COMPRESSION)
                for term, push in (seam_energy(at, seams, seam_stiffness),
                                   contact_energy(at, points[nearest], normals[nearest], SKIN_OFFSET_M, CONTACT_STIFFNESS),
                                   floor_energy(at, collider.floor_y + SKIN_OFFSET_M, CONTACT_STIFFNESS),
                                   layers.energy(at), ties.energy(at)):
                    e, gradient = e + term, gradient + push
                x.grad = gradient
                return e

            optimiser.step(energy)
        steps += optimiser.state[x]["n_iter"]
    closed = x.detach().numpy().astype(np.float64)
    gap_mm = 1000.0 * np.linalg.norm(closed[pairs[:, 0]] - closed[pairs[:, 1]], axis=1)
    garment, weld = _welded(pattern, closed, faces, flat, panel, pairs)
    terms = (SelfContact(garment.faces, len(garment.rest), reach_m=SETTLE_REACH_M), Ties(weld[buttons], len(garment.rest)))
    settled = drape(garment, avatar.mesh, collider=collider, rounds=SETTLE_ROUNDS, iterations=ITERATIONS,
                    skin_offset=SKIN_OFFSET_M, compression=COMPRESSION, contact_stiffness=CONTACT_STIFFNESS, terms=terms)
    return SewnGarment(pattern, settled, weld, flat, panel, pairs, buttons, gap_mm, time.perf_counter() - started,
                       steps + settled.steps, terms)
