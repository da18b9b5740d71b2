"""Designer garments: an OBJ/GLB/PLY mesh in the avatar frame plus a JSON sidecar, draped like ours.

The sidecar (`my.json` beside `my.glb`) says `{"category": "tee", "size": "M", "fabric": "jersey"}`
(fabric optional: the category's default). The mesh is the garment as sewn, in metres, +Y up,
facing +Z, around a standing body; it is centred on the avatar and starts outside its skin.
Broken meshes are repaired where that is safe (with a warning) and refused otherwise.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import trimesh

from avatars import Avatar
from avatars.body_model import BodyModel, load_body_model
from engine.garments.build import CLEARANCE_M, Garment
from engine.garments.charts import CATEGORIES, GarmentError, load_fabric

log = logging.getLogger(__name__)
MAX_VERTICES = 60_000
SUFFIXES = (".obj", ".glb", ".gltf", ".ply")


def read_sidecar(path: Path, sidecar: Path | None = None) -> dict:
    sidecar = sidecar or path.with_suffix(".json")
    if not sidecar.exists():
        raise GarmentError(f"garment file {path.name} needs a sidecar {sidecar.name} like "
                           '{"category": "tee", "size": "M", "fabric": "jersey"}')
    try:
        meta = json.loads(sidecar.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise GarmentError(f"cannot read sidecar {sidecar}: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("category") not in CATEGORIES:
        raise GarmentError(f"sidecar {sidecar.name}: 'category' must be one of {sorted(CATEGORIES)}")
    meta.setdefault("fabric", CATEGORIES[meta["category"]][0])
    meta.setdefault("size", "custom")
    load_fabric(meta["fabric"])  # raises for an unknown fabric
    return meta


def read_garment_mesh(path: Path) -> trimesh.Trimesh:
    """Load and check a garment mesh; repairs duplicates and slivers, refuses what it cannot fix."""
    if path.suffix.lower() not in SUFFIXES:
        raise GarmentError(f"garment file {path.name}: use one of {SUFFIXES}")
    try:
        mesh = trimesh.load(path, force="mesh", process=False)
    except Exception as exc:  # trimesh raises many kinds for corrupt files
        raise GarmentError(f"cannot read garment file {path.name}: {exc}") from exc
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0:
        raise GarmentError(f"garment file {path.name} holds no triangles")
    if not np.isfinite(mesh.vertices).all():
        raise GarmentError(f"garment file {path.name} has NaN or infinite vertex coordinates")
    extent = float(mesh.extents.max())
    if not 0.05 <= extent <= 2.5:
        raise GarmentError(f"garment file {path.name} is {extent:g} units across; expected metres "
                           "(0.05-2.5 m): is it in mm or cm?")
    if len(mesh.vertices) > MAX_VERTICES:
        raise GarmentError(f"garment file {path.name} has {len(mesh.vertices)} vertices; at most {MAX_VERTICES}")
    before = len(mesh.faces)
    mesh.merge_vertices()
    mesh.update_faces(mesh.nondegenerate_faces() & mesh.unique_faces())
    mesh.remove_unreferenced_vertices()
    if len(mesh.faces) < before:
        log.warning("garment %s: removed %d degenerate or duplicate faces", path.name, before - len(mesh.faces))
    counts = np.bincount(mesh.edges_unique_inverse, minlength=len(mesh.edges_unique))
    if (counts > 2).any():
        raise GarmentError(f"garment file {path.name} is non-manifold: {(counts > 2).sum()} edges "
                           "are shared by more than two faces")
    return mesh


def garment_from_file(avatar: Avatar, path: str | Path, sidecar: Path | None = None,
                      model: BodyModel | None = None) -> Garment:
    """A designer's garment, centred on the avatar and ready to drape."""
    path = Path(path)
    if not path.exists():
        raise GarmentError(f"garment file {path} does not exist")
    meta = read_sidecar(path, sidecar)
    mesh = read_garment_mesh(path)
    model = model or load_body_model()
    rest = np.asarray(mesh.vertices, dtype=np.float64)
    trunk = avatar.vertices[model.part_labels == "torso"]
    shift = np.array([trunk[:, 0].mean() - rest[:, 0].mean(), 0.0, trunk[:, 2].mean() - rest[:, 2].mean()])
    rest = rest + shift
    body = avatar.mesh
    inside = body.contains(rest)
    start = rest.copy()
    if inside.any():  # start outside the skin: move inside points to the surface, and a little out
        closest, _, triangle = trimesh.proximity.closest_point(body, rest[inside])
        start[inside] = closest + body.face_normals[triangle] * CLEARANCE_M
    nearest = body.kdtree.query(rest)[1]
    part = model.part_labels[nearest]
    side = np.where(rest[:, 0] > 0, "left", "right")
    regions = np.where(part == "arm", np.char.add("sleeve_", side),
                       np.where(part == "leg", np.char.add("leg_", side), "torso"))
    pinned = np.zeros(len(rest), dtype=bool)
    if CATEGORIES[meta["category"]][1] in ("trousers", "skirt"):
        pinned = rest[:, 1] > rest[:, 1].max() - 0.01
    return Garment(meta["category"], str(meta["size"]), load_fabric(meta["fabric"]), np.asarray(mesh.faces),
                   rest, start, regions, pinned, {"file": path.name, **meta})
