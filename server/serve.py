"""Assemble and run a store: catalogue, layout, SQLite file, recommender, core and I/O (`fitroom serve`)."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from pathlib import Path

from recommender.recommender import Recommender
from server.app import StoreServer
from server.core import StoreCore
from server.errors import ServeError
from server.limits import AddressBudgets, AddressLimits
from server.redis_fanout import RedisFanout, check_redis
from store.catalog import Catalog
from store.experiments import Subject
from store.layout import DEFAULT_LAYOUT, StoreLayout
from store.ledger import DamagedLedger, Ledger, StoreError
from store.operations import Operations
from store.settings import DEFAULT_SETTINGS, OpsSettings
from store.shop import Shop


def build_server(data_dir: Path, *, designer_token: str | None = None, layout_path: Path = DEFAULT_LAYOUT,
                 tick_hz: float = 20.0, workers: int = 1, naive: bool = False,
                 trusted: frozenset[str] = frozenset(), operator_token: str | None = None,
                 ops_settings: Path = DEFAULT_SETTINGS) -> StoreServer:
    """A store server whose persisted state (SQLite, try-on files) lives in `data_dir`."""
    path = data_dir / "store.sqlite"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        catalog = Catalog.load()
        store = Ledger(path, catalog)
        problems = store.integrity_problems()
    except DamagedLedger as exc:
        raise ServeError(f"{exc}: restore a backup, or move it aside to open an empty store") from exc
    except (OSError, StoreError) as exc:
        raise ServeError(f"cannot open the store in {data_dir} ({exc}): give a --data folder this user may write") from exc
    if problems:
        raise ServeError(f"{path} failed SQLite's integrity check ({'; '.join(problems[:3])}): restore a backup")
    if store.wal_frames_lost:
        logging.getLogger("fitroom.server").warning(
            "%s: SQLite could not replay %d frames of its write-ahead log (it was damaged): the last writes before "
            "the server stopped (orders, carts, stock) are lost; restore a backup if they matter", path,
            store.wal_frames_lost)
    try:
        operations = Operations(store, OpsSettings.load(ops_settings))
    except StoreError as exc:
        raise ServeError(str(exc)) from exc
    shop = Shop(store, operations.pricing)
    settings = operations.settings
    try:
        recommender = (Recommender(store, catalog, experiment=operations.experiment, arm_models=settings.recommender_arms)
                       if operations.experiment.active and operations.experiment.subject is Subject.RECOMMENDER
                       else Recommender(store, catalog))
    except ValueError as exc:
        raise ServeError(f"{ops_settings}: experiment.recommender_arms: {exc}") from exc
    core = StoreCore(StoreLayout.load(catalog, layout_path), shop, recommender,
                     designer_token=designer_token, operations=operations, operator_token=operator_token,
                     tick_hz=tick_hz, naive=naive, budgets=AddressBudgets(AddressLimits(trusted=trusted)))
    core.load_garments()
    return StoreServer(core, data_dir / "files", workers=workers)


def run(host: str, port: int, data_dir: Path, *, redis_url: str | None = None, designer_token: str | None = None,
        tick_hz: float = 20.0, workers: int = 1, naive: bool = False, bots: int = 0,
        trusted: frozenset[str] = frozenset(), operator_token: str | None = None,
        ops_settings: Path = DEFAULT_SETTINGS) -> None:
    """Open the store and serve until interrupted; ServeError says why it could not open."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("websockets").setLevel(logging.WARNING)
    token = designer_token or secrets.token_urlsafe(12)
    operator = operator_token or secrets.token_urlsafe(12)
    server = build_server(data_dir, designer_token=token, tick_hz=tick_hz, workers=workers, naive=naive, trusted=trusted,
                          operator_token=operator, ops_settings=ops_settings)
    if redis_url:
        check_redis(redis_url)
        server.fanout = RedisFanout(redis_url, server)
    if designer_token is None:
        logging.getLogger("fitroom.server").info("designer token for this run: %s", token)
    if operator_token is None:
        logging.getLogger("fitroom.server").info("operator token for this run: %s (dashboard: /ops?token=...)", operator)
    gc.freeze()  # what was built to open the store lives as long as it: gen-2 collections need not walk it
    try:
        asyncio.run(server.run(host, port, bots=bots))
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
