"""Catalogue validation and the SQLite shopper store: clear errors, and nothing lost on a kill."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from store.catalog import Catalog, CatalogError
from store.ledger import MIGRATIONS, Ledger, StoreError


def test_default_catalogue_is_large_and_valid():
    catalog = Catalog.load()
    assert len(catalog) >= 200
    categories = {p.category for p in catalog.products.values()}
    assert categories == {"tee", "longsleeve", "jacket", "dress", "trousers", "skirt"}
    assert any(stock == 0 for p in catalog.products.values() for stock in p.sizes.values())  # sold-out sizes exist


def test_catalogue_errors_name_the_problem(tmp_path):
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps({"products": [{"id": "X1", "name": "n", "category": "cape"}]}))
    with pytest.raises(CatalogError, match="lacks"):
        Catalog.load(bad)
    with pytest.raises(CatalogError, match="unknown product 'NOPE'"):
        Catalog.load().get("NOPE")
    with pytest.raises(CatalogError, match="no size 'XXXL'"):
        Catalog.load().check_size("P0001", "XXXL")
    row = {"id": "X2", "name": "n", "category": "tee", "gender": "women", "colours": ["red"], "pattern": "paisley",
           "style": "casual", "season": "all", "price": 20, "sizes": {"M": 1}}
    with pytest.raises(CatalogError, match="pattern 'paisley' is not one of"):  # the pictures and try-ons print it
        Catalog.from_dicts([row])


def test_store_round_trip_and_errors(tmp_path):
    store = Ledger(tmp_path / "shop.sqlite")
    assert store.schema_version == len(list(MIGRATIONS.glob("*.sql"))) == 4
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.add_shopper("ana", {"stature": 165, "sex": "female"}, "snug")
    store.record("ana", "P0001", "view")
    store.record("ana", "P0001", "tryon", "M")
    store.feedback("ana", "P0001", "M", "small", region="chest")
    assert [e["kind"] for e in store.history("ana")] == ["view", "tryon"]
    assert store.feedback_rows() == [("ana", "P0001", "M", "small", "chest")]
    for call, words in [
        (lambda: store.history("bob"), "unknown shopper 'bob'"),
        (lambda: store.record("ana", "NOPE", "view"), "unknown product 'NOPE'"),
        (lambda: store.record("ana", "P0001", "steal"), "event kind"),
        (lambda: store.feedback("ana", "P0001", "M", "tiny"), "fit feedback 'tiny'"),
        (lambda: store.feedback("ana", "P0001", "XXXL", "fit"), "no size 'XXXL'"),
        (lambda: store.add_shopper("ana", {}), "exists already"),
        (lambda: store.add_shopper("cy", {}, "baggy"), "fit preference"),
    ]:
        with pytest.raises(StoreError, match=words):
            call()
    store.close()
    reopened = Ledger(tmp_path / "shop.sqlite")  # migrations are not run twice
    assert reopened.schema_version == 4 and len(reopened.history("ana")) == 2


WRITER = """
import sys
from store.ledger import Ledger
store = Ledger(sys.argv[1])
store.add_shopper("w", {"stature": 170})
n = 0
while True:
    store.feedback("w", "P0002", "M", ("small", "fit", "large")[n % 3])
    n += 1
    print(n, flush=True)
"""


def test_feedback_survives_a_kill_mid_write(tmp_path):
    path = tmp_path / "shop.sqlite"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    acknowledged = 0
    deadline = time.time() + 60
    while acknowledged < 300 and time.time() < deadline:
        acknowledged = int(writer.stdout.readline())
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    for line in writer.stdout.read().split():  # acknowledgements still in the pipe
        acknowledged = int(line)
    assert acknowledged >= 300
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    rows = Ledger(path).feedback_rows()
    assert acknowledged <= len(rows) <= acknowledged + 1  # every acknowledged write is there, whole
    assert {r[3] for r in rows} == {"small", "fit", "large"}


def test_a_damaged_write_ahead_log_is_reported_not_silently_dropped(tmp_path):
    import shutil

    store = Ledger(tmp_path / "shop.sqlite")
    store.add_shopper("ana", {"stature": 165})
    for n in range(30):
        store.record("ana", "P0001", "view")
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for suffix in ("", "-wal"):  # what a SIGKILL leaves: the file and its log, not checkpointed
        shutil.copy(tmp_path / f"shop.sqlite{suffix}", crashed / f"shop.sqlite{suffix}")
    intact = Ledger(crashed / "shop.sqlite")
    assert intact.wal_frames_lost == 0 and len(intact.history("ana")) == 30
    intact.db.close()
    for suffix in ("", "-wal"):
        shutil.copy(tmp_path / f"shop.sqlite{suffix}", crashed / f"shop.sqlite{suffix}")
    wal = bytearray((crashed / "shop.sqlite-wal").read_bytes())
    page = int.from_bytes(wal[8:12], "big")
    wal[32 + 24 + page + 24 + 100] ^= 0xFF  # one byte of the second frame's page
    (crashed / "shop.sqlite-wal").write_bytes(bytes(wal))
    damaged = Ledger(crashed / "shop.sqlite")
    assert damaged.wal_frames_lost > 0
    store.close()


def test_a_database_from_before_operations_is_carried_forward(tmp_path):
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path, isolation_level=None)
    for number, script in enumerate(sorted(MIGRATIONS.glob("*.sql"))[:3], start=1):
        old.executescript(f"BEGIN; {script.read_text()}; PRAGMA user_version = {number}; COMMIT;")
    old.execute("INSERT INTO shoppers VALUES ('old', '{}', 'regular', 1)")
    old.execute("INSERT INTO orders (shopper_id, total, at) VALUES ('old', 19.5, 2)")
    old.close()
    store = Ledger(path)
    assert store.schema_version == 4
    assert store.db.execute("SELECT shopper_id, total, arm FROM orders").fetchall() == [("old", 19.5, None)]
    assert store.db.execute("SELECT COUNT(*) FROM stock_alerts").fetchone()[0] == 0
