"""The Anny body model as Fitroom uses it: named shape parameters in, posed mesh in the avatar frame out.

Anny is Z-up, metres, facing -Y. The avatar frame is glTF's: +Y up, facing +Z, feet at y = 0.
Shape parameters are Anny's six phenotype values (each in [0, 1]) followed by the MakeHuman
"measure-*" local changes (MakeHuman's range is [-1, 1]; we allow [-2, 2] to reach the tails) that move one girth or length at a time.
"""

from __future__ import annotations

import functools
import logging
import os
from contextlib import contextmanager, nullcontext

import numpy as np
import torch

PHENOTYPES: tuple[str, ...] = ("gender", "age", "muscle", "weight", "height", "proportions")
CORE_LOCAL_CHANGES: tuple[str, ...] = (
    "measure-bust-circ-incr",
    "measure-underbust-circ-incr",
    "measure-waist-circ-incr",
    "measure-hips-circ-incr",
    "buttocks-volume-incr",
    "measure-neck-circ-incr",
    "measure-thigh-circ-incr",
    "measure-shoulder-dist-incr",
    "measure-upperleg-height-incr",
    "measure-lowerleg-height-incr",
    "measure-upperarm-length-incr",
    "measure-lowerarm-length-incr",
    "measure-napetowaist-dist-incr",
    "torso-muscle-pectoral-incr",
    "torso-scale-depth-incr",
    "torso-vshape-incr",
)
#: Local changes that serve only the heights, lengths and limb girths beyond the first nine.
FURTHER_PARAMETERS: tuple[str, ...] = (
    "measure-neck-height-incr",
    "measure-waisttohip-dist-incr",
    "hip-scale-vert-incr",
    "torso-scale-vert-incr",
    "measure-upperarm-circ-incr",
    "measure-wrist-circ-incr",
    "measure-calf-circ-incr",
    "head-scale-horiz-incr",
    "breast-dist-incr",
    "breast-trans-up",
)
LOCAL_CHANGES: tuple[str, ...] = CORE_LOCAL_CHANGES + FURTHER_PARAMETERS
#: The parameters that fit the first nine measurements.
CORE_PARAMETERS: tuple[str, ...] = PHENOTYPES + CORE_LOCAL_CHANGES
PARAMETER_NAMES: tuple[str, ...] = PHENOTYPES + LOCAL_CHANGES
LOWER = torch.tensor([0.0] * len(PHENOTYPES) + [-2.0] * len(LOCAL_CHANGES), dtype=torch.float64)
UPPER = torch.tensor([1.0] * len(PHENOTYPES) + [2.0] * len(LOCAL_CHANGES), dtype=torch.float64)
#: Anny's mean body: every phenotype at 0.5 (age 0.5 is a young adult) and no local change.
MEAN_PARAMETERS = torch.tensor([0.5] * len(PHENOTYPES) + [0.0] * len(LOCAL_CHANGES), dtype=torch.float64)
#: Anny Z-up/-Y-forward to the avatar frame (+Y up, +Z forward): (x, y, z) -> (x, z, -y).
ANNY_TO_AVATAR = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]], dtype=torch.float64)


def _progress(message: str):
    """A spinner on stderr while something slow happens, when a terminal is watching."""
    try:
        from rich.console import Console

        console = Console(stderr=True)
        return console.status(message) if console.is_terminal else nullcontext()
    except ImportError:  # pragma: no cover - rich is a dependency
        return nullcontext()


@contextmanager
def native_stderr_silenced():
    """Send file descriptor 2 to /dev/null for a moment (C libraries write there directly)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class BodyModel:
    """Anny with Fitroom's shape parameters; `vertices(params)` is differentiable and batched."""

    def __init__(self) -> None:
        import warp

        warp.config.log_level = warp.LOG_ERROR  # no banner: the CLI's output is the user's
        with native_stderr_silenced():  # Warp's C code warns on stderr that this machine has no CUDA
            import anny

            warp.is_cuda_available()  # the driver probe that warns, done here while silenced

        logging.getLogger("anny").setLevel(logging.WARNING)
        first_run = not os.path.isdir(os.environ.get("ANNY_CACHE_DIR", os.path.expanduser("~/.cache/anny")))
        message = ("Building the body model cache (first run only, about 2.5 min)" if first_run
                   else "Loading the body model")
        with _progress(message):
            self.anny = anny.Anny(local_changes=list(LOCAL_CHANGES))
        self.faces = self.anny.get_triangular_faces().cpu().numpy()
        self.bone_labels: list[str] = list(self.anny.bone_labels)
        order = [self.anny.local_change_labels.index(name) for name in LOCAL_CHANGES]
        self._local_order = torch.tensor(order)

    def _inputs(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        phenotype = params[:, : len(PHENOTYPES)]
        local = torch.zeros(params.shape[0], len(LOCAL_CHANGES), dtype=params.dtype)
        local[:, self._local_order] = params[:, len(PHENOTYPES):]
        return phenotype, local

    def forward(self, params: torch.Tensor, pose: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Anny's output for (B, P) parameters and an optional (B, bones, 4, 4) pose."""
        phenotype, local = self._inputs(params.to(torch.float64))
        return self.anny(pose_parameters=pose, phenotype_kwargs=phenotype,
                         local_changes_kwargs=local)

    def vertices(self, params: torch.Tensor, pose: torch.Tensor | None = None) -> torch.Tensor:
        """Posed vertices (B, N, 3) in the avatar frame, feet at y = 0."""
        verts = self.forward(params, pose)["vertices"] @ ANNY_TO_AVATAR.T
        return verts - torch.stack(
            [torch.zeros_like(verts[:, 0, 0]), verts[:, :, 1].min(dim=1).values,
             torch.zeros_like(verts[:, 0, 0])], dim=-1)[:, None]


    @functools.cached_property
    def part_labels(self) -> np.ndarray:
        """Each vertex's body part ("head", "torso", "arm", "hand", "leg", "foot"), by dominant bones."""
        group_of = {"upperarm": "arm", "lowerarm": "arm", "wrist": "hand", "finger": "hand",
                    "metacarpal": "hand", "upperleg": "leg", "lowerleg": "leg", "foot": "foot", "toe": "foot",
                    "neck": "head", "head": "head", "eye": "head", "jaw": "head", "tongue": "head"}
        groups = ["torso", "arm", "hand", "leg", "foot", "head"]
        bone_group = np.array([groups.index(group_of.get(name.split(".")[0].rstrip("0123456789-"), "torso"))
                               for name in self.bone_labels])
        weights = self.anny.vertex_bone_weights.numpy()
        per_group = np.zeros((len(weights), len(groups)))
        np.add.at(per_group, (np.arange(len(weights))[:, None].repeat(weights.shape[1], 1),
                              bone_group[self.anny.vertex_bone_indices.numpy()]), weights)
        return np.array(groups)[per_group.argmax(axis=1)]


@functools.lru_cache(maxsize=1)
def load_body_model() -> BodyModel:
    """The process-wide body model (loading takes about a second once Anny's cache exists)."""
    return BodyModel()


def clamp_parameters(params: torch.Tensor) -> torch.Tensor:
    return torch.maximum(torch.minimum(params, UPPER.to(params)), LOWER.to(params))


def parameters_dict(params: torch.Tensor | np.ndarray) -> dict[str, float]:
    return {name: round(float(value), 5) for name, value in zip(PARAMETER_NAMES, params)}
