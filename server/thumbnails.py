"""Catalogue pictures: each product's garment sewn from its pattern on a typical body of its cut and
printed in its colours, shown on the shop's cards.

Made once per machine into a cache keyed by what the picture shows (so every store on the machine,
and every restart, shares them), by one low-priority process the server starts when some are
missing: a shopper's try-on keeps the CPU. Until a picture exists its URL answers 404 and the card
shows none.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import time
from pathlib import Path

from store.catalog import Product

log = logging.getLogger("fitroom.thumbnails")
VERSION = 4  # bump when the pictures change (2: bands sewn folded; 3: side seams square to the waist;
#                4: trouser hems on the floor, the typical bodies at the population's heights)
SIZE = "M"
TYPICAL_BODY = {"women": {"sex": "female", "stature": 168.0}, "men": {"sex": "male", "stature": 178.0}}


def cache_dir() -> Path:
    """`$FITROOM_CACHE/thumbnails`, else `~/.cache/fitroom/thumbnails` (`$XDG_CACHE_HOME` honoured)."""
    root = os.environ.get("FITROOM_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fitroom"
    return Path(root) / "thumbnails"


def file_name(product: Product) -> str:
    """The picture's file: a hash of everything it shows, so an edited product gets a new one."""
    shown = [VERSION, product.category, product.gender, product.hex, product.accent_hex, product.pattern]
    return hashlib.sha1(json.dumps(shown).encode()).hexdigest()[:20] + ".png"


def missing(products: list[Product], folder: Path) -> list[Product]:
    return [p for p in products if not (folder / file_name(p)).is_file()]


def make_thumbnails(products: list[Product], folder: Path) -> int:
    """Draw the missing pictures, one garment sewing per cut and category, in the products' order; returns
    how many were made. One process at a time per folder (a lock file); another finds the lock held and
    returns 0 at once."""
    from avatars import Avatar
    from engine.patterns import draft
    from engine.patterns.sew import sew
    from engine.render import save_png
    from engine.render.thumbnail import Print, garment_thumbnail, hex_rgb

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0
        todo = missing(products, folder)
        groups: dict[tuple[str, str], list[Product]] = {}
        for product in todo:
            groups.setdefault((product.category, product.gender), []).append(product)
        log.info("catalogue pictures: %d to draw (%d garments to sew)", len(todo), len(groups))
        started, made = time.perf_counter(), 0
        for (category, gender), group in groups.items():
            sewn = sew(draft(category, gender, SIZE), Avatar.from_measurements(TYPICAL_BODY[gender]))
            for product in group:
                target = folder / file_name(product)
                partial = target.with_suffix(".partial.png")
                picture = garment_thumbnail(sewn, hex_rgb(product.hex), hex_rgb(product.accent_hex), Print(product.pattern))
                save_png(picture, partial)
                partial.replace(target)  # whole or not at all: the server may be serving the folder
                made += 1
            log.info("catalogue pictures: %d of %d drawn (%.0f s)", made, len(todo), time.perf_counter() - started)
        return made


def init_painter(server_pid: int) -> None:
    """The picture process: lowest CPU priority, one compute thread (set before torch loads: this module
    imports the engine only when it draws), gone with the server."""
    from server.worker import WORKER_THREAD_ENV, die_with_parent

    os.nice(19)  # where SCHED_IDLE is refused, at least this
    with contextlib.suppress(AttributeError, OSError):  # runs only on a CPU nothing else wants (nice 19 still took
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # ~1/3 of a core from a busy store)
    os.environ.update(WORKER_THREAD_ENV)
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
    die_with_parent(server_pid)
