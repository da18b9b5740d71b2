"""Made-to-measure: a pattern drafted for one body, its girths that body's plus the design ease.

The girths that fit (chest for tops; chest, waist and hip for a dress; waist and hip for a skirt;
waist, hip and thigh for trousers) are the body's girth plus the ease the project's fit rules call
comfortable for that region (`assets/fit_rules.json`: the "tight" threshold plus
`COMFORT_MARGIN_CM` for a regular fit, less for snug, more for loose). What is style rather than
fit (lengths of tops and skirts, openings, the neckline, the hem's flare) comes from the chart
size nearest the body, shifted with the girths it hangs from; trousers take the body's inseam.
"""

from __future__ import annotations

from engine.garments.charts import COMFORT_MARGIN_CM, fit_rules, load_chart
from engine.patterns.model import Pattern, PatternError, require_positive

PREFERENCE_EXTRA_CM = {"snug": 1.0 - COMFORT_MARGIN_CM, "regular": 0.0, "loose": 4.0}
WAISTBANDS = {("skirt", "waist"), ("trousers", "waist")}  # a waistband fits the same whatever the preference
#: category -> the girths drafted from the body; the first one picks the nearest chart size
FITTED = {"tee": ("chest",), "longsleeve": ("chest",), "jacket": ("chest",), "dress": ("chest", "waist", "hip"),
          "skirt": ("hip", "waist"), "trousers": ("hip", "waist", "thigh")}
#: girths that follow a fitted one by the same amount (a tee's waist and hem follow its chest)
FOLLOW = {"tee": {"waist": "chest", "hem": "chest"}, "longsleeve": {"waist": "chest", "hem": "chest"},
          "jacket": {"waist": "chest", "hem": "chest"}, "dress": {"hem": "hip"}, "skirt": {"hem": "hip"}}


def design_ease(category: str, region: str, preference: str = "regular") -> float:
    """The ease (cm over the body's girth) a made-to-measure garment gets in one region."""
    if preference not in PREFERENCE_EXTRA_CM:
        raise PatternError(f"unknown fit preference {preference!r}; choose one of {list(PREFERENCE_EXTRA_CM)}")
    tight, _ = fit_rules()["ease_cm"][category][region]
    extra = 0.0 if (category, region) in WAISTBANDS else PREFERENCE_EXTRA_CM[preference]
    return tight + COMFORT_MARGIN_CM + extra


def made_to_measure_poms(category: str, gender: str, body: dict[str, float], preference: str = "regular") -> dict:
    """The points of measure (cm) of a garment made for `body` (the nine ISO measurements, in cm)."""
    if category not in FITTED:
        raise PatternError(f"no made-to-measure for {category!r}; categories: {sorted(FITTED)}")
    require_positive(body, FITTED[category], f"made-to-measure {category}", needs="the body's (cm)")
    chart = load_chart(category, gender)
    fitted = {k: body[k] + design_ease(category, k, preference) for k in FITTED[category]}
    lead = FITTED[category][0]
    nearest = min(chart.sizes, key=lambda size: abs(size[lead] - fitted[lead]))
    pom = {**{k: v for k, v in nearest.items() if k not in ("label", "numeric")}, **fitted}
    for follower, leader in FOLLOW.get(category, {}).items():
        pom[follower] = nearest[follower] + (fitted[leader] - nearest[leader])
    if category == "trousers" and body.get("inseam"):
        pom["inseam"] = body["inseam"]
    return pom


def draft_made_to_measure(category: str, gender: str, body: dict[str, float], preference: str = "regular") -> Pattern:
    """A pattern drafted for one body (its size label is "MTM")."""
    from engine.patterns import draft_poms

    return draft_poms(category, gender, "MTM", made_to_measure_poms(category, gender, body, preference))
