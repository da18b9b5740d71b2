"""Pose from a photo: inverse kinematics of Anny's skeleton onto MediaPipe's landmarks.

The 17 COCO keypoints Anny ships (nose, eyes, ears, shoulders, elbows, wrists, hips, knees,
ankles) are skinned exactly like the mesh but from a handful of precomputed per-bone anchors, so
one evaluation is Anny's bone kinematics only (a few ms). The solver rotates 11 bones and fits
an orthographic camera (scale, offset) so the keypoints reproject onto the 2D landmarks; MediaPipe's
metric 3D landmarks settle what one image cannot (does the elbow point at the camera or away?).
Landmarks seen with low visibility weigh nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import roma
import torch

from avatars.body_model import ANNY_TO_AVATAR, BodyModel
from avatars.photo import GOOD_PHOTO, VISIBLE, BodyInPhoto, PhotoError

#: Anny's COCO keypoint names and the MediaPipe pose landmark index of each.
KEYPOINTS: dict[str, int] = {
    "nose": 0, "left_eye": 2, "right_eye": 5, "left_ear": 7, "right_ear": 8,
    "left_shoulder": 11, "right_shoulder": 12, "left_elbow": 13, "right_elbow": 14,
    "left_wrist": 15, "right_wrist": 16, "left_hip": 23, "right_hip": 24,
    "left_knee": 25, "right_knee": 26, "left_ankle": 27, "right_ankle": 28,
}
NAMES = tuple(KEYPOINTS)
MEDIAPIPE_INDEX = np.array(list(KEYPOINTS.values()))
#: Bones the solver turns (the rest follow their parents).
POSED_BONES: tuple[str, ...] = (
    "root", "spine03", "neck01", "upperarm01.L", "lowerarm01.L", "upperarm01.R", "lowerarm01.R",
    "upperleg01.L", "lowerleg01.L", "upperleg01.R", "lowerleg01.R",
)
#: Limb segments (from keypoint, to keypoint): their directions are what a pose is judged by.
LIMBS: tuple[tuple[str, str], ...] = tuple(
    (f"{side}_{a}", f"{side}_{b}") for side in ("left", "right")
    for a, b in (("shoulder", "elbow"), ("elbow", "wrist"), ("hip", "knee"), ("knee", "ankle"))
)
_LIMB_INDEX = np.array([[NAMES.index(a), NAMES.index(b)] for a, b in LIMBS])
_TO_ANNY = ANNY_TO_AVATAR.T  # avatar-frame rotation r acts in Anny's frame as M^T r M


class KeypointRig:
    """Anny's COCO keypoints for one body shape, posed by bone rotations (differentiable)."""

    def __init__(self, model: BodyModel, params: torch.Tensor) -> None:
        from anny.keypoints import KeypointsRegressor

        anny = model.anny
        phenotype, local = model._inputs(params.to(torch.float64)[None])
        with torch.no_grad():
            out = anny(pose_parameters=None, phenotype_kwargs=phenotype, local_changes_kwargs=local)
        self.anny = anny
        self.rest_bone_poses = out["rest_bone_poses"]
        self.bone_index = {name: i for i, name in enumerate(model.bone_labels)}
        regression = KeypointsRegressor.coco(anny, labels=list(NAMES)).regression_weights
        used = torch.nonzero(regression.abs().sum(dim=0)).flatten()
        weights = torch.zeros(len(used), len(model.bone_labels), dtype=torch.float64)
        weights.scatter_add_(1, anny.vertex_bone_indices[used], anny.vertex_bone_weights[used].to(torch.float64))
        rest = torch.cat([out["rest_vertices"][0, used], torch.ones(len(used), 1, dtype=torch.float64)], dim=1)
        # anchors[k, j] = sum_v regression[k, v] * weight[v, j] * [v; 1]: LBS of the regressed point
        self.anchors = torch.einsum("ks,sj,sd->kjd", regression[:, used].to(torch.float64), weights, rest)
        floor = float((out["vertices"][0] @ ANNY_TO_AVATAR.T)[:, 1].min())  # feet at y = 0 standing
        self.floor = torch.tensor([0.0, floor, 0.0], dtype=torch.float64)

    def keypoints(self, rotvecs: torch.Tensor) -> torch.Tensor:
        """(17, 3) keypoints in the avatar frame for (len(POSED_BONES), 3) rotation vectors (radians)."""
        rotations = _TO_ANNY @ roma.rotvec_to_rotmat(rotvecs) @ ANNY_TO_AVATAR
        deltas = torch.eye(4, dtype=torch.float64).repeat(len(POSED_BONES), 1, 1)
        deltas = torch.cat([torch.cat([rotations, deltas[:, :3, 3:]], dim=2), deltas[:, 3:]], dim=1)
        pose = {bone: deltas[i][None] for i, bone in enumerate(POSED_BONES)}
        transforms, _ = self.anny.get_bone_transforms(pose, self.rest_bone_poses)
        points = torch.einsum("jab,kjb->ka", transforms[0], self.anchors)[:, :3]
        return points @ ANNY_TO_AVATAR.T - self.floor

    def limb_directions(self, rotvecs: torch.Tensor) -> torch.Tensor:
        """(8, 3) unit vectors along the upper/lower arms and legs."""
        points = self.keypoints(rotvecs)
        vectors = points[_LIMB_INDEX[:, 1]] - points[_LIMB_INDEX[:, 0]]
        return vectors / vectors.norm(dim=1, keepdim=True)


