"""The latent-size model starts as the chart rule and learns hidden vanity offsets from feedback."""

from __future__ import annotations

import numpy as np

from recommender.size_model import Feedback, LatentSizeModel


def simulate(seed: int = 0):
    rng = np.random.default_rng(seed)
    body = rng.normal(95, 8, 150)
    offsets = rng.choice([-6.0, 0.0, 6.0], 12)
    girths = np.array([84.0, 90, 96, 102, 108, 114])
    shopper = np.repeat(np.arange(150), 8)
    product = rng.integers(0, 12, len(shopper))
    size = rng.integers(0, 6, len(shopper))
    ease = girths[size] + offsets[product] - body[shopper] + rng.normal(0, 1.0, len(shopper))
    verdict = np.where(ease < 2, 2, np.where(ease > 20, 0, 1))
    return body, offsets, girths, Feedback(shopper, product, girths[size], verdict)


def test_cold_start_is_the_chart_rule():
    body, _, girths, _ = simulate()
    model = LatentSizeModel(body, 12, 2.0, 20.0)
    p = model.predict_proba(np.zeros(6, int), np.zeros(6, int), girths)
    ease = girths - body[0]
    expected = np.where(ease < 2, 2, np.where(ease > 20, 0, 1))
    clear = (np.abs(ease - 2) > 3) & (np.abs(ease - 20) > 3)  # away from the cut points
    assert np.array_equal(p.argmax(axis=1)[clear], expected[clear])
    assert np.allclose(p.sum(axis=1), 1.0)


def test_learns_offsets_and_beats_the_rule():
    body, offsets, girths, data = simulate()
    train = np.arange(len(data.verdict)) % 5 != 0
    part = lambda m: Feedback(data.shopper[m], data.product[m], data.garment_cm[m], data.verdict[m])
    model = LatentSizeModel(body, 12, 2.0, 20.0).fit(part(train))
    held = part(~train)
    learned = model.predict_proba(held.shopper, held.product, held.garment_cm).argmax(axis=1)
    ease = held.garment_cm - body[held.shopper]
    rule = np.where(ease < 2, 2, np.where(ease > 20, 0, 1))
    assert np.mean(learned == held.verdict) > np.mean(rule == held.verdict) + 0.05
    assert np.corrcoef(model.offset.numpy(), offsets)[0, 1] > 0.9
