"""The size that fits, from physics: drape every size of a garment and read the verdicts.

snug: the smallest size that is tight nowhere; regular: the smallest whose girths all keep a
comfort margin over "tight"; loose: one size above regular when the chart has one. Since ease
only grows with the size and shrinks with the body, a bigger body never gets a smaller size.
The same rule (`pick_size`) reads the chart's points of measure when there is no drape
(`chart_size`), so the store's size advice and `fitroom size` give one answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from avatars import Avatar
from engine.drape import BodyCollider
from engine.garments.charts import (
    CHART_GENDER,
    COMFORT_MARGIN_CM,
    GarmentError,
    fit_rules,
    load_chart,
)
from engine.tryon import TryOn, try_on

PREFERENCES = ("snug", "regular", "loose")


@dataclass
class SizeAdvice:
    category: str
    size: str
    preference: str
    tries: dict[str, TryOn]
    reason: str

    def as_dict(self) -> dict:
        return {"garment": self.category, "size": self.size, "preference": self.preference,
                "reason": self.reason, "sizes": {label: t.fit.as_dict() for label, t in self.tries.items()}}


Regions = dict[str, tuple[float | None, str]]  # region -> (ease in cm or None, verdict)


def _comfortable(category: str, regions: Regions) -> bool:
    limits = fit_rules()["ease_cm"].get(category, {})
    return all(ease is None or name not in limits or ease >= limits[name][0] + COMFORT_MARGIN_CM
               for name, (ease, _) in regions.items())


def _tight_nowhere(regions: Regions) -> bool:
    return all(verdict != "tight" for _, verdict in regions.values())


def pick_size(category: str, labels: list[str], regions: dict[str, Regions], preference: str = "regular") -> str:
    """The size for the preference from each size's regions: the one rule behind every size answer,
    whether the regions come from drapes (`recommend_size`) or from the chart (`chart_size`)."""
    if preference not in PREFERENCES:
        raise GarmentError(f"unknown fit preference {preference!r}; choose one of {PREFERENCES}")
    snug = next((i for i, label in enumerate(labels) if _tight_nowhere(regions[label])), len(labels) - 1)
    regular = next((i for i, label in enumerate(labels[snug:], snug) if _comfortable(category, regions[label])), snug)
    return labels[{"snug": snug, "regular": regular, "loose": min(regular + 1, len(labels) - 1)}[preference]]


def recommend_size(avatar: Avatar, category: str, preference: str = "regular", gender: str | None = None,
                   progress=None) -> SizeAdvice:
    """Drape each size of the chart on the avatar and pick one for the shopper's preference."""
    if preference not in PREFERENCES:
        raise GarmentError(f"unknown fit preference {preference!r}; choose one of {PREFERENCES}")
    gender = gender or CHART_GENDER.get(avatar.inputs.get("sex", ""), "women")
    labels = load_chart(category, gender).labels
    collider = BodyCollider(avatar.mesh)
    tries = {}
    for label in labels:
        tries[label] = try_on(avatar, category, label, gender, collider=collider)
        if progress:
            progress(label)
    regions = {label: {name: (r.ease_cm, r.verdict) for name, r in t.fit.regions.items()} for label, t in tries.items()}
    chosen = pick_size(category, labels, regions, preference)
    choice = labels.index(chosen)
    reason = "; ".join(tries[label].fit.summary() for label in labels[max(0, choice - 1): choice + 1])
    if choice == len(labels) - 1 and not _tight_nowhere(regions[chosen]):
        reason += "; even the largest size is tight"
    return SizeAdvice(category, chosen, preference, tries, reason)


# the body girth each chart point of measure is worn over, as the drape's fit analysis reads them
BODY_GIRTH_OF = {"neck": ("neck_opening", "neck_base"), "chest": ("chest", "chest"), "waist": ("waist", "waist"),
                 "hip": ("hip", "hip"), "thigh": ("thigh", "thigh")}


def chart_ease(category: str, gender: str, size: str, body: dict[str, float]) -> dict[str, dict]:
    """Per region, the chart's girth minus the body's (cm) and the fit rule's verdict: advice without a drape.
    A top's hip is its hem, as in the drape's analysis."""
    chart = load_chart(category, gender).size(size)
    limits = fit_rules()["ease_cm"].get(category, {})
    regions = {}
    for region, (tight, loose) in limits.items():
        pom, girth = BODY_GIRTH_OF.get(region, (region, region))
        pom = pom if pom in chart or region != "hip" else "hem"
        if pom in chart and girth in body:
            ease = float(chart[pom]) - float(body[girth])
            verdict = "tight" if ease < tight else "loose" if ease > loose else "fit"
            regions[region] = {"ease_cm": round(ease, 1), "verdict": verdict}
    return regions


def chart_size(category: str, gender: str, body: dict[str, float], preference: str = "regular") -> str:
    """The size `recommend_size` would pick, from the chart's points of measure instead of drapes."""
    labels = load_chart(category, gender).labels
    return pick_size(category, labels, {label: {name: (r["ease_cm"], r["verdict"]) for name, r in
                                                chart_ease(category, gender, label, body).items()} for label in labels},
                     preference)
