"""Write bodies (and later garments) as GLB or OBJ in the avatar frame: metres, +Y up, facing +Z."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from avatars.rig import Rig, add_skin

SKIN_MATERIAL = trimesh.visual.material.PBRMaterial(
    name="skin", baseColorFactor=[0.86, 0.67, 0.55, 1.0], metallicFactor=0.0, roughnessFactor=0.6)


def scene_of(nodes: dict[str, trimesh.Trimesh]) -> trimesh.Scene:
    """A scene whose nodes carry the given names (outside tools find "body" and "garment" by name)."""
    scene = trimesh.Scene()
    for name, mesh in nodes.items():
        scene.add_geometry(mesh, node_name=name, geom_name=name)
    return scene


def _linear_colours(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    """A copy whose vertex colours are linear, as glTF's COLOR_0 is (ours are sRGB, as people pick them)."""
    if getattr(mesh.visual, "kind", None) != "vertex":
        return mesh
    srgb = mesh.visual.vertex_colors[:, :3] / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    out = mesh.copy()
    out.visual.vertex_colors = np.concatenate(
        [np.round(linear * 255), mesh.visual.vertex_colors[:, 3:]], axis=1).astype(np.uint8)
    return out


def export_glb(nodes: dict[str, trimesh.Trimesh]) -> bytes:
    """GLB of named nodes with normals, and a matte material wherever a mesh has none.

    glTF's default material is fully metallic, which renders black without an environment map
    (three.js, Blender), so vertex-coloured meshes get a white non-metal material that shows
    their COLOR_0.
    """
    from avatars.rig import glb_of_parts, glb_parts

    doc, binary = glb_parts(scene_of({name: _linear_colours(mesh) for name, mesh in nodes.items()})
                          .export(file_type="glb", include_normals=True))
    primitives = [p for mesh in doc.get("meshes", []) for p in mesh["primitives"] if "material" not in p]
    if primitives:
        doc.setdefault("materials", []).append({"name": "matte", "pbrMetallicRoughness": {
            "baseColorFactor": [1.0, 1.0, 1.0, 1.0], "metallicFactor": 0.0, "roughnessFactor": 0.8}})
        for primitive in primitives:
            primitive["material"] = len(doc["materials"]) - 1
    return glb_of_parts(doc, binary)


def export_body(mesh: trimesh.Trimesh, path: Path, rig: Rig | None = None) -> Path:
    """GLB (node "body", skin PBR material, skinned to `rig` if given) or OBJ, by suffix."""
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".glb":
        body = trimesh.Trimesh(mesh.vertices, mesh.faces, process=False)
        body.visual = trimesh.visual.TextureVisuals(material=SKIN_MATERIAL)
        glb = scene_of({"body": body}).export(file_type="glb")
        if rig is not None:
            if len(rig.joints) != len(mesh.vertices):
                raise ValueError("the rig belongs to another topology than this mesh")
            glb = add_skin(glb, rig)
        path.write_bytes(glb)
    elif suffix == ".obj":
        path.write_text(trimesh.exchange.obj.export_obj(mesh, include_color=False, include_texture=False))
    else:
        raise ValueError(f"cannot export {path.name!r}: use a .glb or .obj file name")
    return path


def load_glb_node(path: Path, name: str) -> trimesh.Trimesh:
    """The named node of a GLB as one mesh in world coordinates."""
    scene = trimesh.load(path, force="scene")
    for node in scene.graph.nodes_geometry:
        if node == name:
            transform, geometry = scene.graph[node]
            return scene.geometry[geometry].copy().apply_transform(transform)
    raise KeyError(f"{path} has no node named {name!r}; nodes: {sorted(scene.graph.nodes_geometry)}")


__all__ = ["export_body", "export_glb", "load_glb_node", "scene_of"]
