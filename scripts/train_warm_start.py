"""Train the warm-start regressor on sampled Anny bodies (run offline; writes assets/models/warm_start.npz).

    .venv/bin/python scripts/train_warm_start.py --samples 1500

Bodies are sampled over Anny's adult phenotypes and the measure-* local changes (the further
parameters at the population's proportions, `avatars/proportions.py`: run this after
`scripts/train_proportions.py`), measured with `avatars.tape`, and a ridge regression learns
measurements -> parameters.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from tqdm import tqdm

from avatars.body_model import CORE_PARAMETERS, LOCAL_CHANGES, PHENOTYPES, load_body_model
from avatars.fitting import measure_vertices
from avatars.measurements import CORE_KEYS
from avatars.proportions import population_proportions
from avatars.warm_start import WEIGHTS_PATH, features, fit_ridge


def sample_parameters(rng: np.random.Generator, n: int) -> np.ndarray:
    """Adult phenotypes and local changes at random; the further parameters at the population's
    proportions for the sex, where the fitter holds them unless further measurements are given."""
    pheno = rng.uniform(0.0, 1.0, (n, len(PHENOTYPES)))
    pheno[:, 0] = rng.integers(0, 2, n)  # gender: 0 male, 1 female
    pheno[:, 1] = rng.uniform(0.6, 0.85, n)  # adults, 20 to 70 years (see avatars.avatar.age_parameter)
    local = rng.uniform(-1.2, 1.2, (n, len(LOCAL_CHANGES)))
    params = np.concatenate([pheno, local], axis=1)
    params[:, len(CORE_PARAMETERS):] = [population_proportions(float(g)).numpy() for g in pheno[:, 0]]
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    model = load_body_model()
    rng = np.random.default_rng(args.seed)
    params = sample_parameters(rng, args.samples)
    rows, kept = [], []
    for i in tqdm(range(args.samples), desc="measuring sampled bodies"):
        with torch.no_grad():
            vertices = model.vertices(torch.as_tensor(params[i : i + 1]))[0].numpy()
        try:
            values = measure_vertices(model, vertices).values
        except ValueError:
            continue
        rows.append([values[k] for k in CORE_KEYS])
        kept.append(i)
    m, p = np.array(rows), params[kept]
    split = int(0.85 * len(m))
    trained = fit_ridge(m[:split], p[:split, 0], p[:split])
    pred = features(m[split:], p[split:, 0], trained["scale"]) @ trained["coef"]
    print("held-out parameter MAE:", np.round(np.abs(pred - p[split:]).mean(axis=0), 3))
    np.savez(WEIGHTS_PATH, **fit_ridge(m, p[:, 0], p))
    print(f"wrote {WEIGHTS_PATH} from {len(m)} bodies")


if __name__ == "__main__":
    main()
