"""Pick Anny's landmark vertices on the mean body; writes assets/models/anny_landmarks.json.

    .venv/bin/python scripts/find_anny_landmarks.py

The geometric landmark finders of `avatars.tape` run once on Anny's mean body (every
phenotype 0.5); the vertices they land on become material landmarks that move with every body
shape, which keeps measurements on Anny bodies continuous and fast.
"""

from __future__ import annotations

import json

import numpy as np
import torch
import trimesh

from avatars.body_model import MEAN_PARAMETERS, load_body_model
from avatars import tape as m


ARM_BONES = {"upperarm", "lowerarm", "wrist", "finger", "metacarpal"}


def ring_vertices(section: m.Section) -> list[int]:
    return sorted(set(section.points.a.tolist()) | set(section.points.b.tolist()))


def mirror(vertices: np.ndarray, indices: list[int]) -> list[int]:
    """The vertices at the mirror image (x -> -x) of the given ones."""
    mirrored = vertices[indices] * np.array([-1.0, 1.0, 1.0])
    distances = np.linalg.norm(vertices[None] - mirrored[:, None], axis=2)
    return distances.argmin(axis=1).tolist()


def main() -> None:
    model = load_body_model()
    with torch.no_grad():
        v = model.vertices(MEAN_PARAMETERS[None])[0].numpy()
    body = m._BodyMesh(trimesh.Trimesh(v, model.faces, process=False))
    out = dict(m.ANNY_LANDMARKS)

    midline = np.flatnonzero(np.abs(v[:, 0] - body.x_mid) < 1e-3)
    low = midline[v[midline, 1] < v[out["omphalion"], 1]]
    out["crotch"] = int(low[np.argmin(v[low, 1])])

    left, right = m._acromia(body)
    out["acromion_left"] = int(left.a[np.argmax(left.w)])
    out["acromion_right"] = int(right.a[np.argmax(right.w)])

    elbow, wrist = m._arm_rings(body, v[out["acromion_left"]])
    out["wrist_left"] = ring_vertices(wrist)
    out["wrist_right"] = mirror(v, out["wrist_left"])
    out["elbow_left"] = ring_vertices(elbow)

    # the nipple: the most anterior chest point of the mean *female* body, whose bust shows it
    female = MEAN_PARAMETERS.clone()
    female[0] = 1.0
    with torch.no_grad():
        vf = model.vertices(female[None])[0].numpy()
    s = vf[:, 1].max()
    chest = (vf[:, 1] > 0.66 * s) & (vf[:, 1] < 0.79 * s) & (vf[:, 0] > 0.02 * s) & (vf[:, 0] < 0.1 * s)
    out["nipple_left"] = int(np.flatnonzero(chest)[np.argmax(vf[chest, 2])])

    arm_bones = [i for i, name in enumerate(model.bone_labels)
                 if name.split(".")[0].rstrip("0123456789-") in ARM_BONES]
    weights = model.anny.vertex_bone_weights.numpy()
    on_arm = np.isin(model.anny.vertex_bone_indices.numpy(), arm_bones)
    out["arm_vertices"] = np.flatnonzero((weights * on_arm).sum(axis=1) > 0.5).tolist()

    neck = m._neck_section(body, v[out["suprasternale"]], v[out["cervicale"]])
    out["neck_base"] = ring_vertices(neck)

    out["nipple_right"] = mirror(vf, [out["nipple_left"]])[0]
    armpit = m._axilla(body, v[out["acromion_left"]], body.level(0.6))
    out["axilla_left"] = int(np.argmin(np.linalg.norm(v - armpit.centroid(v), axis=1)))
    out["axilla_right"] = mirror(v, [out["axilla_left"]])[0]
    knee = m._knee(body, v[out["crotch"], 1])
    out["knee_left"] = int(knee.a[np.argmax(knee.w)])
    # rings where the mesh's edges run long (upper arm, calf, head): the cut's own edge points
    upper_arm = m._upper_arm(body, v[out["acromion_left"]], v[out["elbow_left"]].mean(0)).points
    calf = m._calf(body, v[out["knee_left"], 1]).probe.first
    head = m._head(body).probe.first
    for name, points in (("upper_arm_left", upper_arm), ("calf_left", calf), ("head", head)):
        out[name] = {"a": points.a.tolist(), "b": points.b.tolist(), "t": points.t.round(6).tolist()}
    m.ANNY_LANDMARKS_PATH.write_text(json.dumps(out))
    print(f"wrote {m.ANNY_LANDMARKS_PATH}: " + ", ".join(f"{k}: {v if isinstance(v, int) else len(v)}" for k, v in out.items()))


if __name__ == "__main__":
    main()
