"""Store operations: forecasts on planted demand, alerts raised once per crossing, approvals that
refuse stale suggestions, price guardrails, stable A/B arms and the what-ifs' directions."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from store import forecast
from store.catalog import Catalog
from store.experiments import Arm, Experiment, Subject, revenue_lift
from store.ledger import Ledger, StoreError
from store.operations import Operations, ab_report
from store.pricing import PriceError, PriceRule
from store.settings import OpsSettings, SettingsError
from store.shop import Shop

DAY = 86400.0
START = 1.7e9


def product(pid: str, price: float = 50.0, cost: float | None = 20.0, stock: int = 6) -> dict:
    return {"id": pid, "name": pid, "category": "tee", "gender": "women", "colours": ["black"], "pattern": "solid",
            "style": "casual", "season": "all", "price": price, "cost": cost, "sizes": {"S": stock, "M": stock}}


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path):
    catalog = Catalog.from_dicts([product("A"), product("B"), product("C", cost=None)])
    ledger = Ledger(tmp_path / "shop.sqlite", catalog)
    ledger.clock = Clock()
    ops = Operations(ledger, dataclasses.replace(OpsSettings.load(), experiment_active=False))
    shop = Shop(ledger, ops.pricing)
    for n in range(40):
        shop.register(f"S{n}", f"shopper {n}", {"stature": 170, "sex": "female"})
    yield ledger, shop, ops
    ledger.close()


def buy(shop: Shop, ops: Operations, shopper: str, pid: str, size: str = "S"):
    shop.add_to_cart(shopper, pid, size)
    shop.buy(shopper)
    return ops.stock_changed([(pid, size)])


def sell_daily(shop, ops, days: int, pid: str = "A", size: str = "S", every: int = 1):
    """One unit of `pid` every `every` days, restocked so it never runs out; the clock moves a day at a time."""
    for day in range(days):
        shop.store.clock.now += DAY
        if day % every == 0:
            if shop.stock(pid)[size] == 0:
                shop.set_stock(pid, size, 6)
            buy(shop, ops, f"S{day % 40}", pid, size)


# --- forecasts ------------------------------------------------------------------------------------
def test_tsb_recovers_a_planted_intermittent_rate_and_forgets_a_dead_product():
    rng = np.random.default_rng(3)
    rates = np.array([0.05, 0.2, 0.6, 2.0])
    history = rng.poisson(rates[:, None], (4, 400)).astype(float)
    assert np.allclose(forecast.tsb(history, 0.05, 0.05).rate, rates, rtol=0.35)
    dead = np.concatenate([rng.poisson(1.0, (1, 60)), np.zeros((1, 60))], axis=1)
    assert forecast.tsb(dead).rate[0] < 0.01 + 0.1 * forecast.croston(dead).rate[0]  # Croston keeps its level


def test_mase_scales_by_the_in_sample_naive_error():
    history = np.array([[0.0, 2, 0, 2, 0, 2]])  # naive errs by 2 every period
    assert forecast.mase(np.array([[1.0, 1.0]]), np.array([0.0]), history)[0] == pytest.approx(0.5)
    assert np.isnan(forecast.mase(np.array([[1.0]]), np.array([0.0]), np.zeros((1, 5))))[0]
    with pytest.raises(ValueError, match="negative or non-finite"):
        forecast.tsb(np.array([[1.0, np.nan]]))


def test_settings_round_trip_through_the_file_layout():
    settings = dataclasses.replace(OpsSettings.load(), lead_time_days=5, experiment_active=True).without_price_rules()
    assert OpsSettings.from_dict(json.loads(json.dumps(settings.as_dict()))) == settings
    on_models = dataclasses.replace(settings, experiment_subject=Subject.RECOMMENDER, recommender_arms=("ease", "bpr"))
    assert OpsSettings.from_dict(json.loads(json.dumps(on_models.as_dict()))) == on_models


def test_an_experiment_on_recommenders_leaves_every_shopper_on_the_rules_prices(store):
    ledger, _, _ = store
    settings = dataclasses.replace(OpsSettings.load(), experiment_active=True, experiment_subject=Subject.RECOMMENDER)
    ops = Operations(ledger, settings)
    assert ops.pricing.experiment is None and ledger.experiment.subject is Subject.RECOMMENDER
    assert {ledger.arm(f"S{n}") for n in range(20)} == set(Arm)  # arms are still written on events and orders


@pytest.mark.parametrize("change, words", [({"lead_time_days": -1}, "lead_time_days"),
                                          ({"service_level": 1.5}, "service_level"),
                                          ({"day_seconds": float("nan")}, "day_seconds"),
                                          ({"forecast_params": (("alpha", 0.1),)}, "forecast.alpha"),
                                          ({"experiment_subject": "colour"}, "experiment.subject"),
                                          ({"recommender_arms": ("ease",)}, "recommender_arms")])
def test_absurd_settings_are_refused_by_name(change, words):
    with pytest.raises(SettingsError, match=words):
        dataclasses.replace(OpsSettings.load(), **change)


# --- alerts and replenishment ----------------------------------------------------------------------
def test_a_crossing_raises_one_alert_and_a_restock_clears_it(store):
    ledger, shop, ops = store
    sell_daily(shop, ops, 28)
    ops.replan()
    rop = ops.plans[("A", "S")].reorder_point
    assert 1 < rop < 6  # about a unit a day over a 3-day lead time, plus safety stock
    shop.set_stock("A", "S", int(rop) + 3)
    assert not ops.stock_changed([("A", "S")]).alerts
    raised = []
    for n in range(4):  # under the reorder point, then further still
        raised += buy(shop, ops, f"S{n}", "A").alerts
    assert len(raised) == 1 and raised[0].product == "A" and raised[0].stock <= rop
    assert len(ops.replenisher.alerts()) == 1
    shop.set_stock("A", "S", 20)
    assert ops.stock_changed([("A", "S")]).cleared == [("A", "S")]
    shop.set_stock("A", "S", 1)
    assert len(ops.stock_changed([("A", "S")]).alerts) == 1  # a new crossing, a new alert


def test_approving_a_suggestion_receives_stock_and_a_stale_one_changes_nothing(store):
    ledger, shop, ops = store
    sell_daily(shop, ops, 28)
    shop.set_stock("A", "S", 1)
    ops.replan()
    (suggestion,) = [s for s in ops.replenisher.suggestions() if (s.product, s.size) == ("A", "S")]
    assert suggestion.quantity >= 5
    done, update = ops.approve(suggestion.id)
    assert shop.stock("A")["S"] == 1 + suggestion.quantity == ledger.catalog.products["A"].sizes["S"]
    assert update.cleared == [("A", "S")]
    for stale in (suggestion.id, 999):
        with pytest.raises(StoreError, match="no longer applies|no replenishment"):
            ops.approve(stale)
    shop.set_stock("A", "S", 0)
    ops.replan()
    (fresh,) = [s for s in ops.replenisher.suggestions() if (s.product, s.size) == ("A", "S")]
    shop.set_stock("A", "S", 2)  # someone restocked by hand since
    with pytest.raises(StoreError, match="now has 2"):
        ops.approve(fresh.id)
    assert shop.stock("A")["S"] == 2


def test_a_longer_lead_time_raises_reorder_points(store):
    ledger, shop, ops = store
    sell_daily(shop, ops, 28)
    ops.replan()
    short = ops.plans[("A", "S")].reorder_point
    longer = Operations(ledger, dataclasses.replace(ops.settings, lead_time_days=10))
    longer.replan()
    assert longer.plans[("A", "S")].reorder_point > 2.5 * short


# --- prices ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("price, words", [(0, "above 0"), (-5, "above 0"), (60, "above its list price"),
                                         (21, "under its floor"), (float("nan"), "above 0")])
def test_a_price_that_breaks_a_guardrail_is_refused_and_stores_nothing(store, price, words):
    ledger, shop, ops = store
    with pytest.raises(PriceError, match=words):
        ops.pricing.set_price("A", price, PriceRule.MANUAL, START)
    with pytest.raises(PriceError, match="unknown product"):
        ops.pricing.set_price("NOPE", 40, PriceRule.MANUAL, START)
    with pytest.raises(PriceError, match="floor"):
        ops.pricing.markdown("A", 0.7, PriceRule.MANUAL, START)
    assert ops.pricing.changes() == [] and shop.price_for("S1", "A") == 50.0


def test_rules_mark_slow_movers_down_to_the_guardrail_and_never_a_product_without_cost(store):
    ledger, shop, ops = store
    seen = []
    for cycle in range(12):  # nothing sells for 12 windows of 14 days
        ledger.clock.now += 14 * DAY
        ledger.record("S0", "A", "view")  # the store is open
        seen += ops.replan().prices
    floor = max(20 * 1.1, 50 * 0.6)
    assert {c.rule for c in seen} == {PriceRule.SLOW_MOVER}
    assert ops.pricing.price("A") == pytest.approx(floor) and ops.pricing.price("C") == 50.0
    assert all(c.price >= floor - 1e-9 and c.price < c.old_price for c in seen)
    assert shop.cart("S0") == [] and shop.add_to_cart("S0", "A", "S")[0]["price"] == pytest.approx(floor)
    quiet = Operations(ledger, ops.settings.without_price_rules())
    ledger.clock.now += 30 * DAY
    assert quiet.replan().prices == []


# --- the experiment ----------------------------------------------------------------------------------
def test_arms_are_stable_balanced_and_control_pays_list(store):
    experiment = Experiment("pricing", 0.5)
    arms = [experiment.arm(f"shopper-{n}") for n in range(10_000)]
    assert arms == [Experiment("pricing", 0.5).arm(f"shopper-{n}") for n in range(10_000)]
    assert 0.48 < arms.count(Arm.TREATMENT) / len(arms) < 0.52
    assert Experiment("pricing", 0.5, active=False).arm("x") is None
    ledger, shop, ops = store
    ab = Operations(ledger, dataclasses.replace(ops.settings, experiment_active=True))
    shop.pricing = ab.pricing
    ab.pricing.set_price("A", 40, PriceRule.MANUAL, START)
    by_arm = {ab.experiment.arm(f"S{n}"): f"S{n}" for n in range(40)}
    assert shop.price_for(by_arm[Arm.CONTROL], "A") == 50 and shop.price_for(by_arm[Arm.TREATMENT], "A") == 40
    for arm, shopper in by_arm.items():
        shop.add_to_cart(shopper, "A", "M")
        assert shop.buy(shopper).total == (50 if arm is Arm.CONTROL else 40)
    rows = ledger.db.execute("SELECT arm, COUNT(*) FROM orders GROUP BY 1").fetchall()
    assert sorted(rows) == [("control", 1), ("treatment", 1)]
    report = ab_report(ledger, ab.experiment, opening_units=36)
    assert report["arms"]["control"]["revenue"] == 50 and report["arms"]["treatment"]["units"] == 1


def test_the_bootstrap_interval_covers_a_planted_lift():
    rng = np.random.default_rng(1)
    control = rng.exponential(100, 3000) * (rng.random(3000) < 0.3)
    treatment = 1.2 * rng.exponential(100, 3000) * (rng.random(3000) < 0.3)
    lift = revenue_lift(control, treatment)
    assert lift["ci95"][0] < 20 < lift["ci95"][1] and lift["ci95"][0] > 0
    assert lift == revenue_lift(control, treatment)  # seeded


# --- the operator's command -----------------------------------------------------------------------------
def test_fitroom_ops_reports_alerts_reorders_forecast_prices_and_draws_the_chart(tmp_path):
    from click.testing import CliRunner
    from PIL import Image

    from fitroom.cli import main

    catalog = Catalog.load()
    ledger = Ledger(tmp_path / "store.sqlite", catalog)
    clock = Clock()
    clock.now = __import__("time").time() - 28 * DAY
    ledger.clock = clock
    ops = Operations(ledger)
    shop = Shop(ledger, ops.pricing)
    for n in range(40):
        shop.register(f"S{n}", "x", {"stature": 170, "sex": "female"})
    shop.set_stock("P0001", "S", 40)
    sell_daily(shop, ops, 27, "P0001", "S")
    shop.set_stock("P0001", "S", 1)
    ledger.close()
    result = CliRunner().invoke(main, ["ops", "--data", str(tmp_path), "--json", "--top", "5"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {"alerts", "reorder", "forecast", "prices"} <= set(report)
    assert {"product": "P0001", "size": "S", "stock": 1} == {k: report["alerts"][0][k] for k in ("product", "size", "stock")}
    assert report["alerts"][0]["reorder_point"] > 1
    assert report["forecast"][0]["product"] == "P0001" and 0.6 < report["forecast"][0]["daily_demand"] < 1.4
    (line,) = [r for r in report["reorder"] if r["product"] == "P0001"]
    approved = CliRunner().invoke(main, ["ops", "--data", str(tmp_path), "--json", "--approve", str(line["id"])])
    assert approved.exit_code == 0 and Ledger(tmp_path / "store.sqlite", catalog).db.execute(
        "SELECT count FROM stock WHERE product_id = 'P0001' AND size = 'S'").fetchone()[0] == 1 + line["quantity"]
    again = CliRunner().invoke(main, ["ops", "--data", str(tmp_path), "--approve", str(line["id"])])
    assert again.exit_code == 2 and "no longer applies" in again.output
    chart = np.asarray(Image.open(tmp_path / "ops_stock.png").convert("RGB")).astype(int)
    assert chart.shape[1] > 1000 and (np.abs(chart - [192, 40, 45]).sum(axis=2) < 30).sum() > 50  # reorder lines drawn
    missing = CliRunner().invoke(main, ["ops", "--data", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no store database" in missing.output