@dataclass(frozen=True)
class PhotoPose:
    """Bone rotations that put the avatar in the photo's pose, and the camera that shows it there."""

    rotations: dict[str, tuple[float, float, float]]  # degrees, avatar frame (for `Avatar.posed`)
    rotvecs: np.ndarray  # (len(POSED_BONES), 3) radians
    pixels_per_metre: float
    offset_px: np.ndarray  # image position of the avatar frame's origin
    keypoints_px: np.ndarray  # (17, 2) the posed avatar's keypoints in the image
    errors_px: np.ndarray  # (17,) distance to MediaPipe's landmark, NaN where it was not seen
    height_px: float  # the avatar's stature in pixels

    def project(self, points: np.ndarray) -> np.ndarray:
        """Image pixels (x right, y down) of avatar-frame points, through the fitted camera."""
        return np.stack([points[:, 0], -points[:, 1]], axis=1) * self.pixels_per_metre + self.offset_px

    @property
    def reprojection_error(self) -> float:
        """Mean keypoint error as a fraction of the body's height in the photo."""
        return float(np.nanmean(self.errors_px) / self.height_px)


def _world_in_avatar_frame(body: BodyInPhoto) -> np.ndarray:
    """MediaPipe world landmarks (x right, y down, z away from the camera) in the avatar frame."""
    world = body.world[MEDIAPIPE_INDEX]
    return np.stack([world[:, 0], -world[:, 1], -world[:, 2]], axis=1)


def solve_pose(rig: KeypointRig, body: BodyInPhoto, stature_m: float, *,
               initial: np.ndarray | None = None, iterations: int = 60) -> PhotoPose:
    """Rotate the skeleton so its keypoints reproject onto the photo's landmarks (and agree in depth)."""
    target = torch.as_tensor(body.pixels[MEDIAPIPE_INDEX], dtype=torch.float64)
    seen = body.visibility[MEDIAPIPE_INDEX] >= VISIBLE
    weight = torch.as_tensor(np.where(seen, body.visibility[MEDIAPIPE_INDEX], 0.0))
    world = torch.as_tensor(_world_in_avatar_frame(body))
    world_dirs = world[_LIMB_INDEX[:, 1]] - world[_LIMB_INDEX[:, 0]]
    world_dirs = world_dirs / world_dirs.norm(dim=1, keepdim=True).clamp_min(1e-9)
    limb_weight = weight[_LIMB_INDEX[:, 0]] * weight[_LIMB_INDEX[:, 1]]

    rotvecs = torch.zeros(len(POSED_BONES), 3, dtype=torch.float64)
    if initial is not None:
        rotvecs = torch.as_tensor(initial, dtype=torch.float64).clone()
    rotvecs.requires_grad_(True)
    with torch.no_grad():
        start = rig.keypoints(rotvecs)[:, :2] * torch.tensor([1.0, -1.0], dtype=torch.float64)
    # first guess of the camera: the scale that matches distances between seen keypoints, then the offset
    index = np.flatnonzero(seen)
    first, second = np.triu_indices(len(index), 1)
    pairs = np.stack([index[first], index[second]], axis=1)
    if len(pairs) == 0:
        raise PhotoError("too few body landmarks seen to find the pose; " + GOOD_PHOTO)
    ratios = (target[pairs[:, 0]] - target[pairs[:, 1]]).norm(dim=1) / (start[pairs[:, 0]] - start[pairs[:, 1]]).norm(dim=1).clamp_min(1e-6)
    scale = torch.tensor(float(ratios.median()), dtype=torch.float64, requires_grad=True)
    offset = (target[index] - scale.detach() * start[index]).mean(0).clone().requires_grad_(True)
    prior = torch.tensor([3.0, 3.0, 3.0] + [0.3] * (len(POSED_BONES) - 3), dtype=torch.float64)[:, None]

    def project(points: torch.Tensor) -> torch.Tensor:
        return torch.stack([points[:, 0], -points[:, 1]], dim=1) * scale + offset

    def loss_fn() -> torch.Tensor:
        points = rig.keypoints(rotvecs)
        residual = (project(points) - target) / (scale.detach() * stature_m)
        dirs = points[_LIMB_INDEX[:, 1]] - points[_LIMB_INDEX[:, 0]]
        dirs = dirs / dirs.norm(dim=1, keepdim=True)
        reproject = (weight * (residual ** 2).sum(1)).sum() / weight.sum().clamp_min(1e-9)
        depth = (limb_weight * ((dirs - world_dirs) ** 2).sum(1)).sum() / limb_weight.sum().clamp_min(1e-9)
        return reproject + 0.01 * depth + 1e-4 * (prior * rotvecs ** 2).sum()

    optimizer = torch.optim.LBFGS([rotvecs, scale, offset], lr=1.0, max_iter=iterations,
                                  line_search_fn="strong_wolfe", tolerance_change=1e-12)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        pixels = project(rig.keypoints(rotvecs)).numpy()
    height_px = float(scale.detach()) * stature_m  # the body's height at the photo's scale
    errors = np.where(seen, np.linalg.norm(pixels - target.numpy(), axis=1), np.nan)
    solved = rotvecs.detach().numpy()
    return PhotoPose(
        rotations={bone: tuple(float(v) for v in np.degrees(solved[i])) for i, bone in enumerate(POSED_BONES)},
        rotvecs=solved, pixels_per_metre=float(scale.detach()), offset_px=offset.detach().numpy(),
        keypoints_px=pixels, errors_px=errors, height_px=height_px,
    )


def limb_angle_errors(rig: KeypointRig, solved: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Angles (degrees) between solved and true directions of the 8 limb segments."""
    a = rig.limb_directions(torch.as_tensor(solved, dtype=torch.float64)).detach().numpy()
    b = rig.limb_directions(torch.as_tensor(truth, dtype=torch.float64)).detach().numpy()
    return np.degrees(np.arccos(np.clip((a * b).sum(axis=1), -1.0, 1.0)))
