"""Heavy work off the event loop, in worker processes: a try-on is avatar + drape + fit + files.

Each worker loads the body model once and keeps the last few shoppers' avatars. A try-on writes
`<job>.glb` (nodes "body" and "garment" in the product's colour), `<job>_heat.glb` (the garment
painted by strain) and `<job>_fitmap.png` under the output folder, and returns their URLs with
the fit summary.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

AVATAR_CACHE = 32
UNDERWEAR_RGBA = (70, 78, 96, 255)
# One compute thread per worker. A drape gains nothing from a second thread here (3 try-ons: 14.2 s
# with two, 14.3 s with one), but when anything else holds a core (a browser rendering the store runs
# at a higher priority), OpenMP's two spinning threads share one core and the same 3 try-ons took
# over ten minutes. Set in the server's environment before workers are spawned, as OpenMP and
# OpenBLAS read it when they load.
WORKER_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def die_with_parent(parent: int) -> None:
    """A worker outlives nothing: it ends when the server process `parent` ends, even by SIGKILL."""
    try:  # Linux: the kernel sends SIGTERM when the parent dies
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watch() -> None:  # elsewhere, and when the server died while this worker was starting: poll
        while os.getppid() == parent:
            time.sleep(2.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def init_worker(server_pid: int) -> None:
    """Tie the worker's life to the server's, then load the body model before the first job."""
    die_with_parent(server_pid)
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
    from avatars.body_model import load_body_model

    load_body_model()


def _dressed_body(avatar) -> Any:
    """The avatar's skin with plain underwear painted on (a store is a public place)."""
    from engine.render.studio import swimwear_mask

    body = avatar.mesh
    covered = swimwear_mask(body, avatar.landmarks, avatar.inputs.get("sex") == "female")
    colours = body.visual.vertex_colors.copy()
    colours[covered] = UNDERWEAR_RGBA
    body.visual.vertex_colors = colours
    return body


def _avatar(measurements: dict[str, Any]):
    """The shopper's avatar; the last few are kept, so a shopper's next try-on starts at once."""
    return _avatar_of(json.dumps(measurements, sort_keys=True))


@functools.lru_cache(maxsize=AVATAR_CACHE)
def _avatar_of(key: str):
    from avatars import Avatar

    return Avatar.from_measurements(json.loads(key))


def run_try_on(job: str, payload: dict[str, Any], out_dir: str, url_prefix: str = "/files/tryon") -> dict[str, Any]:
    """Drape the product's garment in the size on the shopper's avatar; write the files; summarise the fit."""
    from avatars.export import export_glb
    from engine.fit_map import fit_map, painted_garment
    from engine.render import save_png
    from engine.render.thumbnail import Print, hex_rgb, printed_garment
    from engine.tryon import try_on

    avatar = _avatar(payload["measurements"])
    if str(payload.get("garment_file", "")).endswith(".dxf"):  # a designer's sewing pattern
        pattern = _uploaded_pattern(Path(payload["garment_file"]), payload["size"])
        result = try_on(avatar, pattern.category, pattern.size, pattern=pattern)
    elif "garment_file" in payload:  # a designer's uploaded garment, checked by validate_garment
        from engine.garments.importer import garment_from_file

        made = garment_from_file(avatar, payload["garment_file"])
        result = try_on(avatar, made.category, made.size, garment=made)
    else:
        result = try_on(avatar, payload["category"], payload["size"], payload["gender"])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    print_ = Print(payload.get("print", "solid"))
    if result.sewn is not None and print_ is not Print.SOLID:  # the print on the flat panels, edges split once
        cloth = printed_garment(result.sewn, hex_rgb(payload["hex"]), hex_rgb(payload["accent_hex"]), print_,
                                subdivisions=1)
    else:
        cloth = result.drape.mesh
        cloth.visual.vertex_colors = np.tile(np.r_[np.round(255 * hex_rgb(payload["hex"])), 255].astype(np.uint8),
                                             (len(cloth.vertices), 1))
    (out / f"{job}.glb").write_bytes(export_glb({"body": _dressed_body(avatar), "garment": cloth}))
    heat = painted_garment(result, "strain")  # painted once: for the heat-map GLB and the fit map picture
    (out / f"{job}_heat.glb").write_bytes(export_glb({"garment": heat}))
    save_png(fit_map(result, "strain", size=(256, 512), cloth=heat), out / f"{job}_fitmap.png")
    fit = result.fit.as_dict()
    return {
        "garment_url": f"{url_prefix}/{job}.glb", "heatmap_url": f"{url_prefix}/{job}_heat.glb",
        "fit_map_url": f"{url_prefix}/{job}_fitmap.png",
        "fit": {"regions": fit["regions"], "summary": result.fit.summary(),
                "penetration_mm_max": fit.get("penetration_mm_max")},
    }


