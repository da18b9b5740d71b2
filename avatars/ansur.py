"""Read ANSUR II subjects (mm) as Fitroom measurement dicts (cm), for tests and benchmarks.

The survey is not shipped; it lives beside the project in `../shared/data/ansur/` when present.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from avatars.measurements import BODY_MEASUREMENTS

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "ansur"


def load_subjects(count: int = 100, seed: int = 0, folder: Path = DEFAULT_FOLDER) -> list[dict]:
    """`count` subjects drawn without replacement (fixed seed) from both sexes' files, in cm/kg."""
    subjects = []
    for sex in ("female", "male"):
        path = Path(folder) / f"ansur2_{sex}_dev.csv"
        if not path.exists():
            raise FileNotFoundError(f"ANSUR data not found at {path}")
        with path.open(newline="") as f:
            for row in csv.DictReader(f):
                body = {s.key: float(row[s.ansur]) / 10.0 for s in BODY_MEASUREMENTS if s.ansur}
                body.update(sex=sex, weight=float(row["weightkg"]) / 10.0, age=float(row["Age"]),
                            subject=row.get("subjectid") or row.get("SubjectId"))
                subjects.append(body)
    pick = np.random.default_rng(seed).choice(len(subjects), size=min(count, len(subjects)), replace=False)
    return [subjects[i] for i in sorted(pick)]
