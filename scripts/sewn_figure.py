"""The README's sewing table and figure: six women's L patterns sewn on the example body.

    PYOPENGL_PLATFORM=osmesa .venv/bin/python scripts/sewn_figure.py [--out docs/pattern_sewn.png]

"Inside" counts vertices more than 2 mm inside the body by trimesh's signed distance, not the
solver's own test; strain is every garment edge against its flat length.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import trimesh

from avatars import Avatar
from engine.drape import BodyCollider
from engine.patterns import draft
from engine.patterns.sew import sew
from engine.render import RenderItem, render_views, save_png

ROOT = Path(__file__).resolve().parents[1]
GARMENTS = ("tee", "longsleeve", "jacket", "dress", "skirt", "trousers")
CLOTH = (0.25, 0.45, 0.8, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "pattern_sewn.png")
    args = parser.parse_args()
    avatar = Avatar.from_measurements(json.loads((ROOT / "examples" / "body.json").read_text()))
    collider = BodyCollider(avatar.mesh)
    print("| garment | vertices | seconds | seam gap at merge, max mm | inside > 2 mm | edge strain p95 % | max % |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    columns = []
    for category in GARMENTS:
        sewn = sew(draft(category, "women", "L"), avatar, collider=collider)
        strain = 100.0 * sewn.edge_strain()
        inside = int((trimesh.proximity.signed_distance(avatar.mesh, sewn.positions) > 0.002).sum())
        print(f"| {category} | {len(sewn.positions):,} | {sewn.seconds:.1f} | {sewn.closing_gap_mm.max():.2f} | {inside} "
              f"| {np.percentile(np.abs(strain), 95):.1f} | {strain.max():.1f} |")
        items = [RenderItem(avatar.mesh, material="skin"), RenderItem(sewn.mesh, CLOTH, "cloth")]
        columns.append(render_views(items, views=("front", "side"), size=(240, 420)))
    save_png(np.concatenate(columns, axis=1), args.out)


if __name__ == "__main__":
    main()
