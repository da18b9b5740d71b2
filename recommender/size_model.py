"""Latent sizes learned from small / fit / large feedback, in the manner of Misra et al. (RecSys 2018).

Every shopper has a true size s_u and every product a hidden offset o_p (vanity sizing: a brand's
M may be cut larger than the chart says). A size k of product p fits as its chart girth g_pk + o_p
against the shopper's size: f = s_u - (g_pk + o_p), in cm of the category's key girth. An ordinal
logistic model orders the verdicts along f: "large" below b_large, "small" above b_small, "fit"
between. Cold start: s_u is the body girth from measurements, o_p is 0 and the cut points come
from the physics fit rules, so the model begins as the chart-and-physics rule and learns
corrections from feedback, pulled back to those priors by an L2 penalty.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

VERDICTS = ("large", "fit", "small")  # ordered by f = shopper size - garment size


@dataclass(frozen=True)
class Feedback:
    """Arrays of equal length: shopper index, product index, the size's chart girth (cm), verdict index."""

    shopper: np.ndarray
    product: np.ndarray
    garment_cm: np.ndarray
    verdict: np.ndarray


class LatentSizeModel:
    """Shopper sizes, product offsets and two cut points, fitted by full-batch Adam."""

    def __init__(self, body_cm: np.ndarray, n_products: int, ease_tight_cm: float, ease_loose_cm: float,
                 softness_cm: float = 1.5, prior_shopper: float = 0.02, prior_product: float = 0.02,
                 epochs: int = 300, lr: float = 0.1):
        self.body = torch.as_tensor(body_cm, dtype=torch.float64)
        self.shopper_size = self.body.clone()
        self.offset = torch.zeros(n_products, dtype=torch.float64)
        # fit while tight <= garment - body <= loose, i.e. -loose <= f <= -tight
        self.cuts = torch.tensor([-ease_loose_cm, -ease_tight_cm], dtype=torch.float64)
        self.softness = softness_cm
        self.prior_shopper, self.prior_product = prior_shopper, prior_product
        self.epochs, self.lr = epochs, lr

    def _probabilities(self, shopper_size, offset, cuts, shopper, product, garment_cm) -> torch.Tensor:
        f = shopper_size[shopper] - (torch.as_tensor(garment_cm) + offset[product])
        above_large = torch.sigmoid((f - cuts[0]) / self.softness)
        above_fit = torch.sigmoid((f - cuts[1]) / self.softness)
        return torch.stack([1 - above_large, above_large - above_fit, above_fit], dim=1).clamp_min(1e-9)

    def fit(self, data: Feedback) -> "LatentSizeModel":
        shopper_size = self.shopper_size.clone().requires_grad_(True)
        offset = self.offset.clone().requires_grad_(True)
        cuts = self.cuts.clone().requires_grad_(True)
        prior_cuts = self.cuts.clone()
        optimiser = torch.optim.Adam([shopper_size, offset, cuts], lr=self.lr)
        shopper = torch.as_tensor(data.shopper, dtype=torch.long)
        product = torch.as_tensor(data.product, dtype=torch.long)
        verdict = torch.as_tensor(data.verdict, dtype=torch.long)
        for _ in range(self.epochs):
            p = self._probabilities(shopper_size, offset, cuts, shopper, product, data.garment_cm)
            loss = -torch.log(p[torch.arange(len(verdict)), verdict]).mean()
            loss = loss + self.prior_shopper * ((shopper_size - self.body) ** 2).mean()
            loss = loss + self.prior_product * (offset**2).mean() + 0.01 * ((cuts - prior_cuts) ** 2).sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        self.shopper_size, self.offset, self.cuts = shopper_size.detach(), offset.detach(), cuts.detach()
        return self

    def predict_proba(self, shopper: np.ndarray, product: np.ndarray, garment_cm: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities of large, fit, small."""
        with torch.no_grad():
            return self._probabilities(self.shopper_size, self.offset, self.cuts, torch.as_tensor(shopper),
                                       torch.as_tensor(product), garment_cm).numpy()

    def best_size(self, shopper: int, product: int, size_girths_cm: np.ndarray) -> int:
        """Index of the size most likely to fit."""
        n = len(size_girths_cm)
        fit = self.predict_proba(np.full(n, shopper), np.full(n, product), np.asarray(size_girths_cm))[:, 1]
        return int(np.argmax(fit))
