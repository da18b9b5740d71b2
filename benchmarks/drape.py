"""Drape speed and quality: Fitroom's solver against an explicit mass-spring peer, same garment and body.

    .venv/bin/python benchmarks/drape.py [--runs 5] [--peer-seconds 10] [--json out/drape.json]

Peers: NVIDIA Newton's VBD cloth solver on the CPU when `newton` is installed (`make bench`
installs it), frames capped; and the textbook explicit mass-spring cloth (semi-implicit Euler, the same edge and bending
springs and contact penalty, damping), vectorised in torch. Explicit integration is only stable
for time steps below sqrt(m/k) (about 0.1 ms for jersey at 1 cm), so it gets a wall-clock
budget and we report where it is when the budget ends. Penetration is measured for both by
`engine.fit.penetration_mm` (ray parity + closest point), not by either solver.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import numpy as np
import torch
import trimesh
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from avatars import Avatar
from engine.drape import BodyCollider, DrapeResult, bending_pairs, drape
from engine.fit import penetration_mm
from engine.garments.build import Garment, build_garment

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "body.json"


def mass_spring(garment: Garment, collider: BodyCollider, seconds: float, dt: float = 5e-5,
                skin_offset: float = 0.0025, contact: float = 5e4, damping: float = 2.0) -> tuple[np.ndarray, int]:
    """Explicit cloth for a wall-clock budget; returns positions and the number of steps taken."""
    fabric = garment.fabric
    edges = np.array(garment.mesh().edges_unique)
    bends = bending_pairs(garment.faces)
    pairs = torch.as_tensor(np.concatenate([edges, bends]))
    rest = torch.as_tensor(np.linalg.norm(garment.rest[pairs[:, 0]] - garment.rest[pairs[:, 1]], axis=1))
    k = torch.as_tensor(np.concatenate([np.full(len(edges), fabric.stretch_stiffness),
                                        np.full(len(bends), fabric.stretch_stiffness * fabric.bend_stiffness)]))
    area = np.zeros(len(garment.rest))
    np.add.at(area, garment.faces, trimesh.Trimesh(garment.rest, garment.faces, process=False).area_faces[:, None] / 3)
    mass = torch.as_tensor(area * fabric.density_g_m2 / 1000.0)[:, None]
    free = torch.as_tensor(~garment.pinned, dtype=torch.float64)[:, None]
    spring = (k / rest.clamp_min(1e-6)).numpy()
    stiffness = np.bincount(pairs.numpy().ravel(), np.repeat(spring, 2), minlength=len(area)) + contact
    dt = float(0.5 * 2.0 / np.sqrt((stiffness / np.maximum(area * fabric.density_g_m2 / 1000.0, 1e-12)).max()))
    points, normals = torch.as_tensor(collider.points), torch.as_tensor(collider.normals)
    x = torch.as_tensor(garment.start.copy())
    v = torch.zeros_like(x)
    gravity = torch.tensor([0.0, -9.81, 0.0], dtype=torch.float64)
    i, j = pairs[:, 0], pairs[:, 1]
    started, steps = time.perf_counter(), 0
    nearest = torch.as_tensor(collider.nearest(x.numpy()))
    while time.perf_counter() - started < seconds:
        d = x[j] - x[i]
        length = d.norm(dim=1).clamp_min(1e-9)
        force_along = (k * (length - rest) / rest.clamp_min(1e-6))[:, None] * d / length[:, None]
        force = torch.zeros_like(x)
        force.index_add_(0, i, force_along)
        force.index_add_(0, j, -force_along)
        if steps % 50 == 0:
            nearest = torch.as_tensor(collider.nearest(x.numpy()))
        depth = ((x - points[nearest]) * normals[nearest]).sum(dim=1) - skin_offset
        force += contact * (-depth.clamp(max=0.0))[:, None] * normals[nearest]
        force += mass * gravity - damping * mass * v
        v = (v + dt * force / mass) * free
        x = x + dt * v
        steps += 1
    return x.numpy(), steps, dt


def newton_vbd(garment: Garment, body: trimesh.Trimesh, frames: int, seconds: float,
               fps: int = 60, substeps: int = 10, iterations: int = 5) -> tuple[np.ndarray, int, float] | None:
    """NVIDIA Newton's VBD cloth solver on the CPU (static body mesh collider), capped in frames and
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
    solver = newton.solvers.SolverVBD(model, iterations=iterations)
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


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer-seconds", type=float, default=10.0)
    parser.add_argument("--garment", default="tee")
    parser.add_argument("--size", default="M")
    parser.add_argument("--newton-frames", type=int, default=30)
    args = parser.parse_args()
    avatar = Avatar.from_measurements(json.loads(EXAMPLE.read_text()))
    collider = BodyCollider(avatar.mesh)
    garment = build_garment(avatar, args.garment, args.size)
    drape(garment, avatar.mesh, collider=collider)  # warm-up
    times, result = [], None
    for _ in range(args.runs):
        result = drape(garment, avatar.mesh, collider=collider)
        times.append(result.seconds)

    def strain(positions: np.ndarray) -> float:
        return float(np.mean(np.abs(DrapeResult(garment, positions, 0, 0.0, False).edge_strain())) * 100.0)

    peer, steps, dt = mass_spring(garment, collider, args.peer_seconds)
    rows = {
        "fitroom": {"seconds_median": round(statistics.median(times), 3), "penetration_mm_max":
                    round(penetration_mm(avatar.mesh, result.positions), 2),
                    "mean_abs_strain_pct": round(strain(result.positions), 2), "settled": result.settled},
        "mass_spring": {"seconds": args.peer_seconds, "steps": steps, "dt": dt, "simulated_seconds": round(steps * dt, 4),
                        "penetration_mm_max": round(penetration_mm(avatar.mesh, peer), 2),
                        "mean_abs_strain_pct": round(strain(peer), 2),
                        "nan": bool(np.isnan(peer).any())},
    }
    vbd = newton_vbd(garment, avatar.mesh, args.newton_frames, args.peer_seconds * 6)
    if vbd is not None:
        positions, frames, per_frame = vbd
        rows["newton_vbd"] = {"frames": frames, "seconds_per_frame": round(per_frame, 3),
                              "seconds": round(frames * per_frame, 2),
                              "penetration_mm_max": round(penetration_mm(avatar.mesh, positions), 2),
                              "mean_abs_strain_pct": round(strain(positions), 2),
                              "nan": bool(np.isnan(positions).any())}
    output = {"garment": args.garment, "size": args.size, "vertices": len(garment.rest), **rows}
    table = Table(title=f"Drape of a {args.garment} {args.size} ({len(garment.rest)} vertices) on examples/body.json")
    for column in ("solver", "seconds", "penetration max mm", "mean |strain| %", "note"):
        table.add_column(column, justify="right")
    f, p = rows["fitroom"], rows["mass_spring"]
    table.add_row("fitroom (L-BFGS statics)", f"{f['seconds_median']:.3f} median of {args.runs}",
                  f"{f['penetration_mm_max']:.2f}", f"{f['mean_abs_strain_pct']:.2f}", "settled" if f["settled"] else "budget")
    table.add_row("explicit mass-spring", f"{args.peer_seconds:.1f} budget", f"{p['penetration_mm_max']:.2f}",
                  f"{p['mean_abs_strain_pct']:.2f}", f"{steps} steps = {p['simulated_seconds']} s simulated")
    if "newton_vbd" in rows:
        n = rows["newton_vbd"]
        table.add_row("Newton VBD (CPU)", f"{n['seconds']:.1f} for {n['frames']} frames", f"{n['penetration_mm_max']:.2f}",
                      f"{n['mean_abs_strain_pct']:.2f}", f"{n['seconds_per_frame']:.2f} s/frame, compile excluded")
    Console().print(table)
    if "newton_vbd" in rows:
        Console().print(f"one Newton VBD frame (1/60 s of motion) costs {rows['newton_vbd']['seconds_per_frame'] / f['seconds_median']:.1f}x "
                        "a whole Fitroom drape")
    save(args.json, output)


if __name__ == "__main__":
    main()
