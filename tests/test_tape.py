"""The tape reads measurements off any body mesh, not off the parameters that built it."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from avatars import MeshError, measure, measure_body
from avatars.measurements import MEASUREMENT_KEYS


def test_probes_reproduce_the_values(example_avatar):
    import torch

    measured = measure_body(example_avatar.mesh)
    vertices = torch.as_tensor(example_avatar.vertices)[None]
    for key in MEASUREMENT_KEYS:
        value = float(measured.probes[key].evaluate(vertices)[0]) * 100.0
        assert value == pytest.approx(measured.values[key], abs=0.01), key


def test_translation_changes_nothing(example_avatar):
    mesh = example_avatar.mesh
    moved = mesh.copy()
    moved.apply_translation([0.7, -0.2, 1.3])
    assert measure(moved) == pytest.approx(measure(mesh), abs=0.02)


def test_scaling_scales_every_measurement(example_avatar):
    mesh = example_avatar.mesh
    small = mesh.copy()
    small.apply_scale(0.9)
    base, scaled = measure(mesh), measure(small)
    for key in MEASUREMENT_KEYS:
        assert scaled[key] == pytest.approx(0.9 * base[key], rel=0.01), key


def test_foreign_topology_is_measured_from_geometry(example_avatar):
    """A remeshed body has no Anny landmarks; geometric landmarks must agree with the material ones."""
    mesh = example_avatar.mesh
    vertices, faces = trimesh.remesh.subdivide(mesh.vertices, mesh.faces)
    other = trimesh.Trimesh(vertices, faces, process=False)
    assert len(other.vertices) != len(mesh.vertices)
    anny, geometric = measure(mesh), measure(other)
    tolerance_cm = {"stature": 0.2, "chest": 3.0, "waist": 3.0, "hip": 2.0, "inseam": 2.0,
                    "neck_base": 4.0, "shoulder_breadth": 2.5, "thigh": 3.0, "arm_length": 3.0}
    for key, tolerance in tolerance_cm.items():
        assert geometric[key] == pytest.approx(anny[key], abs=tolerance), key


def test_bad_meshes_raise_mesh_error(example_avatar):
    mesh = example_avatar.mesh
    broken = mesh.copy()
    broken.vertices[10] = [np.nan, 0.0, 0.0]
    with pytest.raises(MeshError, match="NaN"):
        measure(broken)
    millimetres = mesh.copy()
    millimetres.apply_scale(1000.0)
    with pytest.raises(MeshError, match="tall"):
        measure(millimetres)
    with pytest.raises(MeshError, match="vertices"):
        measure(trimesh.creation.box())
