"""Shopper profiles, history and fit feedback in SQLite (a real file, WAL, migrations in the repo).

Every write is one transaction: a process killed mid-write leaves the file as it was before
that write or after it, never in between. Unknown shoppers or products and malformed feedback
raise `StoreError` naming the problem.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from store.catalog import Catalog, CatalogError
from store.experiments import Arm, Experiment

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
EVENT_KINDS = ("view", "tryon", "cart", "purchase", "return")
VERDICTS = ("small", "fit", "large")
PREFERENCES = ("snug", "regular", "loose")
WAL_HEADER_BYTES, WAL_FRAME_HEADER_BYTES = 32, 24
FORGOTTEN = "forgotten"  # the one shopper that keeps the orders of every shopper who asked to be forgotten


def _frames_of_current_log(wal: Path) -> int:
    """Frames in a WAL file that carry its header's salts, i.e. were written since the last reset.

    SQLite replays only the valid prefix of these (checksums chain from frame to frame); any beyond
    it are writes that recovery drops without a word. See https://www.sqlite.org/fileformat.html.
    """
    try:
        data = wal.read_bytes()
    except FileNotFoundError:
        return 0
    if len(data) < WAL_HEADER_BYTES:
        return 0
    frame = WAL_FRAME_HEADER_BYTES + int.from_bytes(data[8:12], "big")
    salts = data[16:24]
    return sum(data[at + 8:at + 16] == salts for at in range(WAL_HEADER_BYTES, len(data) - frame + 1, frame))


class StoreError(ValueError):
    """Bad input to the store: unknown shopper or product, or malformed feedback."""


class DamagedLedger(StoreError):
    """The file is not a usable store database (not SQLite, or its pages are damaged)."""


class Ledger:
    """The shop's SQLite file: shoppers, their events and fit feedback, designers' garments."""

    def __init__(self, path: str | Path, catalog: Catalog | None = None):
        self.path = Path(path)
        self.catalog = catalog or Catalog.load()
        #: unix seconds of every write (a simulation or a test may run its own clock)
        self.clock: Callable[[], float] = time.time
        #: the experiment whose arm is written on every event and order (None: no experiment running)
        self.experiment: Experiment | None = None
        try:
            self._open()
        except sqlite3.OperationalError as exc:  # unable to open, read-only folder, locked
            raise StoreError(f"cannot open {self.path} ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            raise DamagedLedger(f"{self.path} is not a usable store database ({exc})") from exc

    def _open(self) -> None:
        wal = self.path.with_name(self.path.name + "-wal")
        written = _frames_of_current_log(wal)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        kept = self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1] if written else 0
        #: frames of the write-ahead log that SQLite's recovery could not replay (a damaged log): lost writes
        self.wal_frames_lost = max(0, written - kept)
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        """Apply the migrations this file has not seen yet, each in its own transaction."""
        done = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(sorted(MIGRATIONS.glob("*.sql")), start=1):
            if number > done:
                self.db.executescript(f"BEGIN; {script.read_text()}; PRAGMA user_version = {number}; COMMIT;")

    def integrity_problems(self) -> list[str]:
        """What SQLite's quick check finds wrong with the file (empty when it is sound)."""
        rows = [row[0] for row in self.db.execute("PRAGMA quick_check").fetchall()]
        return [] if rows == ["ok"] else rows

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One `BEGIN IMMEDIATE` transaction: every write inside lands together or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def has_shopper(self, shopper_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM shoppers WHERE id = ?", (shopper_id,)).fetchone() is not None

    def shopper_ids(self) -> list[str]:
        return [row[0] for row in self.db.execute("SELECT id FROM shoppers ORDER BY id")]

    def interactions(self) -> list[tuple[str, str, str]]:
        """Every event as (shopper, product, kind), oldest first: what the recommender learns from."""
        return self.db.execute("SELECT shopper_id, product_id, kind FROM events ORDER BY id").fetchall()

    def forget_interactions(self, pairs: dict[str, str]) -> None:
        """Delete every event of each (shopper, product) pair: an evaluation's held-out items."""
        with self.transaction():
            self.db.executemany("DELETE FROM events WHERE shopper_id = ? AND product_id = ?", list(pairs.items()))

    def activity_mark(self) -> tuple[int | None, int | None]:
        """The newest event's and fit note's ids: when they change, shoppers did something."""
        return self.db.execute("SELECT (SELECT MAX(id) FROM events), (SELECT MAX(id) FROM fit_feedback)").fetchone()

    def add_shopper(self, shopper_id: str, measurements: dict, fit_preference: str = "regular") -> None:
        if fit_preference not in PREFERENCES:
            raise StoreError(f"fit preference {fit_preference!r} is not one of {PREFERENCES}")
        if not shopper_id or not isinstance(measurements, dict):
            raise StoreError("a shopper needs an id and a measurements object")
        try:
            self.db.execute("INSERT INTO shoppers VALUES (?, ?, ?, ?)",
                            (shopper_id, json.dumps(measurements), fit_preference, self.clock()))
        except sqlite3.IntegrityError:
            raise StoreError(f"shopper {shopper_id!r} exists already") from None

    def shopper(self, shopper_id: str) -> dict:
        row = self.db.execute("SELECT measurements, fit_preference FROM shoppers WHERE id = ?", (shopper_id,)).fetchone()
        if row is None:
            raise StoreError(f"unknown shopper {shopper_id!r}")
        return {"id": shopper_id, "measurements": json.loads(row[0]), "fit_preference": row[1]}

    def _check(self, shopper_id: str, product_id: str, size: str | None) -> None:
        self.shopper(shopper_id)
        try:
            self.catalog.get(product_id) if size is None else self.catalog.check_size(product_id, size)
        except CatalogError as exc:
            raise StoreError(str(exc)) from None

    def record(self, shopper_id: str, product_id: str, kind: str, size: str | None = None) -> None:
        if kind not in EVENT_KINDS:
            raise StoreError(f"event kind {kind!r} is not one of {EVENT_KINDS}")
        self._check(shopper_id, product_id, size)
        self.db.execute("INSERT INTO events (shopper_id, product_id, kind, size, at, arm) VALUES (?, ?, ?, ?, ?, ?)",
                        (shopper_id, product_id, kind, size, self.clock(), self.arm(shopper_id)))

    def arm(self, shopper_id: str) -> Arm | None:
        return self.experiment.arm(shopper_id) if self.experiment else None

    def feedback(self, shopper_id: str, product_id: str, size: str, verdict: str, region: str | None = None) -> None:
        if verdict not in VERDICTS:
            raise StoreError(f"fit feedback {verdict!r} is not one of {VERDICTS}")
        self._check(shopper_id, product_id, size)
        self.db.execute("INSERT INTO fit_feedback (shopper_id, product_id, size, verdict, region, at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (shopper_id, product_id, size, verdict, region, self.clock()))

    def history(self, shopper_id: str) -> list[dict]:
        self.shopper(shopper_id)
        rows = self.db.execute("SELECT product_id, kind, size, at FROM events WHERE shopper_id = ? ORDER BY id",
                               (shopper_id,)).fetchall()
        return [{"product": p, "kind": k, "size": s, "at": a} for p, k, s, a in rows]

    def update_measurements(self, shopper_id: str, measurements: dict) -> None:
        """The shopper's body, as they corrected it (checked by the caller, as at join)."""
        self.shopper(shopper_id)
        self.db.execute("UPDATE shoppers SET measurements = ? WHERE id = ?", (json.dumps(measurements), shopper_id))

    def forget(self, shopper_id: str) -> dict[str, int]:
        """Delete what the store knows of a shopper (their events, fit feedback, cart, secret and body);
        their orders stay for the books, anonymised under `FORGOTTEN`. What went, by kind."""
        self.shopper(shopper_id)
        if shopper_id == FORGOTTEN:
            raise StoreError("the anonymous holder of forgotten shoppers' orders cannot be forgotten")
        with self.transaction():
            self.db.execute("INSERT OR IGNORE INTO shoppers VALUES (?, '{}', 'regular', 0)", (FORGOTTEN,))
            gone = {table: self.db.execute(f"DELETE FROM {table} WHERE shopper_id = ?", (shopper_id,)).rowcount
                    for table in ("events", "fit_feedback", "cart_lines", "shopper_secrets")}
            gone["orders_anonymised"] = self.db.execute("UPDATE orders SET shopper_id = ? WHERE shopper_id = ?",
                                                        (FORGOTTEN, shopper_id)).rowcount
            self.db.execute("DELETE FROM shoppers WHERE id = ?", (shopper_id,))
        return gone

    def feedback_rows(self) -> list[tuple]:
        return self.db.execute("SELECT shopper_id, product_id, size, verdict, region FROM fit_feedback ORDER BY id").fetchall()

    def add_garment(self, garment_id: str, record: dict) -> None:
        """Remember a designer's checked upload (`file`, `name`, `category`, `size`, `fabric`, `url`, counts)."""
        self.db.execute("INSERT OR REPLACE INTO uploaded_garments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (garment_id, record["file"], record["name"], record["category"], record["size"],
                         record["fabric"], record["url"], record["vertices"], record["faces"], self.clock()))

    def garments(self) -> dict[str, dict]:
        """Every uploaded garment by id, oldest first."""
        rows = self.db.execute("SELECT id, file, name, category, size, fabric, url, vertices, faces FROM uploaded_garments "
                               "ORDER BY at").fetchall()
        keys = ("file", "name", "category", "size", "fabric", "url", "vertices", "faces")
        return {row[0]: dict(zip(keys, row[1:])) for row in rows}
