"""Store operations' settings (`assets/operations.json`): the demand period, forecast, lead time,
service level, price rules and the experiment (on prices or on recommenders). Every value is checked against a range, so
a typo cannot turn into a store that reorders a thousand units or prices a coat at zero."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store.experiments import Experiment, Subject
from store.forecast import METHODS
from store.ledger import StoreError

DEFAULT_SETTINGS = Path(__file__).resolve().parents[1] / "assets" / "operations.json"


class SettingsError(StoreError):
    """An operations setting is missing, of the wrong type or outside its range."""


def _check(value: Any, name: str, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or not low <= value <= high:
        raise SettingsError(f"{name} = {value!r}: expected a number in [{low:g}, {high:g}]")


@dataclass(frozen=True)
class PriceRules:
    slow_mover: bool = True
    slow_days: float = 14           # sell-through is measured over this window, and a rule fires at most once in it
    max_sell_through: float = 0.05  # a product that sold less than this share of its stock is slow
    slow_markdown: float = 0.15
    overstock: bool = True
    cover_days: float = 60          # more stock than this many days of forecast demand is overstock
    overstock_markdown: float = 0.1
    max_markdown: float = 0.4       # never more than this off the list price

    def __post_init__(self) -> None:
        for name, low, high in (("slow_days", 1, 365), ("max_sell_through", 0, 1), ("slow_markdown", 0, 0.9),
                                ("cover_days", 1, 3650), ("overstock_markdown", 0, 0.9), ("max_markdown", 0, 0.9)):
            _check(getattr(self, name), f"price_rules.{name}", low, high)

    @classmethod
    def from_dict(cls, data: dict) -> PriceRules:
        slow, over = data.get("slow_mover", {}), data.get("overstock", {})
        default = cls()
        return cls(bool(slow.get("enabled", True)), slow.get("days", default.slow_days),
                   slow.get("max_sell_through", default.max_sell_through), slow.get("markdown", default.slow_markdown),
                   bool(over.get("enabled", True)), over.get("cover_days", default.cover_days),
                   over.get("markdown", default.overstock_markdown), data.get("max_markdown", default.max_markdown))


@dataclass(frozen=True)
class OpsSettings:
    day_seconds: float = 86400.0    # one demand period; the simulation compresses it
    history_days: int = 28
    forecast_method: str = "tsb"
    forecast_params: tuple[tuple[str, float], ...] = (("alpha_probability", 0.1), ("alpha_size", 0.1))
    lead_time_days: float = 3
    review_days: float = 7
    service_level: float = 0.95
    price_rules: PriceRules = PriceRules()
    min_margin: float = 0.1         # price floor = cost x (1 + min_margin)
    experiment: str = "pricing"
    experiment_active: bool = False
    treatment_share: float = 0.5
    experiment_subject: Subject = Subject.PRICING
    recommender_arms: tuple[str, str] = ("item-knn", "fitroom")  # control's model, treatment's (recommender.models)

    def __post_init__(self) -> None:
        for name, low, high in (("day_seconds", 1, 1e7), ("history_days", 2, 730), ("lead_time_days", 0, 365),
                                ("review_days", 1, 365), ("service_level", 0.5, 0.999), ("min_margin", 0, 5),
                                ("treatment_share", 0.01, 0.99)):
            _check(getattr(self, name), name, low, high)
        if self.forecast_method not in METHODS:
            raise SettingsError(f"forecast.method = {self.forecast_method!r}: expected one of {sorted(METHODS)}")
        accepted = set(inspect.signature(METHODS[self.forecast_method]).parameters) - {"history"}
        for key, value in self.forecast_params:
            if key not in accepted:
                raise SettingsError(f"forecast.{key} is not a parameter of {self.forecast_method}; "
                                    f"it takes {sorted(accepted) or 'none'}")
            _check(value, f"forecast.{key}", 0.001, 1)
        if not isinstance(self.experiment, str) or not self.experiment:
            raise SettingsError("experiment.name must be a non-empty string")
        if self.experiment_subject not in set(Subject):
            raise SettingsError(f"experiment.subject = {self.experiment_subject!r}: expected one of {[str(s) for s in Subject]}")
        object.__setattr__(self, "experiment_subject", Subject(self.experiment_subject))  # the file gives a string
        if len(self.recommender_arms) != 2 or not all(isinstance(m, str) and m for m in self.recommender_arms):
            raise SettingsError("experiment.recommender_arms must be two model names, control's then treatment's")

    @classmethod
    def load(cls, path: Path = DEFAULT_SETTINGS) -> OpsSettings:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise SettingsError(f"cannot read operations settings {path}: {exc}") from exc
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> OpsSettings:
        if not isinstance(data, dict) or not all(isinstance(data.get(k, {}), dict)
                                                 for k in ("forecast", "price_rules", "experiment")):
            raise SettingsError("operations settings must be a JSON object with objects for forecast, "
                                "price_rules and experiment")
        default, forecast, experiment = cls(), data.get("forecast", {}), data.get("experiment", {})
        fields = {name: data[name] for name in ("day_seconds", "lead_time_days", "review_days", "service_level",
                                                 "min_margin") if name in data}
        if "history_days" in data:
            _check(data["history_days"], "history_days", 2, 730)
            fields["history_days"] = int(data["history_days"])
        return cls(**fields, forecast_method=forecast.get("method", default.forecast_method),
                   forecast_params=tuple(sorted((k, v) for k, v in forecast.items() if k != "method")),
                   price_rules=PriceRules.from_dict(data.get("price_rules", {})),
                   experiment=experiment.get("name", default.experiment),
                   experiment_active=bool(experiment.get("active", False)),
                   treatment_share=experiment.get("treatment_share", default.treatment_share),
                   experiment_subject=experiment.get("subject", default.experiment_subject),
                   recommender_arms=tuple(experiment.get("recommender_arms", default.recommender_arms)))

    def as_dict(self) -> dict:
        """The settings in the file's layout (`from_dict(as_dict())` gives them back)."""
        rules = self.price_rules
        return {"day_seconds": self.day_seconds, "history_days": self.history_days,
                "forecast": {"method": self.forecast_method, **dict(self.forecast_params)},
                "lead_time_days": self.lead_time_days, "review_days": self.review_days,
                "service_level": self.service_level,
                "price_rules": {"slow_mover": {"enabled": rules.slow_mover, "days": rules.slow_days,
                                               "max_sell_through": rules.max_sell_through,
                                               "markdown": rules.slow_markdown},
                                "overstock": {"enabled": rules.overstock, "cover_days": rules.cover_days,
                                              "markdown": rules.overstock_markdown},
                                "max_markdown": rules.max_markdown},
                "min_margin": self.min_margin,
                "experiment": {"name": self.experiment, "active": self.experiment_active,
                               "treatment_share": self.treatment_share, "subject": str(self.experiment_subject),
                               "recommender_arms": list(self.recommender_arms)}}

    def experiment_of(self) -> Experiment:
        """The experiment these settings describe (inactive unless `experiment.active`)."""
        return Experiment(self.experiment, self.treatment_share, self.experiment_active, Subject(self.experiment_subject))

    def without_price_rules(self) -> OpsSettings:
        """The what-if in which prices stay at list."""
        return dataclasses.replace(self, price_rules=dataclasses.replace(self.price_rules, slow_mover=False,
                                                                          overstock=False))
