"""Finding the body in photos: our own renders (known geometry), a real photograph, bad photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from avatars.photo import (
    LEFT_ANKLE,
    LEFT_SHOULDER,
    NOSE,
    RIGHT_SHOULDER,
    PhotoError,
    find_body,
    read_photo,
)
from engine.render import RenderItem, render, save_png
from engine.render.scene import frame_camera


@pytest.fixture(scope="module")
def front_photo(example_avatar):
    items = [RenderItem(example_avatar.mesh)]
    camera = frame_camera(items, 512, 1024, "front")
    image = render(items, size=(512, 1024), camera=camera, background=(0.85, 0.87, 0.9, 1.0))[:, :, :3]
    return np.ascontiguousarray(image), camera


def test_render_of_a_known_body(front_photo, example_avatar):
    image, camera = front_photo
    body = find_body(image)
    assert (body.visibility[[NOSE, LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_ANKLE]] > 0.8).all()
    stature_px = example_avatar.measured["stature"] / 100 * camera.pixels_per_metre
    assert body.height_px() == pytest.approx(stature_px, rel=0.04)  # the mask spans head to soles
    assert body.cm_per_px(example_avatar.measured["stature"]) == pytest.approx(100 / camera.pixels_per_metre, rel=0.04)
    # the avatar faces the camera: its left shoulder is on the image's right, above the hips
    assert body.pixels[LEFT_SHOULDER, 0] > body.pixels[RIGHT_SHOULDER, 0]
    assert body.pixels[NOSE, 1] < body.pixels[LEFT_SHOULDER, 1] < body.pixels[LEFT_ANKLE, 1]


def test_a_real_photograph_gives_an_upper_body():
    from matplotlib import cbook

    with cbook.get_sample_data("grace_hopper.jpg") as f:
        image = cv2.cvtColor(cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    body = find_body(image, full_body=False)
    assert body.visibility[[NOSE, LEFT_SHOULDER, RIGHT_SHOULDER]].min() > 0.5
    assert body.pixels[NOSE, 1] < min(body.pixels[LEFT_SHOULDER, 1], body.pixels[RIGHT_SHOULDER, 1])
    with pytest.raises(PhotoError, match="cropped"):
        find_body(image)  # head and shoulders only: not a full body


def test_bad_photos_say_what_works(front_photo, tmp_path):
    image, _ = front_photo
    with pytest.raises(PhotoError, match="no person"):
        find_body(np.full((512, 256, 3), 200, np.uint8))
    with pytest.raises(PhotoError, match="at least 128"):
        find_body(cv2.resize(image, (48, 96)))
    with pytest.raises(PhotoError, match="cropped"):
        find_body(np.ascontiguousarray(image[:520]))  # cut at the thighs
    corrupt = tmp_path / "photo.jpg"
    corrupt.write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(PhotoError, match="not a readable image"):
        read_photo(corrupt)
    with pytest.raises(PhotoError, match="does not exist"):
        read_photo(tmp_path / "missing.png")
    good = save_png(np.concatenate([image, np.full(image.shape[:2] + (1,), 255, np.uint8)], axis=2), tmp_path / "ok.png")
    assert read_photo(good).shape == image.shape
