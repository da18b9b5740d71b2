"""Learn the population's proportions for the further body-model parameters; writes assets/models/proportions.json.

    .venv/bin/python scripts/train_proportions.py [--subjects 150]

Fits avatars to every input of ANSUR II subjects (none of those `benchmarks/avatar_accuracy.py`
judges) and stores, per sex, the mean of the parameters beyond the first nine's. See
`avatars/proportions.py` for why.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from tqdm import tqdm

from avatars import Avatar, BodyMeasurements
from avatars.ansur import load_subjects
from avatars.body_model import CORE_PARAMETERS, FURTHER_PARAMETERS, load_body_model
from avatars.proportions import PROPORTIONS_PATH

BENCHMARK_SUBJECTS, BENCHMARK_SEED = 100, 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    judged = {s["subject"] for s in load_subjects(BENCHMARK_SUBJECTS, BENCHMARK_SEED)}
    pool = [s for s in load_subjects(10_000, args.seed) if s["subject"] not in judged]
    rng = np.random.default_rng(args.seed)
    chosen = [pool[i] for i in rng.choice(len(pool), size=min(args.subjects, len(pool)), replace=False)]
    model = load_body_model()
    found: dict[str, list[np.ndarray]] = {"female": [], "male": []}
    for subject in tqdm(chosen, desc="fitting ANSUR subjects to every input"):
        body = BodyMeasurements.from_dict({k: v for k, v in subject.items() if k != "subject"})
        avatar = Avatar.from_measurements(body, model=model)
        found[body.sex].append(avatar.parameters.numpy()[len(CORE_PARAMETERS):])
    out = {"parameters": list(FURTHER_PARAMETERS), "source": f"ANSUR II dev subset, {len(chosen)} subjects",
           **{sex: np.mean(rows, axis=0).round(4).tolist() for sex, rows in found.items()},
           "count": {sex: len(rows) for sex, rows in found.items()}}
    PROPORTIONS_PATH.write_text(json.dumps(out, indent=1))
    print(f"wrote {PROPORTIONS_PATH}: " + ", ".join(f"{sex}: {np.round(np.mean(rows, axis=0), 2).tolist()}"
                                                     for sex, rows in found.items()))


if __name__ == "__main__":
    main()
