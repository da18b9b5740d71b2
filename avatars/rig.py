"""Anny's skeleton for an avatar, and a GLB writer that keeps it (glTF skin: joints, weights).

The bind pose is the avatar's standing pose; joint matrices are Anny's bone poses moved into the
avatar frame, so three.js or Blender can pose the exported body by rotating named joints.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np
import torch

from avatars.body_model import ANNY_TO_AVATAR, BodyModel

INFLUENCES = 4  # glTF's JOINTS_0/WEIGHTS_0 carry four bones per vertex


@dataclass(frozen=True)
class Rig:
    """Bones (names, parents), their world matrices in the avatar frame, and skinning weights."""

    names: list[str]
    parents: np.ndarray  # (J,), -1 for the root
    world: np.ndarray  # (J, 4, 4)
    joints: np.ndarray  # (N, 4) bone indices
    weights: np.ndarray  # (N, 4), rows sum to 1


def rig_of(model: BodyModel, params: torch.Tensor) -> Rig:
    """The skeleton of the body with these shape parameters, in its standing pose."""
    with torch.no_grad():
        out = model.forward(params[None])
    floor = float((out["vertices"][0] @ ANNY_TO_AVATAR.T)[:, 1].min())
    to_avatar = np.eye(4)
    to_avatar[:3, :3] = ANNY_TO_AVATAR.numpy()
    to_avatar[1, 3] = -floor
    world = to_avatar @ out["bone_poses"][0].numpy()  # bone frame -> avatar frame
    weights = model.anny.vertex_bone_weights.numpy()
    indices = model.anny.vertex_bone_indices.numpy()
    top = np.argsort(-weights, axis=1)[:, :INFLUENCES]
    w = np.take_along_axis(weights, top, axis=1)
    w /= w.sum(axis=1, keepdims=True)
    parents = np.array([-1 if p is None or p < 0 else p for p in model.anny.bone_parents])
    return Rig(list(model.bone_labels), parents, world, np.take_along_axis(indices, top, axis=1), w)


def glb_parts(glb: bytes) -> tuple[dict, bytearray]:
    """A GLB's JSON document and binary chunk, to edit before `glb_of_parts` packs them again."""
    length = struct.unpack_from("<I", glb, 12)[0]
    doc = json.loads(glb[20:20 + length])
    binary = bytearray(glb[28 + length:]) if len(glb) > 20 + length else bytearray()
    return doc, binary


def glb_of_parts(doc: dict, binary: bytearray) -> bytes:
    """A GLB file from its JSON document and binary chunk (both padded to 4 bytes)."""
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    binary += b"\0" * (-len(binary) % 4)
    total = 12 + 8 + len(text) + 8 + len(binary)
    return (struct.pack("<III", 0x46546C67, 2, total) + struct.pack("<II", len(text), 0x4E4F534A) + text
            + struct.pack("<II", len(binary), 0x004E4942) + bytes(binary))


def _add_accessor(doc: dict, binary: bytearray, array: np.ndarray, component: int, kind: str) -> int:
    binary += b"\0" * (-len(binary) % 4)
    doc["bufferViews"].append({"buffer": 0, "byteOffset": len(binary), "byteLength": array.nbytes})
    binary += array.tobytes()
    doc["accessors"].append({"bufferView": len(doc["bufferViews"]) - 1, "componentType": component,
                             "count": len(array), "type": kind})
    return len(doc["accessors"]) - 1


def add_skin(glb: bytes, rig: Rig, node_name: str = "body") -> bytes:
    """The same GLB with the named mesh node skinned to the rig's joints."""
    doc, binary = glb_parts(glb)
    body = next(i for i, node in enumerate(doc["nodes"]) if node.get("name") == node_name)
    primitive = doc["meshes"][doc["nodes"][body]["mesh"]]["primitives"][0]
    primitive["attributes"]["JOINTS_0"] = _add_accessor(doc, binary, rig.joints.astype(np.uint16), 5123, "VEC4")
    primitive["attributes"]["WEIGHTS_0"] = _add_accessor(doc, binary, rig.weights.astype(np.float32), 5126, "VEC4")
    inverse_bind = np.linalg.inv(rig.world).transpose(0, 2, 1).astype(np.float32)  # glTF is column-major
    ibm = _add_accessor(doc, binary, inverse_bind.reshape(len(rig.names), 16), 5126, "MAT4")

    first = len(doc["nodes"])
    local = [rig.world[j] if p < 0 else np.linalg.inv(rig.world[p]) @ rig.world[j] for j, p in enumerate(rig.parents)]
    for j, name in enumerate(rig.names):
        node = {"name": name, "matrix": local[j].T.reshape(-1).tolist()}
        children = [first + int(c) for c in np.flatnonzero(rig.parents == j)]
        if children:
            node["children"] = children
        doc["nodes"].append(node)
    roots = [first + int(j) for j in np.flatnonzero(rig.parents < 0)]
    doc["skins"] = [{"name": "anny", "joints": list(range(first, first + len(rig.names))),
                     "inverseBindMatrices": ibm, "skeleton": roots[0]}]
    doc["nodes"][body]["skin"] = 0
    doc["scenes"][doc.get("scene", 0)]["nodes"].extend(roots)
    doc["buffers"][0]["byteLength"] = len(binary) + (-len(binary) % 4)
    return glb_of_parts(doc, binary)

