"""Personas from planted tastes, segments that split them, the guide ranking and speaking by them,
and `forget_me` deleting a shopper's data while their orders stay, anonymised."""

from __future__ import annotations

import json

import pytest
from test_store_core import core, join, texts  # noqa: F401  (the sans-I/O core)

from recommender.guide import Guide
from recommender.recommender import Recommender
from server.core import Close
from store.catalog import Catalog
from store.ledger import FORGOTTEN, Ledger


def planted(catalog: Catalog, gender: str, category: str, colour: str, style: str, cheap: bool) -> list[str]:
    """A favourite (the colour and style, cheap or dear) first, then two more of the style at that price."""
    products = [p for p in catalog.products.values() if p.gender == gender and p.category == category]
    median = sorted(p.price for p in products)[len(products) // 2]
    priced = [p for p in products if p.style == style and (p.price < median if cheap else p.price >= median)]
    favourite = next(p for p in priced if p.colours[0] == colour)
    return [favourite.id] + [p.id for p in priced if p.colours[0] != colour][:2]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    catalog = Catalog.load()
    ledger = Ledger(tmp_path_factory.mktemp("persona") / "shop.sqlite", catalog)
    thrifty = planted(catalog, "men", "longsleeve", "navy", "casual", cheap=True)
    lavish = planted(catalog, "women", "dress", "burgundy", "formal", cheap=False)
    for n in range(10):
        for name, sex, liked in ((f"thrifty{n}", "male", thrifty), (f"lavish{n}", "female", lavish)):
            ledger.add_shopper(name, {"stature": 175, "sex": sex})
            for product in liked:
                ledger.record(name, product, "view")
            ledger.record(name, liked[0], "purchase", next(iter(catalog.get(liked[0]).sizes)))
    return ledger, Recommender(ledger, catalog)


def test_personas_read_the_planted_tastes(store):
    _, recommender = store
    thrifty, lavish = recommender.persona("thrifty0"), recommender.persona("lavish0")
    assert thrifty.events >= 3 and next(iter(thrifty.categories)) == "longsleeve" and thrifty.top("styles") == "casual"
    assert next(iter(lavish.categories)) == "dress" and lavish.top("styles") == "formal"
    assert thrifty.price_index < 1.0 < lavish.price_index
    assert thrifty.price_sensitivity > 0.5 > lavish.price_sensitivity
    assert recommender.persona("nobody").events == 0 and recommender.persona("nobody").segment == "new"


def test_segments_split_the_two_tastes_the_same_way_every_training(store):
    ledger, recommender = store
    segments = {name: recommender.persona(name).segment for name in recommender.personas}
    assert len({segments[f"thrifty{n}"] for n in range(10)}) == 1 and len({segments[f"lavish{n}"] for n in range(10)}) == 1
    assert segments["thrifty0"] != segments["lavish0"]
    assert "longsleeve" in segments["thrifty0"] and "formal dress" in segments["lavish0"]
    again = Recommender(ledger, ledger.catalog)
    assert {name: again.persona(name).segment for name in again.personas} == segments


def test_the_guide_ranks_by_the_persona_and_says_so(store):
    _, recommender = store
    answer = Guide(recommender).ask("a shirt", "thrifty0", 5)
    first = recommender.catalog.get(answer.items[0].product)
    assert first.style == "casual" and first.colours[0] == "navy"
    assert "you often pick navy casual shirts" in answer.items[0].reason
    zh = Guide(recommender).ask("衬衫", "thrifty0", 5)
    assert "你常选藏青休闲的衬衫" in zh.items[0].reason


def test_forget_me_deletes_the_shoppers_data_and_keeps_orders_anonymised(core):  # noqa: F811
    client, snap = join(core, measurements={"stature": 170, "sex": "female", "chest": 92})
    me, secret = snap["you"]["shopper_id"], snap["you"]["secret"]
    for message in ({"type": "pick", "product": "P0001"}, {"type": "cart_add", "product": "P0001", "size": "S"},
                    {"type": "buy"}, {"type": "feedback", "product": "P0001", "size": "S", "verdict": "fit"},
                    {"type": "cart_add", "product": "P0003", "size": "S"}):
        assert not [m for m in texts(core.receive(client, json.dumps(message)), client) if m["type"] == "error"], message
    persona = texts(core.receive(client, json.dumps({"type": "persona"})), client)[0]
    assert persona["type"] == "persona" and persona["persona"]["shopper"] == me
    actions = core.receive(client, json.dumps({"type": "forget_me"}))
    forgotten = texts(actions, client)[-1]
    assert forgotten["type"] == "forgotten" and forgotten["deleted"]["events"] >= 3
    assert forgotten["deleted"]["orders_anonymised"] == 1 and forgotten["deleted"]["fit_feedback"] == 1
    assert any(isinstance(a, Close) and a.code == 1000 for a in actions) and me not in core.shoppers
    db = core.shop.store.db
    for table, column in (("events", "shopper_id"), ("fit_feedback", "shopper_id"), ("cart_lines", "shopper_id"),
                          ("shopper_secrets", "shopper_id"), ("shoppers", "id"), ("orders", "shopper_id")):
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (me,)).fetchone()[0] == 0, table
    assert db.execute("SELECT COUNT(*) FROM orders WHERE shopper_id = ?", (FORGOTTEN,)).fetchone()[0] == 1
    assert core.recommender.persona(me).events == 0
    back = core.connect()
    answer = texts(core.receive(back, json.dumps({"type": "join", "shopper_id": me, "secret": secret})), back)[0]
    assert answer["type"] == "error" and answer["code"] == "rejected"
