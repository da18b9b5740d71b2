"""The size that fits, from physics: drape every size of a garment and read the verdicts.

snug: the smallest size that is tight nowhere; regular: the smallest whose girths all keep a
comfort margin over "tight"; loose: one size above regular when the chart has one. Since ease
only grows with the size and shrinks with the body, a bigger body never gets a smaller size.
"""

from __future__ import annotations

from dataclasses import dataclass

from avatars import Avatar
from engine.drape import BodyCollider
from engine.garments.charts import CHART_GENDER, COMFORT_MARGIN_CM, GarmentError, fit_rules, load_chart
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


def _comfortable(t: TryOn) -> bool:
    limits = fit_rules()["ease_cm"].get(t.fit.category, {})
    return all(r.ease_cm is None or name not in limits or r.ease_cm >= limits[name][0] + COMFORT_MARGIN_CM
               for name, r in t.fit.regions.items())


def _tight_nowhere(t: TryOn) -> bool:
    return all(r.verdict != "tight" for r in t.fit.regions.values())


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
    snug = next((i for i, label in enumerate(labels) if _tight_nowhere(tries[label])), len(labels) - 1)
    regular = next((i for i, label in enumerate(labels[snug:], snug) if _comfortable(tries[label])), snug)
    choice = {"snug": snug, "regular": regular, "loose": min(regular + 1, len(labels) - 1)}[preference]
    chosen = labels[choice]
    reason = "; ".join(tries[label].fit.summary() for label in labels[max(0, choice - 1): choice + 1])
    if choice == len(labels) - 1 and not _tight_nowhere(tries[chosen]):
        reason += "; even the largest size is tight"
    return SizeAdvice(category, chosen, preference, tries, reason)


def chart_ease(category: str, gender: str, size: str, body: dict[str, float]) -> dict[str, dict]:
    """Per region, the chart's girth minus the body's (cm) and the fit rule's verdict: advice without a drape."""
    chart = load_chart(category, gender).size(size)
    limits = fit_rules()["ease_cm"].get(category, {})
    regions = {}
    for region, (tight, loose) in limits.items():
        if region in chart and region in body:
            ease = float(chart[region]) - float(body[region])
            verdict = "tight" if ease < tight else "loose" if ease > loose else "fit"
            regions[region] = {"ease_cm": round(ease, 1), "verdict": verdict}
    return regions
