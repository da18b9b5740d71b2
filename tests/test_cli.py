"""`fitroom avatar`: files written as promised, a help that explains measurements, one-line errors."""

from __future__ import annotations

import json
import subprocess

import cv2
import numpy as np
import pytest
from conftest import FITROOM, PHOTO_POSE, ROOT, photo_of

from avatars.measurements import CORE_KEYS


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(FITROOM), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_avatar_writes_glb_report_and_render(tmp_path):
    done = run("avatar", "--measurements", "examples/body.json", "--out", str(tmp_path / "a.glb"),
               "--report", str(tmp_path / "r.json"), "--render", str(tmp_path / "a.png"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert set(report) >= {"requested", "measured", "error_mm", "seconds"}
    assert all(abs(report["error_mm"][k]) <= 5.0 for k in CORE_KEYS)  # the further ones were filled, not fitted
    assert (tmp_path / "a.glb").read_bytes()[:4] == b"glTF"
    picture = cv2.imread(str(tmp_path / "a.png"))
    assert picture.shape == (1024, 1536, 3)  # front, side and back views side by side
    assert (picture < 230).mean() > 0.05  # a body, not a blank page


def test_flags_override_the_file(tmp_path):
    done = run("avatar", "--stature", "185", "--waist", "92", "--sex", "male", "--report", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["requested"]["stature"] == 185.0
    assert "chest" in report["filled_from_population"]


@pytest.mark.parametrize("args, words", [
    (["--stature", "300"], "stature"),
    (["--stature", "nan"], "stature"),
    (["--stature", "170", "--chest", "-5"], "chest"),
    (["--chest", "90"], "stature"),
    (["--measurements", "no/such/file.json"], "cannot read"),
])
def test_bad_input_exits_with_one_line(args, words):
    done = run("avatar", *args, timeout=120)
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0], done.stderr


def test_help_explains_each_measurement():
    done = run("avatar", "--help", timeout=60)
    assert done.returncode == 0
    for word in ("stature", "chest", "neck_base", "omphalion", "ISO 8559-1", "--out", "--render"):
        assert word in done.stdout, word


def test_fit_writes_named_glb_nodes_report_and_map(tmp_path):
    import trimesh

    done = run("fit", "--measurements", "examples/body.json", "--garment", "tee", "--size", "L",
               "--out", str(tmp_path / "fit.glb"), "--report", str(tmp_path / "fit.json"),
               "--render", str(tmp_path / "fit.png"))
    assert done.returncode == 0, done.stderr
    scene = trimesh.load(tmp_path / "fit.glb", force="scene")
    assert set(scene.graph.nodes_geometry) == {"body", "garment"}
    assert scene.geometry["body"].is_watertight
    report = json.loads((tmp_path / "fit.json").read_text())
    assert {"regions", "penetration_mm_max", "seconds"} <= set(report)
    assert report["regions"]["chest"]["verdict"] in ("tight", "fit", "loose")
    picture = cv2.imread(str(tmp_path / "fit.png"))
    legend = picture[:, -110:]
    saturation = cv2.cvtColor(legend, cv2.COLOR_BGR2HSV)[:, :, 1]
    assert (saturation > 150).sum() > 2000  # the colour bar
    hsv = cv2.cvtColor(picture[:, :-110], cv2.COLOR_BGR2HSV)
    painted = (hsv[:, :, 1] > 60) & (hsv[:, :, 0] > 35) & (hsv[:, :, 0] < 140)  # map hues, not skin or white
    assert painted.sum() > 5000


def test_size_json_names_a_size_of_the_chart():
    done = run("size", "--measurements", "examples/body.json", "--garment", "trousers", "--json")
    assert done.returncode == 0, done.stderr
    advice = json.loads(done.stdout)
    assert advice["size"] in advice["sizes"]
    assert list(advice["sizes"]) == ["XS", "S", "M", "L", "XL", "XXL"]
    assert all("regions" in s for s in advice["sizes"].values())


def test_fit_batch_table(tmp_path):
    bodies = tmp_path / "bodies.json"
    bodies.write_text(json.dumps([{"stature": 165, "sex": "female"}, {"stature": 182, "sex": "male", "chest": 104}]))
    done = run("fit", "--bodies", str(bodies), "--garment", "skirt", "--sizes", "S,L", "--table", str(tmp_path / "t.csv"))
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert len(lines) == 1 + 4 and "hip_verdict" in lines[0]


def test_avatar_from_a_photo_writes_glb_report_and_overlay(tmp_path, example_avatar):
    photo = photo_of(example_avatar, PHOTO_POSE)
    cv2.imwrite(str(tmp_path / "front.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    stature = f"{example_avatar.measured['stature']:.1f}"
    done = run("avatar", "--photo", str(tmp_path / "front.png"), "--stature", stature, "--sex", "female",
               "--out", str(tmp_path / "a.glb"), "--report", str(tmp_path / "r.json"), "--render", str(tmp_path / "o.png"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert {"chest", "waist", "hip"} <= set(report["photo"]["from_photo"])
    assert report["photo"]["reprojection_error_pct_of_height"] < 3.0
    assert "photo ±" in done.stderr  # the summary says which measurements the photo gave
    assert (tmp_path / "a.glb").read_bytes()[:4] == b"glTF"
    overlay = cv2.cvtColor(cv2.imread(str(tmp_path / "o.png")), cv2.COLOR_BGR2RGB)
    assert overlay.shape == photo.shape and np.all(overlay == (40, 220, 255), axis=2).sum() > 500  # the outline


@pytest.mark.parametrize("args, words", [
    (["--photo", "examples/body.json"], "needs --stature"),
    (["--photo", "missing.png", "--stature", "170"], "does not exist"),
    (["--photo", "examples/body.json", "--stature", "170"], "not a readable image"),
    (["--pose", "photo", "--stature", "170"], "needs --photo"),
])
def test_bad_photo_input_is_one_clear_line(args, words):
    done = run("avatar", *args)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr
