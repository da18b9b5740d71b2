"""Fit read from a sewn pattern: ease from its points of measure, strain and pressure from the drape."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from avatars import Avatar
from engine.garments.charts import load_chart
from engine.pattern_fit import strain_across
from engine.patterns import draft
from engine.patterns.made_to_measure import draft_made_to_measure
from engine.patterns.sew import BANDS, sew
from engine.tryon import try_on


@pytest.fixture(scope="module")
def tee(example_avatar):
    return try_on(example_avatar, "tee", "L")


@pytest.fixture(scope="module")
def broad_body(body_model):
    return Avatar.from_measurements({"stature": 168.0, "chest": 112.0, "waist": 88.0, "hip": 104.0, "sex": "female"},
                                    model=body_model)


def test_ease_is_the_pattern_minus_the_body_and_the_report_names_the_pattern(tee, example_avatar):
    report = tee.fit.as_dict()
    chart = load_chart("tee", "women").size("L")
    assert report["pattern"]["poms_cm"]["chest"] == pytest.approx(chart["chest"], abs=0.05)
    assert {"front", "back", "sleeve_left", "sleeve_right", "neckband"} == set(report["pattern"]["pieces"])
    assert 4000 < report["pattern"]["area_cm2"] < 12000  # a tee takes about a square metre of cloth
    chest = report["regions"]["chest"]
    assert chest["ease_cm"] == pytest.approx(chart["chest"] - example_avatar.measured["chest"], abs=0.1)
    assert all(r["pressure_kpa"] >= 0 for name, r in report["regions"].items() if name != "shoulders")
    assert report["penetration_mm_max"] <= 2.0
    assert tee.fit.summary().endswith("fits")  # the chart's L on a body with a 96 cm chest


def _girth_ratio_at_chest_line(sewn, line: str = "chest", below_cm: float = 3.0) -> tuple[float, float]:
    """The draped torso's girth where one of the pattern's drafting lines hangs (by default just under the armholes,
    so the section is the torso's alone), over the pattern's width there; and that height."""
    pattern = sewn.pattern
    level = pattern.levels_cm[line] - below_cm
    pieces = [name for name, p in pattern.panels.items() if p.placement not in BANDS]
    on_line = np.isin(sewn.panel, pieces) & (np.abs(sewn.flat_cm[:, 1] - level) < 0.8)
    y = float(np.median(sewn.positions[sewn.weld[on_line], 1]))
    width = sum(pattern.panels[name].width_at(level) for name in pieces)
    curves = sewn.mesh.section(plane_origin=[0.0, y, 0.0], plane_normal=[0.0, 1.0, 0.0]).discrete
    torso = min(curves, key=lambda c: np.linalg.norm(c.mean(axis=0)[[0, 2]]))
    return float(np.linalg.norm(np.diff(torso, axis=0), axis=1).sum()) * 100.0 / width, y


@pytest.mark.parametrize("size, body", [("L", "example_avatar"), ("XS", "broad_body")])
def test_draped_girth_agrees_with_the_pattern_within_the_strain(request, size, body):
    """An independent tape on the draped cloth: its girth is the pattern's, stretched by the strain read there."""
    avatar = request.getfixturevalue(body)
    sewn = sew(draft("tee", "women", size), avatar)
    ratio, y = _girth_ratio_at_chest_line(sewn)
    centre = sewn.mesh.vertices[sewn.mesh.faces].mean(axis=1)
    band = (np.abs(centre[:, 1] - y) < 0.02) & (sewn.drape.garment.regions[sewn.mesh.faces] == "torso").all(axis=1)
    around = strain_across(sewn.mesh, sewn.drape.garment.rest_edge_m, np.array([0.0, 1.0, 0.0]))
    strain = float(np.average(around[band], weights=sewn.mesh.area_faces[band]))
    assert ratio - 1.0 == pytest.approx(strain, abs=0.05)  # measured: 0.36 against 0.32 for the XS
    if size == "XS":  # 28 cm smaller than the chest: stretched, and the report says so
        assert strain > 0.2


def test_a_tee_much_smaller_than_the_body_is_tight_and_presses(broad_body):
    fit = try_on(broad_body, "tee", "XS").fit
    chest = fit.regions["chest"]
    assert chest.verdict == "tight" and chest.ease_cm < -20.0
    assert 20.0 < chest.strain_pct < 40.0  # 84 cm of cloth round a 112 cm chest would be 33 %
    assert 0.1 < chest.pressure_kpa < 2.0  # jersey at that stretch: a light compression garment's pressure
    assert fit.penetration_mm_max <= 2.0


def test_a_loose_pattern_reads_looser_than_a_snug_one(example_avatar):
    body = example_avatar.measured
    fits = {preference: try_on(example_avatar, "tee", "MTM",
                               pattern=draft_made_to_measure("tee", "women", body, preference)).fit
            for preference in ("snug", "loose")}
    for region in ("chest", "waist"):
        assert fits["loose"].regions[region].ease_cm > fits["snug"].regions[region].ease_cm + 2.0
    assert fits["snug"].regions["chest"].verdict != "tight"


def test_a_neckline_much_larger_than_the_neck_fits_and_one_that_cannot_pass_the_head_is_tight(tee, example_avatar):
    """A tee's neckline is meant to be far larger than the neck; what matters is that it goes on over the head."""
    head = example_avatar.measured["head"]
    neck = tee.fit.regions["neck"]
    chart = load_chart("tee", "women").size("L")
    assert neck.ease_cm > 10.0 and neck.verdict == "fit"  # +13.6 cm over the neck base, by design
    assert neck.over_head_cm == pytest.approx(chart["neck_opening"] * 1.35 - head, abs=0.1)  # jersey pulls to 35 %
    woven = draft("longsleeve", "women", "L")  # poplin barely stretches: it goes on by its placket
    assert woven.neck_slit_cm > 0
    with_placket = try_on(example_avatar, "longsleeve", "L", pattern=woven).fit.regions["neck"]
    without = try_on(example_avatar, "longsleeve", "L", pattern=dataclasses.replace(woven, neck_slit_cm=0.0)).fit
    assert with_placket.verdict == "fit" and with_placket.over_head_cm > 10.0
    assert without.regions["neck"].over_head_cm < 0 and without.regions["neck"].verdict == "tight"
    assert "tight at neck" in without.summary() and without.as_dict()["regions"]["neck"]["over_head_cm"] < 0


def test_a_long_sleeve_of_the_chart_reaches_the_wrist_and_one_cut_short_reads_short(example_avatar):
    """Lengths come off the pattern along a straight arm: the A pose's bent elbow would take 5 cm off the reach."""
    from engine.patterns import draft_poms

    arm = example_avatar.measured["arm_length"]
    chart = dict(load_chart("longsleeve", "women").size("M"))
    fit = try_on(example_avatar, "longsleeve", "M").fit.as_dict()
    assert fit["lengths"]["sleeve"] == {"above_wrist_cm": pytest.approx(arm - chart["sleeve_length"], abs=0.1),
                                        "verdict": "fit"}
    cut = draft_poms("longsleeve", "women", "M", chart | {"sleeve_length": chart["sleeve_length"] - 10.0})
    short = try_on(example_avatar, "longsleeve", "M", pattern=cut).fit.as_dict()["lengths"]["sleeve"]
    assert short["verdict"] == "short" and short["above_wrist_cm"] == pytest.approx(arm - chart["sleeve_length"] + 10.0,
                                                                                     abs=0.1)


@pytest.mark.parametrize("category, line", [("dress", "hip"), ("skirt", "hip"), ("trousers", "hip"), ("dress", "waist")])
def test_draped_girths_of_other_garments_agree_with_their_patterns_within_the_strain(example_avatar, category, line):
    """The same independent tape at other drafting lines: a dress's waist and hip, a skirt's and trousers' seat."""
    sewn = sew(draft(category, "women", "L"), example_avatar)
    ratio, y = _girth_ratio_at_chest_line(sewn, line, below_cm=0.0)
    centre = sewn.mesh.vertices[sewn.mesh.faces].mean(axis=1)
    trunk = np.isin(sewn.drape.garment.regions[sewn.mesh.faces], ["torso", "leg_left", "leg_right"]).all(axis=1)
    band = (np.abs(centre[:, 1] - y) < 0.02) & trunk
    around = strain_across(sewn.mesh, sewn.drape.garment.rest_edge_m, np.array([0.0, 1.0, 0.0]))
    strain = float(np.average(around[band], weights=sewn.mesh.area_faces[band]))
    assert ratio - 1.0 == pytest.approx(strain, abs=0.02), (ratio, strain)  # measured: within 0.6 points
