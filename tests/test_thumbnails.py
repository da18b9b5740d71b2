"""Catalogue pictures: prints laid on the flat panels, the sewn garment drawn alone, a cache keyed by what
the picture shows, and the server's /thumbnails/<product>.png."""

from __future__ import annotations

import fcntl

import cv2
import numpy as np
import pytest
from websockets.datastructures import Headers
from websockets.http11 import Request

from engine.render.thumbnail import (
    BAND_CM,
    DOT_RADIUS_CM,
    PERIOD_CM,
    Print,
    printed_colours,
)
from server import thumbnails
from store.catalog import Catalog, Product

MAIN, ACCENT = np.array([0.75, 0.16, 0.18]), np.array([0.95, 0.95, 0.93])


@pytest.mark.parametrize("print_, share", [(Print.SOLID, 0.0), (Print.STRIPE, BAND_CM / PERIOD_CM),
                                           (Print.DOTS, np.pi * DOT_RADIUS_CM**2 / PERIOD_CM**2)])
def test_prints_cover_their_share_of_the_cloth(print_, share):
    grid = np.stack(np.meshgrid(np.linspace(0, 40, 401), np.linspace(0, 60, 601)), axis=-1).reshape(-1, 2)
    colours = printed_colours(grid, print_, MAIN, ACCENT)
    accent = np.linalg.norm(colours - ACCENT, axis=1) < 1e-9
    assert accent.mean() == pytest.approx(share, abs=0.01)
    assert np.all((np.linalg.norm(colours - MAIN, axis=1) < 1e-9) | accent)


def test_checks_cross_stronger_where_lines_meet():
    colours = printed_colours(np.array([[0.5, 0.5], [0.5, 2.5], [2.5, 2.5]]), Print.CHECK, MAIN, ACCENT)
    away = np.linalg.norm(colours - MAIN, axis=1)
    assert away[0] > away[1] > away[2] == 0.0


def product(id_: str, colours: tuple[str, ...], pattern: str) -> Product:
    return Product(id_, f"Test {id_}", "skirt", "women", colours, pattern, "casual", "all", 40.0, {"M": 3})


def test_pictures_are_drawn_once_and_show_the_print(tmp_path):
    striped, plain = product("T1", ("red", "white"), "stripe"), product("T2", ("red",), "solid")
    assert thumbnails.file_name(striped) != thumbnails.file_name(plain)
    assert thumbnails.make_thumbnails([striped, plain], tmp_path) == 2
    assert thumbnails.make_thumbnails([striped, plain], tmp_path) == 0  # cached: nothing to draw
    pictures = {p.id: cv2.imread(str(tmp_path / thumbnails.file_name(p)))[..., ::-1] for p in (striped, plain)}
    for picture in pictures.values():
        assert picture.shape == (240, 192, 3)
        assert (picture[:4, :4] > 250).all() and (picture[-4:, -4:] > 250).all()  # white around the garment
        cloth = picture[(picture < 245).any(axis=2)]
        assert len(cloth) > 0.15 * 240 * 192  # the garment fills the frame
        assert (cloth[:, 0].astype(int) - cloth[:, 1] > 40).mean() > 0.5  # red cloth, shaded
    whitish = lambda p: (p.min(axis=2) > 170).sum()  # noqa: E731  light pixels inside the garment's frame
    assert whitish(pictures["T1"]) > whitish(pictures["T2"]) + 1000  # the stripes show


def test_a_second_painter_finds_the_lock_held_and_leaves(tmp_path):
    with open(tmp_path / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert thumbnails.make_thumbnails([product("T3", ("navy",), "solid")], tmp_path) == 0
    assert not list(tmp_path.glob("*.png"))


def test_the_server_serves_a_products_picture_and_404s_the_rest(tmp_path):
    from server.serve import build_server

    server = build_server(tmp_path / "data")
    server.thumbnails_dir = tmp_path / "pictures"
    first = next(iter(Catalog.load().products.values()))
    get = lambda path: server._route(None, Request(path, Headers()))  # noqa: E731
    assert get(f"/thumbnails/{first.id}.png").status_code == 404  # not drawn yet
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / thumbnails.file_name(first)).write_bytes(b"\x89PNG picture")
    response = get(f"/thumbnails/{first.id}.png")
    assert response.status_code == 200 and response.body == b"\x89PNG picture"
    assert response.headers["Content-Type"] == "image/png"
    assert get("/thumbnails/NOPE.png").status_code == 404
    assert get("/thumbnails/../store.sqlite.png").status_code == 404


def test_the_picture_process_runs_only_on_a_cpu_nothing_else_wants():
    """SCHED_IDLE, not only nice 19: at nice 19 the painter still took a third of a core from a store under load."""
    import subprocess
    import sys

    probe = ("import os; from server.thumbnails import init_painter; init_painter(os.getppid()); "
             "print(os.sched_getscheduler(0) == os.SCHED_IDLE, os.getpriority(os.PRIO_PROCESS, 0))")
    idle, nice = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert (idle, nice) == ("True", "19")
