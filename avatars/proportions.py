"""The population's proportions for the body-model parameters beyond the first nine.

Anny's own proportions put the armpit, the navel and the buttock 1-2 cm from where ANSUR II
finds them on people of the same stature and girths. Avatars fitted to every input of ANSUR
subjects carry the further parameters that correct this; their mean per sex
(`scripts/train_proportions.py`, in `assets/models/proportions.json`) is where those parameters
start, and where they stay when no height is fitted (`avatars.avatar` fits the population's heights
when a shopper gives none).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import torch

from avatars.body_model import FURTHER_PARAMETERS

PROPORTIONS_PATH = Path(__file__).resolve().parent.parent / "assets" / "models" / "proportions.json"


@functools.lru_cache(maxsize=1)
def _means() -> dict[str, torch.Tensor] | None:
    if not PROPORTIONS_PATH.exists():
        return None
    data = json.loads(PROPORTIONS_PATH.read_text())
    if tuple(data["parameters"]) != FURTHER_PARAMETERS:
        return None  # learned for another parameterisation: MakeHuman's default rather than a wrong guess
    return {sex: torch.tensor(data[sex], dtype=torch.float64) for sex in ("female", "male")}


def population_proportions(female: float) -> torch.Tensor:
    """Values of FURTHER_PARAMETERS for a body `female` in [0, 1] (0.5: sex unknown); zeros if not learned."""
    means = _means()
    if means is None:
        return torch.zeros(len(FURTHER_PARAMETERS), dtype=torch.float64)
    return female * means["female"] + (1.0 - female) * means["male"]
