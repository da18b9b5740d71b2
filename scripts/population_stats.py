"""Write assets/population/ansur_stats.json: mean and covariance of our measurements per sex.

    .venv/bin/python scripts/population_stats.py ../shared/data/ansur

ANSUR II (US Army 2012, public release) in mm; stored in cm, kg and years. Only these summary
statistics ship, so the project fills missing measurements without the survey itself.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np

from avatars.measurements import SPECS
from avatars.population import FILLABLE_KEYS, POPULATION_KEYS, STATS_PATH


def main(folder: str) -> None:
    out = {}
    for sex in ("female", "male"):
        with open(Path(folder) / f"ansur2_{sex}_dev.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        columns = [np.array([float(r[SPECS[k].ansur]) for r in rows]) / 10.0 for k in FILLABLE_KEYS]
        columns.append(np.array([float(r["weightkg"]) for r in rows]) / 10.0)
        columns.append(np.array([float(r["Age"]) for r in rows]))
        data = np.stack(columns, axis=1)
        out[sex] = {"n": len(rows), "mean": data.mean(0).round(3).tolist(),
                    "cov": np.cov(data, rowvar=False).round(4).tolist()}
    STATS_PATH.write_text(json.dumps({"keys": list(POPULATION_KEYS), "source": "ANSUR II dev subset", **out}, indent=1))
    print(f"wrote {STATS_PATH}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/ansur")