def _uploaded_pattern(path: Path, size: str):
    """An uploaded DXF pattern and its seams sidecar (beside it), read as `fitroom fit --pattern` reads them;
    size "custom" means the file's only size."""
    from engine.patterns.infer import import_pattern, read_sidecar

    seams = path.with_suffix(".seams.json")
    category = json.loads(path.with_suffix(".json").read_text())["category"]
    return import_pattern(path, None if size == "custom" else size, read_sidecar(seams if seams.is_file() else None),
                          category=category, where=path.name)


def _validate_pattern(path: Path, payload: dict[str, Any]) -> dict[str, Any]:
    """Write an uploaded DXF with its seams sidecar and check that it can be sewn; refused, nothing stays."""
    seams = path.with_suffix(".seams.json")
    path.write_bytes(payload["data"])
    path.with_suffix(".json").write_text(json.dumps({"category": payload["category"]}))
    if payload.get("seams"):
        seams.write_text(payload["seams"])
    try:
        pattern = _uploaded_pattern(path, payload["size"])
    except Exception:
        for written in (path, seams, path.with_suffix(".json")):
            written.unlink(missing_ok=True)
        raise
    return {"file": str(path), "url": None, "name": payload["name"], "category": pattern.category, "size": pattern.size,
            "fabric": pattern.fabric, "vertices": 0, "faces": 0, "pieces": list(pattern.panels)}


def validate_garment(job: str, payload: dict[str, Any], out_dir: str, url_prefix: str = "/files/garments") -> dict[str, Any]:
    """Write an uploaded garment under a name of our making, with its sidecar, and check it as
    `fitroom fit --garment-file` (or `--pattern` for DXF) does; a refused file is deleted and the GarmentError says why."""
    from engine.garments.importer import read_garment_mesh, read_sidecar

    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{job}.{payload['format']}"
    if payload["format"] == "dxf":
        return _validate_pattern(path, payload)
    sidecar = path.with_suffix(".json")
    path.write_bytes(payload["data"])
    meta = {"category": payload["category"], "size": payload["size"]}
    if payload.get("fabric"):
        meta["fabric"] = payload["fabric"]
    sidecar.write_text(json.dumps(meta))
    try:
        meta = read_sidecar(path)
        mesh = read_garment_mesh(path)
    except Exception:
        path.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        raise
    return {"file": str(path), "url": f"{url_prefix}/{path.name}" if path.suffix == ".glb" else None,
            "name": payload["name"], "category": meta["category"], "size": str(meta["size"]),
            "fabric": meta["fabric"], "vertices": len(mesh.vertices), "faces": len(mesh.faces)}


def build_avatar(job: str, payload: dict[str, Any], out_dir: str, url_prefix: str = "/files/avatars") -> dict[str, Any]:
    """The shopper's body as a GLB named by its measurements, so equal bodies share one file (and browsers cache it)."""
    import hashlib

    from avatars.export import export_glb

    key = hashlib.sha1(json.dumps(payload["measurements"], sort_keys=True).encode()).hexdigest()[:16]
    path = Path(out_dir) / f"{key}.glb"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(export_glb({"body": _dressed_body(_avatar(payload["measurements"]))}))
        partial.replace(path)  # readers never see half a file
    return {"avatar_url": f"{url_prefix}/{path.name}"}


def measure_photo(job: str, payload: dict[str, Any], out_dir: str) -> dict[str, Any]:
    """A shopper's full-body front photo: the measurements it gives for their stated height and sex (the
    `fitroom avatar --photo` path), those outside the accepted ranges left to the population. Nothing is kept."""
    import cv2

    from avatars.measurements import SPECS
    from avatars.photo import PhotoError, find_body
    from avatars.photo_measure import estimate_measurements

    image = cv2.imdecode(np.frombuffer(payload["data"], np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise PhotoError("the photo is not a JPEG or PNG image this server can read")
    body = find_body(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    estimate = estimate_measurements(body, payload["stature"], sex=payload["sex"])
    read = {k: v for k, v in estimate.values.items() if k in SPECS and SPECS[k].low <= v <= SPECS[k].high}
    given = {"stature": payload["stature"], **({"sex": payload["sex"]} if payload["sex"] else {})}
    return {"measurements": {**read, **given}, "from_photo": sorted(read)}
