"""The in-process recommender: sizes in stock, filters honoured, reasons given, outfits that match."""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import FITROOM, ROOT

from recommender.recommender import Recommender
from store.catalog import Catalog, CatalogError
from store.experiments import Arm, Experiment, Subject
from store.ledger import Ledger, StoreError


@pytest.fixture()
def shop(tmp_path):
    catalog = Catalog.load()
    store = Ledger(tmp_path / "shop.sqlite", catalog)
    store.add_shopper("ana", {"stature": 165, "chest": 92, "waist": 74, "hip": 100, "sex": "female"})
    store.add_shopper("bo", {"stature": 182, "chest": 104, "sex": "male"})
    women = [p.id for p in catalog.products.values() if p.gender == "women"]
    for pid in women[:4]:
        store.record("ana", pid, "view")
    store.record("bo", women[0], "view")
    store.record("bo", women[5], "purchase")
    return store, catalog


def test_recommendations_have_an_in_stock_size_and_a_reason(shop):
    store, catalog = shop
    engine = Recommender(store)
    recs = engine.recommend("ana", 10)
    assert len(recs) == 10
    seen = {e["product"] for e in store.history("ana")}
    for r in recs:
        product = catalog.get(r.product_id)
        assert product.gender == "women" and r.product_id not in seen
        assert r.size is not None and product.sizes[r.size] > 0
        assert r.reason and "cm to spare" in r.reason and "at the" in r.reason


def test_filters_by_category_and_price(shop):
    store, catalog = shop
    recs = Recommender(store).recommend("ana", 5, category="skirt", price_range=(0.0, 60.0))
    assert recs and all(catalog.get(r.product_id).category == "skirt" for r in recs)
    assert all(catalog.get(r.product_id).price <= 60.0 for r in recs)


def test_never_a_sold_out_size(shop):
    store, catalog = shop
    engine = Recommender(store)
    product = next(p for p in catalog.products.values() if p.category == "tee" and p.gender == "women")
    best = engine.size_for("ana", product.id).size
    emptied = {**product.sizes, best: 0}
    rows = [dict(id=p.id, name=p.name, category=p.category, gender=p.gender, colours=list(p.colours),
                 pattern=p.pattern, style=p.style, season=p.season, price=p.price,
                 sizes=emptied if p.id == product.id else p.sizes) for p in catalog.products.values()]
    store.catalog = Catalog.from_dicts(rows)
    other = Recommender(store).size_for("ana", product.id)
    assert other.size != best and (other.size is None or store.catalog.get(product.id).sizes[other.size] > 0)


def test_bigger_shopper_gets_a_bigger_size(shop):
    store, catalog = shop
    store.add_shopper("cy", {"stature": 165, "chest": 112, "waist": 94, "hip": 116, "sex": "female"})
    engine = Recommender(store)
    labels = ["XS", "S", "M", "L", "XL", "XXL"]
    product = next(p for p in catalog.products.values() if p.category == "tee" and p.gender == "women"
                   and all(n > 0 for n in p.sizes.values()))
    assert labels.index(engine.size_for("cy", product.id).size) > labels.index(engine.size_for("ana", product.id).size)


def test_outfit_completes_the_look(shop):
    store, catalog = shop
    tee = next(p for p in catalog.products.values() if p.category == "tee" and p.gender == "women")
    outfit = Recommender(store).outfit(tee.id, 5, "ana")
    assert outfit and all(catalog.get(r.product_id).category in ("trousers", "skirt", "jacket") for r in outfit)
    assert all(r.reason.startswith(catalog.get(r.product_id).category) for r in outfit)


def test_unknown_ids_are_named(shop):
    store, _ = shop
    engine = Recommender(store)
    with pytest.raises(StoreError, match="unknown shopper 'zed'"):
        engine.recommend("zed")
    with pytest.raises(CatalogError, match="unknown product 'P9999'"):
        engine.size_for("ana", "P9999")


def test_cli_recommend(tmp_path):
    profile = tmp_path / "ana.json"
    profile.write_text(json.dumps({"id": "ana", "measurements": {"stature": 165, "chest": 92, "sex": "female"},
                                   "history": [{"product": "P0001", "kind": "view"}],
                                   "feedback": [{"product": "P0001", "size": "M", "verdict": "small"}]}))
    done = subprocess.run([str(FITROOM), "recommend", "--profile", str(profile), "--for", "P0001", "--k", "3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert len(answer["recommendations"]) == 3 and answer["size"]["size"] in ("XS", "S", "M", "L", "XL", "XXL")
    assert "outfit" in answer
    profile.write_text(json.dumps({"id": "ana", "measurements": {"stature": 165}, "history": [{"product": "NOPE", "kind": "view"}]}))
    bad = subprocess.run([str(FITROOM), "recommend", "--profile", str(profile)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode != 0 and "unknown product 'NOPE'" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_each_arm_of_a_recommender_experiment_is_served_by_its_own_model(shop):
    store, catalog = shop
    experiment = Experiment("recommender", subject=Subject.RECOMMENDER)
    engine = Recommender(store, experiment=experiment, arm_models=("popularity", "item-knn"))
    alone = {name: Recommender(store, model=name) for name in ("popularity", "item-knn")}
    for shopper in ("ana", "bo"):
        model = engine.arm_models[list(Arm).index(experiment.arm(shopper))]
        assert (engine.scores(shopper)[0] == alone[model].scores(shopper)[0]).all(), (shopper, model)
    assert {experiment.arm("ana"), experiment.arm("bo")} == set(Arm)  # the two shoppers test both arms
    with pytest.raises(ValueError, match="unknown recommender model 'svd'"):
        Recommender(store, experiment=experiment, arm_models=("svd", "ease"))


def test_retrained_in_a_thread_answers_like_train_and_through_the_callers_store(shop):
    import threading

    store, _ = shop
    engine = Recommender(store)
    store.record("ana", "P0003", "purchase")
    engine.train()
    box = []
    thread = threading.Thread(target=lambda: box.append(engine.retrained()))
    thread.start()
    thread.join()
    fresh = box[0]
    assert fresh.store is store and fresh is not engine
    assert [r.as_dict() for r in fresh.recommend("ana", 8)] == [r.as_dict() for r in engine.recommend("ana", 8)]
