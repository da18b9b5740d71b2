"""Sewing speed and quality: pattern garments from flat panels to rest, with Newton's VBD cloth on the same mesh.

    .venv/bin/python benchmarks/drape.py [--runs 5] [--garments tee,dress] [--json out/drape.json]

For each garment, drafted from its chart: the time from flat panels to rest (meshing, placing,
closing the seams, merging them, settling under gravity), optimiser steps, how far apart the
seams were when merged, vertices more than 2 mm inside the body and the deepest one (trimesh's
signed distance and `engine.fit.penetration_mm`, not the solver's own test), the cloth's edges that
pass through its own triangles (layers crossed: `engine.cloth_contact.piercing_edges`), the strain of
every edge against its flat length, and whether it is at rest: how far 60 more settling steps from
the result move its vertices (nothing, at rest). Peer: NVIDIA Newton 1.8's VBD solver on the CPU (`make
bench` installs it) settling the same merged mesh from the same start, frames capped; its rest
shape is that sewn start (add_cloth_mesh takes a 3-D rest mesh, not flat panels), our strain
figures measure both against the flat panels.
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import time
from pathlib import Path

import numpy as np
import trimesh
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from avatars import Avatar
from engine.cloth_contact import THICKNESS_M, piercing_edges
from engine.drape import BodyCollider, DrapeResult, drape
from engine.fit import penetration_mm
from engine.garments.build import Garment
from engine.patterns import draft
from engine.patterns.sew import COMPRESSION, CONTACT_STIFFNESS, SKIN_OFFSET_M, SewnGarment, sew

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "body.json"


def newton_vbd(garment: Garment, body: trimesh.Trimesh, frames: int, seconds: float,
               fps: int = 60, substeps: int = 10, iterations: int = 5) -> tuple[np.ndarray, int, float] | None:
    """NVIDIA Newton's VBD cloth solver on the CPU (static body mesh collider, its own cloth self-contact at our
    layers' thickness), capped in frames and
    wall-clock; returns positions, frames run and seconds per frame (kernel compiling excluded),
    or None where newton is not installed (`pip install newton`)."""
    try:
        import newton
        import warp as wp
    except ImportError:
        return None
    builder = newton.ModelBuilder(up_axis=newton.Axis.Y, gravity=(0.0, -9.81, 0.0))
    builder.add_shape_mesh(body=-1, mesh=newton.Mesh(np.asarray(body.vertices, np.float32),
                                                      np.asarray(body.faces, np.int32).ravel()))
    builder.add_cloth_mesh(pos=wp.vec3(0.0, 0.0, 0.0), rot=wp.quat_identity(), scale=1.0,
                           vel=wp.vec3(0.0, 0.0, 0.0), vertices=[wp.vec3(*p) for p in garment.rest],
                           indices=garment.faces.ravel().tolist(), density=garment.fabric.density_g_m2 / 1000.0,
                           tri_ke=garment.fabric.stretch_stiffness, tri_ka=garment.fabric.stretch_stiffness,
                           tri_kd=1e-3, edge_ke=garment.fabric.stretch_stiffness * garment.fabric.bend_stiffness * 1e-3,
                           edge_kd=1e-4, particle_radius=0.0025)
    builder.color(include_bending=True)
    model = builder.finalize(device="cpu")
    flags = model.particle_flags.numpy()
    flags[garment.pinned] &= ~int(newton.ParticleFlags.ACTIVE)
    model.particle_flags = wp.array(flags, device="cpu")
    solver = newton.solvers.SolverVBD(model, iterations=iterations, particle_enable_self_contact=True,
                                      particle_self_contact_radius=THICKNESS_M, particle_self_contact_margin=2 * THICKNESS_M)
    state_0, state_1, control = model.state(), model.state(), model.control()
    state_0.particle_q.assign(wp.array(garment.start.astype(np.float32), dtype=wp.vec3, device="cpu"))
    pipeline = newton.CollisionPipeline(model)
    contacts = pipeline.contacts()
    pipeline.collide(state_0, contacts)
    dt = 1.0 / fps / substeps

    def frame(state_0, state_1):
        for _ in range(substeps):
            state_0.clear_forces()
            solver.step(state_0, state_1, control, contacts, dt)
            state_0, state_1 = state_1, state_0
        return state_0, state_1

    state_0, state_1 = frame(state_0, state_1)  # first frame compiles Warp's kernels
    started, run = time.perf_counter(), 1
    while run < frames and time.perf_counter() - started < seconds:
        pipeline.collide(state_0, contacts)
        state_0, state_1 = frame(state_0, state_1)
        run += 1
    per_frame = (time.perf_counter() - started) / max(run - 1, 1)
    return state_0.particle_q.numpy().astype(np.float64), run, per_frame


GOAL_SECONDS = {"tee": 3.0, "dress": 8.0}  # flat panels to rest, on this 2-core CPU
GOAL_INSIDE_MM, GOAL_GAP_MM = 2.0, 2.0
MORE_STEPS = 60  # settling steps run again from the result: a garment at rest does not move


def moved_by_more_steps(sewn: SewnGarment, positions: np.ndarray, body: trimesh.Trimesh,
                        collider: BodyCollider) -> dict[str, float]:
    """How far (mm, max and median over the vertices) the settle moves `positions` in MORE_STEPS more steps."""
    again = drape(dataclasses.replace(sewn.drape.garment, start=positions), body, collider=collider, rounds=1,
                  iterations=MORE_STEPS, skin_offset=SKIN_OFFSET_M, compression=COMPRESSION,
                  contact_stiffness=CONTACT_STIFFNESS, terms=sewn.terms)
    moved = 1000.0 * np.linalg.norm(again.positions - positions, axis=1)
    return {"max": round(float(moved.max()), 2), "median": round(float(np.median(moved)), 2)}


def _moves(moved: dict[str, float]) -> str:
    return f"{moved['max']:.2f} / {moved['median']:.2f}"


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--garments", default="tee,dress")
    parser.add_argument("--size", default="L")
    parser.add_argument("--newton-frames", type=int, default=30)
    parser.add_argument("--newton-seconds", type=float, default=60.0)
    args = parser.parse_args()
    avatar = Avatar.from_measurements(json.loads(EXAMPLE.read_text()))
    collider = BodyCollider(avatar.mesh)
    output: dict = {"size": args.size, "body": "examples/body.json", "garments": {}}
    table = Table(title=f"Sewing women's {args.size} patterns from flat panels to rest on examples/body.json")
    for column in ("garment", "solver", "vertices", "seconds", "steps", "seam gap mm", "inside > 2 mm",
                   "penetration mm", "edges through cloth", "mean |strain| %", "max strain %", f"{MORE_STEPS} more steps move mm, max / median",
                   "note"):
        table.add_column(column, justify="right")
    for category in args.garments.split(","):
        pattern = draft(category, "women", args.size)
        sew(pattern, avatar, collider=collider)  # warm-up
        runs = [sew(pattern, avatar, collider=collider) for _ in range(args.runs)]
        sewn = runs[-1]
        garment = sewn.drape.garment

        def quality(positions: np.ndarray) -> dict:
            strain = DrapeResult(garment, positions, 0, 0.0, False).edge_strain() * 100.0
            inside = trimesh.proximity.signed_distance(avatar.mesh, positions) > GOAL_INSIDE_MM / 1000.0
            through = len(piercing_edges(trimesh.Trimesh(positions, garment.faces, process=False)))
            return {"penetration_mm_max": round(penetration_mm(avatar.mesh, positions), 2), "inside_over_2mm": int(inside.sum()),
                    "edges_through_cloth": through,
                    "mean_abs_strain_pct": round(float(np.mean(np.abs(strain))), 2),
                    "max_strain_pct": round(float(strain.max()), 2), "nan": bool(np.isnan(positions).any())}

        seconds = statistics.median(r.seconds for r in runs)
        ours = {"vertices": len(garment.rest), "seconds_median": round(seconds, 3),
                "settle_seconds": round(sewn.drape.seconds, 3), "steps": sewn.steps,
                "seam_gap_mm_max": round(float(sewn.closing_gap_mm.max()), 2), "settled": sewn.drape.settled,
                **quality(sewn.positions)}
        ours["more_steps_move_mm"] = moved_by_more_steps(sewn, sewn.positions, avatar.mesh, collider)
        ours["goals_met"] = bool(seconds <= GOAL_SECONDS.get(category, 8.0) and ours["inside_over_2mm"] == 0
                                 and ours["seam_gap_mm_max"] <= GOAL_GAP_MM and ours["edges_through_cloth"] == 0)
        row = {"fitroom": ours}
        table.add_row(category, "Fitroom (sew + L-BFGS settle)", f"{ours['vertices']:,}",
                      f"{seconds:.2f} median of {args.runs}", str(ours["steps"]), f"{ours['seam_gap_mm_max']:.2f}",
                      str(ours["inside_over_2mm"]), f"{ours['penetration_mm_max']:.2f}", str(ours["edges_through_cloth"]),
                      f"{ours['mean_abs_strain_pct']:.2f}",
                      f"{ours['max_strain_pct']:.1f}",
                      _moves(ours["more_steps_move_mm"]),
                      ("goals met" if ours["goals_met"] else "goals missed")
                      + ("" if ours["settled"] else "; still creeping"))
        vbd = newton_vbd(garment, avatar.mesh, args.newton_frames, args.newton_seconds)
        if vbd is not None:  # the same sewn, merged mesh from where our settle starts
            positions, frames, per_frame = vbd
            theirs = {"frames": frames, "seconds_per_frame": round(per_frame, 3), "seconds": round(frames * per_frame, 2),
                      "ratio_to_fitroom_settle": round(frames * per_frame / max(sewn.drape.seconds, 1e-9), 1),
                      **quality(positions),
                      "more_steps_move_mm": moved_by_more_steps(sewn, positions, avatar.mesh, collider)}
            row["newton_vbd"] = theirs
            table.add_row("", "Newton 1.8 VBD (CPU), settle", f"{ours['vertices']:,}", f"{theirs['seconds']:.1f} for {frames} frames",
                          str(frames * 10), "merged", str(theirs["inside_over_2mm"]), f"{theirs['penetration_mm_max']:.2f}",
                          str(theirs["edges_through_cloth"]),
                          f"{theirs['mean_abs_strain_pct']:.2f}", f"{theirs['max_strain_pct']:.1f}",
                          _moves(theirs["more_steps_move_mm"]) + " (ours)",
                          f"{theirs['ratio_to_fitroom_settle']}x our settle ({ours['settle_seconds']:.2f} s)")
        output["garments"][category] = row
    Console(width=220).print(table)
    save(args.json, output)


if __name__ == "__main__":
    main()
