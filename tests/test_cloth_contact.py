"""Cloth against itself (`engine.cloth_contact`): the independent crossing test, and the penalty that keeps
two layers apart, on small meshes whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import trimesh

from engine.cloth_contact import THICKNESS_M, SelfContact, piercing_edges
from engine.drape import DTYPE


def _sheet(z: float, size: int = 6, spacing: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """A flat square grid of triangles at height z (x, y in metres)."""
    u, v = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    vertices = np.stack([u.ravel() * spacing, v.ravel() * spacing, np.full(u.size, z)], axis=1)
    a = (u[:-1, :-1] * size + v[:-1, :-1]).ravel()
    faces = np.concatenate([np.stack([a, a + size, a + 1], axis=1), np.stack([a + 1, a + size, a + size + 1], axis=1)])
    return vertices, faces


def _two_sheets(gap_m: float) -> tuple[np.ndarray, np.ndarray]:
    below, faces = _sheet(0.0)
    above, _ = _sheet(gap_m)
    return np.vstack([below, above + [0.002, 0.003, 0.0]]), np.vstack([faces, faces + len(below)])


def test_edges_through_a_triangle_are_found_and_sheets_apart_or_touching_along_an_edge_are_not():
    vertices, faces = _two_sheets(0.01)
    assert len(piercing_edges(trimesh.Trimesh(vertices, faces, process=False))) == 0
    pierced = vertices.copy()
    pushed = len(vertices) // 2 + 14
    pierced[pushed, 2] = -0.01  # one vertex of the upper sheet pushed down through the lower
    mesh = trimesh.Trimesh(pierced, faces, process=False)
    crossing = mesh.edges_unique[piercing_edges(mesh)]
    assert (crossing == pushed).any()  # its own edges down through the lower sheet
    # and the lower sheet's edges through the tent round it: all within a triangle or two of it
    assert np.linalg.norm(pierced[crossing].mean(axis=1)[:, :2] - pierced[pushed, :2], axis=1).max() < 0.02


def test_two_layers_closer_than_the_thickness_are_pushed_apart_and_apart_ones_are_left_alone():
    vertices, faces = _two_sheets(0.001)  # half the thickness apart
    layers = SelfContact(faces, len(vertices))
    assert layers.refresh(vertices) > 0
    energy, gradient = layers.energy(torch.as_tensor(vertices, dtype=DTYPE))
    assert energy > 0
    upper = np.arange(len(vertices)) >= len(vertices) // 2
    inner = (np.abs(vertices[:, 0] - 0.025) < 0.015) & (np.abs(vertices[:, 1] - 0.025) < 0.015)
    descent = -gradient.numpy()
    assert (descent[upper & inner, 2] > 0).all() and (descent[~upper & inner, 2] < 0).all()  # up and down, apart
    # a finite-difference check of the gradient, with the pairs held
    x = torch.as_tensor(vertices, dtype=torch.float64)
    layers.matrix, layers.transposed = layers.matrix.to(torch.float64), layers.transposed.to(torch.float64)
    layers.normals = layers.normals.to(torch.float64)
    step = np.zeros_like(vertices)
    step[upper & inner, 2] = 1e-5
    _, g0 = layers.energy(x)
    change = float(layers.energy(x + torch.as_tensor(step))[0] - layers.energy(x - torch.as_tensor(step))[0])
    assert abs(change - 2.0 * float((g0 * torch.as_tensor(step)).sum())) < 1e-6 * abs(change)  # quadratic: exact
    apart, _ = _two_sheets(2 * THICKNESS_M)
    layers.refresh(apart)
    assert float(layers.energy(torch.as_tensor(apart, dtype=DTYPE))[0]) == 0.0


def test_cloth_a_few_edges_apart_on_itself_is_never_held_apart():
    """A vertex is not pushed off the triangles round it, nor off the flat cloth further on."""
    vertices, faces = _sheet(0.0)
    layers = SelfContact(faces, len(vertices))
    layers.refresh(vertices)
    energy, gradient = layers.energy(torch.as_tensor(vertices, dtype=DTYPE))
    assert float(energy) == 0.0 and float(gradient.abs().max()) == 0.0
    folded = vertices.copy()  # the sheet's far half folded flat back over its near half, a thickness above
    far = vertices[:, 0] > 0.025
    folded[far, 0] = 0.05 - vertices[far, 0]
    folded[far, 2] = THICKNESS_M / 2
    layers.refresh(folded)
    _, gradient = layers.energy(torch.as_tensor(folded, dtype=DTYPE))
    over = vertices[:, 0] > 0.035  # away from the fold: the upper layer pushed up, the lower down
    under = vertices[:, 0] < 0.015
    assert float(gradient[over, 2].max()) < 0 and float(gradient[under, 2].min()) > 0


def test_a_button_holds_its_two_layers_a_thickness_apart_not_in_one_point():
    from engine.cloth_contact import Ties

    x = torch.tensor([[0.0, 0.0, 0.0], [0.0, 0.0, 0.01], [0.02, 0.0, 0.0]], dtype=DTYPE)
    button = Ties(np.array([[0, 1]]), 3, rest_m=THICKNESS_M, stiffness=2e6)
    energy, gradient = button.energy(x)
    stretch = 0.01 - THICKNESS_M
    assert float(energy) == pytest.approx(0.5 * 2e6 * stretch**2, rel=1e-5)
    assert float(gradient[0, 2]) == pytest.approx(-2e6 * stretch, rel=1e-5)
    assert float(gradient[1, 2]) == pytest.approx(2e6 * stretch, rel=1e-5)
    assert float(gradient[2].abs().sum()) == 0.0  # a vertex it does not hold feels nothing
    held = x.clone()
    held[1, 2] = THICKNESS_M
    assert float(button.energy(held)[0]) == pytest.approx(0.0, abs=1e-6)
