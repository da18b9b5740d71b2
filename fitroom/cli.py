"""The `fitroom` command line: avatars from measurements, garment fit, the size that fits."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np

from avatars.measurements import BODY_MEASUREMENTS, MEASUREMENT_KEYS
from server.limits import LOOPBACK

MEASUREMENT_HELP = "\n".join(f"  {s.key:<17} {s.iso} [{s.low:g}-{s.high:g} cm]" for s in BODY_MEASUREMENTS)


def _fail(message: str) -> None:
    click.echo(f"fitroom: error: {message}", err=True)
    sys.exit(2)


def _suffixes(*allowed: str):
    """A click callback: the path must end in one of `allowed` (checked before any work is done)."""

    def check(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
        if value is not None and value.suffix.lower() not in allowed:
            raise click.BadParameter(f"{value.name!r}: use a file name ending in {' or '.join(allowed)}")
        return value

    return check


def _measurement_options(func):
    """One --KEY option per body measurement, plus weight, sex and age."""
    for spec in reversed(BODY_MEASUREMENTS):
        func = click.option(f"--{spec.key.replace('_', '-')}", spec.key, type=float, default=None,
                            help=f"{spec.iso} (cm)")(func)
    func = click.option("--weight", type=float, default=None, help="body mass (kg)")(func)
    func = click.option("--sex", type=click.Choice(["female", "male"]), default=None)(func)
    func = click.option("--age", type=float, default=None, help="age (years)")(func)
    return func


def _read_measurements(path: Path | None, overrides: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8
            _fail(f"cannot read measurements from {path}: {exc}")
        if not isinstance(data, dict):
            _fail(f"{path} must hold a JSON object of measurements in cm, like {{\"stature\": 172}}")
    data.update({k: v for k, v in overrides.items() if v is not None})
    return data


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Fitroom: virtual try-on with measured avatars, cloth drape and fit analysis."""


@main.command(epilog="Measurements (ISO 8559-1, cm; only stature is required, the rest are "
                     "filled from the population):\n\n" + MEASUREMENT_HELP.replace("\n", "\n\n"))
@click.option("--measurements", "measurements_file", type=click.Path(path_type=Path, dir_okay=False),
              help="JSON file of measurements in cm/kg, e.g. {\"stature\": 172, \"chest\": 96, \"sex\": \"female\"}")
@_measurement_options
@click.option("--photo", type=click.Path(path_type=Path, dir_okay=False),
              help="full-body front photo: measurements and pose come from it (needs --stature)")
@click.option("--side", type=click.Path(path_type=Path, dir_okay=False), help="side photo to go with --photo")
@click.option("--video", type=click.Path(path_type=Path, dir_okay=False),
              help="a clip of the shopper (first frame full body): the avatar, and its pose in every frame (needs --stature)")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), callback=_suffixes(".glb", ".obj"),
              help="write the avatar as .glb or .obj")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False),
              help="write requested/measured/error_mm/seconds as JSON")
@click.option("--render", type=click.Path(path_type=Path, dir_okay=False),
              help="write a PNG of the front, side and back views (with --photo: landmarks and outline over the photo)")
@click.option("--turntable", type=click.Path(path_type=Path, dir_okay=False), help="write a turntable .mp4 or .gif")
@click.option("--pose", type=click.Choice(["A", "T", "photo"]), default=None,
              help="pose for export and render [default: photo with --photo, else A]")
@click.option("--renderer", type=click.Choice(["auto", "gl", "raster"]), default="auto", show_default=True,
              help="pyrender through OSMesa/EGL, or the numpy rasteriser")
@click.option("--size", type=int, default=512, show_default=True, help="pixel size of each rendered view")
def avatar(measurements_file: Path | None, photo: Path | None, side: Path | None, video: Path | None, out: Path | None,
           report: Path | None, render: Path | None, turntable: Path | None, pose: str | None, renderer: str,
           size: int, **measurements: Any) -> None:
    """Build an avatar that has the given body measurements (or the body in a photo or clip), and prove it."""
    if video:
        _avatar_from_video(video, measurements, out, report, render)
        return
    pose = pose or ("photo" if photo else "A")
    if pose == "photo" and not photo:
        _fail("--pose photo needs --photo")
    from_photo = _avatar_from_photo(photo, side, measurements) if photo else None
    avatar = from_photo.avatar if from_photo else _avatar_from(measurements_file, measurements)
    posed = None if pose == "A" else from_photo.posed_mesh() if pose == "photo" else avatar.posed(preset=pose)
    result = from_photo.report() if from_photo else avatar.report()
    if out:
        avatar.export(out, posed)  # the standing body carries its skeleton; a posed one is as posed
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result, indent=2))
    if render and from_photo:
        from avatars.photo import read_photo
        from engine.render import save_png

        save_png(from_photo.overlay(read_photo(photo)), render)
    elif render or turntable:
        from engine.render import RenderItem, render_views, save_png
        from engine.render import turntable as render_turntable

        items = [RenderItem(posed if posed is not None else avatar.mesh, material="skin")]
        if render:
            save_png(render_views(items, size=(size, 2 * size), backend=renderer), render)
        if turntable:
            render_turntable(items, turntable, size=(size, 2 * size), backend=renderer)
    _print_summary(result)


def _avatar_from_video(video: Path, measurements: dict[str, Any], out: Path | None, report: Path | None,
                       render: Path | None) -> None:
    """The avatar from a clip's first frame, posed frame by frame; --render writes the clip with its outline."""
    from avatars import AvatarError
    from avatars.from_photo import avatar_from_photo
    from avatars.video import poses_from_video, read_video, write_video

    if measurements.get("stature") is None:
        _fail("--video needs --stature (your height in cm): a video alone has no scale")
    if render and render.suffix.lower() not in (".mp4", ".avi"):
        _fail("with --video, --render writes a video: give it a .mp4 or .avi name")
    try:
        frames, fps = read_video(video)
        built = avatar_from_photo(frames[0], measurements["stature"], sex=measurements.get("sex"))
        motion = poses_from_video(frames, fps, built.avatar, progress=True)
    except AvatarError as exc:
        _fail(str(exc))
    result = built.report()
    errors = [100 * p.reprojection_error for p in motion.poses]
    result["video"] = {"frames": len(frames), "fps": fps, "reprojection_error_pct_mean": round(float(np.mean(errors)), 2),
                       "pose_degrees_per_frame": [{b: [round(a, 1) for a in r] for b, r in rotations.items()}
                                                  for rotations in motion.rotations]}
    if out:
        built.avatar.export(out)
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result, indent=2))
    if render:
        write_video(motion.overlay_frames(frames, built.avatar), fps, render)
    _print_summary(result)


def _avatar_from_photo(photo: Path, side: Path | None, measurements: dict[str, Any]):
    """The avatar of the person in the photo; one-line exit on a bad photo or height."""
    from avatars import AvatarError
    from avatars.from_photo import avatar_from_photo

    if measurements.get("stature") is None:
        _fail("--photo needs --stature (your height in cm): a photo alone has no scale")
    try:
        return avatar_from_photo(photo, measurements["stature"], side=side, sex=measurements.get("sex"))
    except AvatarError as exc:
        _fail(str(exc))


def _avatar_from(measurements_file: Path | None, measurements: dict[str, Any]):
    """The avatar for a measurement file and --KEY flags (flags win); one-line exit on bad input."""
    from avatars import Avatar, AvatarError, BodyMeasurements
    from avatars.body_model import load_body_model

    try:
        body = BodyMeasurements.from_dict(_read_measurements(measurements_file, measurements))
        load_body_model()
        return Avatar.from_measurements(body)
    except AvatarError as exc:
        _fail(str(exc))


def _garment_options(func):
    from engine.garments.charts import CATEGORIES

    func = click.option("--gender", type=click.Choice(["women", "men"]), default=None,
                        help="which size chart (default: from --sex)")(func)
    func = click.option("--garment", type=click.Choice(sorted(CATEGORIES)), default=None,
                        help="a garment of our library")(func)
    return func


@main.command()
@click.option("--measurements", "measurements_file", type=click.Path(path_type=Path, dir_okay=False))
@_measurement_options
@_garment_options
@click.option("--size", "size_label", default=None, help="size label from the chart, e.g. M or 38")
@click.option("--garment-file", type=click.Path(path_type=Path, dir_okay=False),
              help="your own garment (.obj/.glb/.ply in metres, avatar frame) with a .json sidecar beside it")
@click.option("--pattern", "pattern_file", type=click.Path(path_type=Path, dir_okay=False),
              help="a top's, dress's, jacket's, skirt's or trousers' sewing pattern as AAMA/ASTM DXF (Gerber, Lectra, Optitex, CLO); --size picks the file's size label")
@click.option("--seams", "seams_file", type=click.Path(path_type=Path, dir_okay=False),
              help="with --pattern: a JSON sidecar naming the pieces' edges and/or the seams")
@click.option("--seam-allowance", "seam_allowance_cm", type=float, default=None,
              help="with --pattern: the seam allowance (cm) the file's cut lines include where it has no sew line "
                   "(layer 14); default the sidecar's seam_allowance_cm, else 0")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), callback=_suffixes(".glb"),
              help="GLB with nodes 'body' and 'garment'")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False), help="fit report JSON")
@click.option("--render", type=click.Path(path_type=Path, dir_okay=False), help="fit map PNG (front, side, back)")
@click.option("--map", "map_kind", type=click.Choice(["strain", "ease"]), default="strain", show_default=True)
@click.option("--bodies", type=click.Path(path_type=Path, dir_okay=False),
              help="batch: a JSON list of measurement objects, or 'ansur:N' for N ANSUR subjects")
@click.option("--sizes", default=None, help="batch: comma-separated sizes (default: the whole chart)")
@click.option("--table", type=click.Path(path_type=Path, dir_okay=False), help="batch: CSV of verdicts per body and size")
def fit(measurements_file, garment, gender, size_label, garment_file, pattern_file, seams_file, seam_allowance_cm, out,
        report, render, map_kind, bodies, sizes, table, **measurements) -> None:
    """Sew or drape a garment size on a body and report ease, strain, pressure and verdict per region."""
    from engine.garments.charts import GarmentError

    if sum(map(bool, (garment, garment_file, pattern_file))) != 1:
        _fail("give one of --garment NAME (with --size), --garment-file FILE or --pattern FILE.dxf")
    if (seams_file or seam_allowance_cm is not None) and not pattern_file:
        _fail("--seams and --seam-allowance go with --pattern FILE.dxf")
    try:
        if bodies:
            _fit_batch(str(bodies), garment, gender, sizes, table)
            return
        if garment and not size_label:
            _fail("--garment needs --size, e.g. --size M")
        avatar = _avatar_from(measurements_file, measurements)
        from engine.tryon import try_on

        if garment_file:
            from engine.garments.importer import garment_from_file

            made = garment_from_file(avatar, garment_file)
            result = try_on(avatar, made.category, made.size, garment=made)
        elif pattern_file:
            from engine.patterns.infer import import_pattern, read_sidecar

            sidecar = read_sidecar(seams_file)
            if seam_allowance_cm is not None:
                sidecar["seam_allowance_cm"] = seam_allowance_cm
            imported = import_pattern(pattern_file, size_label, sidecar, gender=gender or "women")
            result = try_on(avatar, imported.category, imported.size, pattern=imported)
        else:
            result = try_on(avatar, garment, size_label, gender)
    except GarmentError as exc:
        _fail(str(exc))
    summary = result.fit.as_dict()
    if out:
        from avatars.export import export_glb

        out.parent.mkdir(parents=True, exist_ok=True)
        cloth = result.drape.mesh
        cloth.visual.vertex_colors = (np.array([0.25, 0.42, 0.78, 1.0]) * 255).astype(np.uint8)
        out.write_bytes(export_glb({"body": avatar.mesh, "garment": cloth}))
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(summary, indent=2))
    if render:
        from engine.fit_map import fit_map
        from engine.render import save_png

        save_png(fit_map(result, map_kind), render)
    click.echo(result.fit.summary())


def _fit_batch(bodies: str, garment: str, gender: str | None, sizes: str | None, table: Path | None) -> None:
    """Every body in every size: a CSV row per (body, size) with the verdict of each region."""
    import csv
    import io

    from tqdm import tqdm

    from avatars import Avatar, AvatarError
    from engine.drape import BodyCollider
    from engine.garments.charts import CHART_GENDER, load_chart
    from engine.tryon import try_on

    if bodies.startswith("ansur:"):
        from avatars.ansur import load_subjects

        count = bodies[len("ansur:"):]
        if not count.isdigit() or not 1 <= int(count) <= 10_000:
            _fail(f"--bodies {bodies!r}: give ansur:N with N a whole number of subjects, 1 to 10000")
        try:
            subjects = load_subjects(int(count))
        except (OSError, ValueError) as exc:
            _fail(f"cannot read ANSUR subjects: {exc}")
        people = [{k: v for k, v in s.items() if k != "subject"} for s in subjects]
    else:
        try:
            people = json.loads(Path(bodies).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            _fail(f"cannot read bodies from {bodies}: {exc}")
        if not isinstance(people, list):
            _fail(f"{bodies} must hold a JSON list of measurement objects")
    rows = []
    for index, person in enumerate(tqdm(people, desc="bodies", file=sys.stderr)):
        try:
            avatar = Avatar.from_measurements(person)
        except AvatarError as exc:
            click.echo(f"body {index}: skipped: {exc}", err=True)
            continue
        chart_gender = gender or CHART_GENDER.get(avatar.inputs.get("sex", ""), "women")
        labels = sizes.split(",") if sizes else load_chart(garment, chart_gender).labels
        collider = BodyCollider(avatar.mesh)
        for label in labels:
            result = try_on(avatar, garment, label, chart_gender, collider=collider)
            row = {"body": index, "size": result.fit.size, "penetration_mm_max": round(result.fit.penetration_mm_max, 2)}
            for name, region in result.fit.regions.items():
                row[f"{name}_ease_cm"] = None if region.ease_cm is None else round(region.ease_cm, 1)
                row[f"{name}_verdict"] = region.verdict
            rows.append(row)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    if table:
        table.parent.mkdir(parents=True, exist_ok=True)
        table.write_text(buffer.getvalue())
    else:
        click.echo(buffer.getvalue(), nl=False)


@main.command()
@click.option("--measurements", "measurements_file", type=click.Path(path_type=Path, dir_okay=False))
@_measurement_options
@_garment_options
@click.option("--preference", type=click.Choice(["snug", "regular", "loose"]), default="regular", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print {size, sizes: {label: fit report}, reason} as JSON")
def size(measurements_file, garment, gender, preference, as_json, **measurements) -> None:
    """Recommend the size of a garment that fits this body, draping every size."""
    from tqdm import tqdm

    from engine.garments.charts import CHART_GENDER, GarmentError, load_chart
    from engine.size import recommend_size

    if not garment:
        _fail("give --garment NAME")
    avatar = _avatar_from(measurements_file, measurements)
    try:
        chart_gender = gender or CHART_GENDER.get(avatar.inputs.get("sex", ""), "women")
        with tqdm(desc="draping sizes", total=len(load_chart(garment, chart_gender).labels), unit="size",
                  file=sys.stderr, disable=as_json) as bar:
            advice = recommend_size(avatar, garment, preference, gender, progress=lambda label: bar.update())
    except GarmentError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps(advice.as_dict(), indent=2))
    else:
        click.echo(f"{advice.size} ({preference}): {advice.reason}")


@main.command()
@click.option("--garment", type=click.Choice(["tee", "longsleeve", "jacket", "dress", "skirt", "trousers"]),
              required=True, help="the garment to draft from its size chart")
@click.option("--gender", type=click.Choice(["women", "men"]), default=None,
              help="which size chart (default: from the body's sex, else women)")
@click.option("--size", "size_label", default=None, help="size label from the chart, e.g. M or 38")
@click.option("--measurements", "measurements_file", type=click.Path(path_type=Path, dir_okay=False),
              help="made to measure: a JSON file of body measurements in cm (the rest filled from the population)")
@click.option("--preference", type=click.Choice(["snug", "regular", "loose"]), default="regular", show_default=True,
              help="made to measure: how much ease")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              callback=_suffixes(".svg", ".dxf"), help="the pattern as SVG (to look at) or AAMA DXF (for CAD)")
@click.option("--seam-allowance", "seam_allowance_cm", type=float, default=0.0, show_default=True,
              help="DXF: cut lines (layer 1) this many cm outside the sewn outline, which goes on the sew line (layer 14)")
@click.option("--sew-on", "sew_on", type=click.Path(path_type=Path, dir_okay=False),
              help="sew the pattern on the avatar of this measurements JSON (tops and dresses; not yet reliable for "
                   "long sleeves, skirts and trousers)")
@click.option("--render", type=click.Path(path_type=Path, dir_okay=False), callback=_suffixes(".png"),
              help="with --sew-on: front, side and back of the sewn garment (PNG)")
def pattern(garment: str, gender: str | None, size_label: str | None, measurements_file: Path | None, preference: str,
            out: Path, seam_allowance_cm: float, sew_on: Path | None, render: Path | None) -> None:
    """Draft a sewing pattern from the size chart (--size) or for a body (--measurements): pieces, seams, and the
    finished measurements it meets."""
    from engine.garments.charts import CHART_GENDER, GarmentError
    from engine.patterns import draft, measure
    from engine.patterns.dxf import check_seam_allowance, write_dxf
    from engine.patterns.made_to_measure import draft_made_to_measure
    from engine.patterns.svg import pattern_svg

    if (size_label is None) == (measurements_file is None):
        _fail("give either --size LABEL (a chart size) or --measurements FILE (made to measure)")
    if seam_allowance_cm and out.suffix.lower() != ".dxf":
        _fail("--seam-allowance goes with --out FILE.dxf (the SVG shows the sewn outline)")
    try:
        if measurements_file is not None:
            from avatars.errors import MeasurementError
            from avatars.measurements import BodyMeasurements
            from avatars.population import complete

            try:
                given = BodyMeasurements.from_dict(_read_measurements(measurements_file, {}))
            except MeasurementError as exc:
                _fail(str(exc))
            body, filled = complete(given)
            drafted = draft_made_to_measure(garment, gender or CHART_GENDER.get(given.sex or "", "women"), body, preference)
            if filled:
                click.echo(f"filled from the population: {', '.join(filled)}", err=True)
        else:
            drafted = draft(garment, gender or "women", size_label)
    except GarmentError as exc:
        _fail(str(exc))
    if out.suffix.lower() == ".dxf":
        try:
            check_seam_allowance(seam_allowance_cm, "--seam-allowance")
        except GarmentError as exc:
            _fail(str(exc))
        out.parent.mkdir(parents=True, exist_ok=True)
        write_dxf(drafted, out, seam_allowance_cm)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(pattern_svg(drafted))
    click.echo(f"{garment} ({drafted.gender}) {drafted.size}: {len(drafted.panels)} pieces, {len(drafted.seams)} seams -> {out}")
    click.echo("finished measurements (cm): " + ", ".join(f"{k} {v:.1f}" for k, v in measure(drafted).items()))
    if render is not None and sew_on is None:
        _fail("--render needs --sew-on BODY.json (the body to sew the pattern on)")
    if sew_on is not None:
        _sew_and_show(drafted, sew_on, render)


def _sew_and_show(drafted, body_file: Path, render: Path | None) -> None:
    """Sew a drafted pattern on the body of a measurements file; report the seams and contact, render it."""
    from avatars import Avatar, AvatarError
    from engine.garments.charts import GarmentError
    from engine.patterns.sew import sew

    try:
        avatar = Avatar.from_measurements(_read_measurements(body_file, {}))
        garment = sew(drafted, avatar)
    except (AvatarError, GarmentError) as exc:
        _fail(str(exc))
    click.echo(f"sewn in {garment.seconds:.1f} s: {len(garment.positions)} vertices, seams within "
               f"{garment.closing_gap_mm.max():.2f} mm when merged, median edge strain {100 * np.median(garment.edge_strain()):+.1f} %")
    if render is not None:
        from engine.render import render_views, save_png
        from engine.render.scene import RenderItem

        save_png(render_views([RenderItem(avatar.mesh, (0.85, 0.7, 0.6, 1.0)),
                               RenderItem(garment.mesh, (0.25, 0.45, 0.8, 1.0), "cloth")], size=(360, 540)), render)
        click.echo(f"render -> {render}")


@main.command()
@click.option("--profile", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=True,
              help='shopper JSON: {"id", "measurements", "fit_preference", "history": [{"product", "kind", "size"}], '
                   '"feedback": [{"product", "size", "verdict"}]}')
@click.option("--for", "product_id", default=None, help="a product id: its size and an outfit around it")
@click.option("--k", type=int, default=10, show_default=True)
@click.option("--category", default=None, help="only this garment category")
@click.option("--max-price", type=float, default=None)
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="SQLite file to keep the shopper in (default: a temporary one)")
def recommend(profile: Path, product_id: str | None, k: int, category: str | None, max_price: float | None,
              db: Path | None) -> None:
    """Sizes, products and outfits for a shopper, as JSON."""
    import tempfile

    from recommender.recommender import Recommender
    from store.catalog import CatalogError
    from store.ledger import StoreError

    try:
        with tempfile.TemporaryDirectory() as scratch:
            store, shopper = _ledger_with_profile(profile, db or Path(scratch) / "shop.sqlite")
            data = {"id": shopper}
            engine = Recommender(store)
            price = (0.0, max_price) if max_price is not None else None
            answer: dict[str, Any] = {"recommendations": [r.as_dict() for r in engine.recommend(
                data["id"], k, category, price)]}
            if product_id:
                answer["size"] = engine.size_for(data["id"], product_id).as_dict()
                answer["outfit"] = [r.as_dict() for r in engine.outfit(product_id, 5, data["id"])]
            store.close()
    except (json.JSONDecodeError, KeyError, StoreError, CatalogError) as exc:
        _fail(f"bad profile {profile}: {exc}")
    click.echo(json.dumps(answer, indent=2))


def _ledger_with_profile(profile: Path, db: Path) -> tuple[Any, str]:
    """A ledger at `db` holding the profile's shopper, history and feedback; (ledger, shopper id).
    Raises StoreError, CatalogError, KeyError or JSONDecodeError naming what is wrong."""
    from store.ledger import Ledger, StoreError

    data = json.loads(profile.read_text())
    if not isinstance(data, dict) or "id" not in data or "measurements" not in data:
        raise StoreError("the profile needs an 'id' and 'measurements'")
    store = Ledger(db)
    if not store.has_shopper(data["id"]):
        store.add_shopper(data["id"], data["measurements"], data.get("fit_preference", "regular"))
    for event in data.get("history", []):
        store.record(data["id"], event["product"], event["kind"], event.get("size"))
    for note in data.get("feedback", []):
        store.feedback(data["id"], note["product"], note["size"], note["verdict"], note.get("region"))
    return store, data["id"]


@main.command()
@click.argument("query")
@click.option("--profile", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="shopper JSON as for `fitroom recommend` (sizes for their body, ranking by their history)")
@click.option("--k", type=click.IntRange(1, 50), default=8, show_default=True)
@click.option("--json", "as_json", is_flag=True, help='print {"intent", "items", "outfit", ...} as JSON')
def guide(query: str, profile: Path | None, k: int, as_json: bool) -> None:
    """Ask the shopping guide in Chinese or English: products that fit the request and the body, and an outfit."""
    import tempfile

    from rich.console import Console
    from rich.table import Table

    from recommender.guide import Guide
    from recommender.intent import IntentError
    from recommender.recommender import Recommender
    from store.catalog import CatalogError
    from store.ledger import Ledger, StoreError

    with tempfile.TemporaryDirectory() as scratch:
        try:
            if profile:
                store, shopper = _ledger_with_profile(profile, Path(scratch) / "shop.sqlite")
            else:
                store, shopper = Ledger(Path(scratch) / "shop.sqlite"), None
            answer = Guide(Recommender(store)).ask(query, shopper, k)
            store.close()
        except IntentError as exc:
            _fail(str(exc))
        except (json.JSONDecodeError, KeyError, StoreError, CatalogError) as exc:
            _fail(f"bad profile {profile}: {exc}")
    if as_json:
        click.echo(json.dumps(answer.as_dict(), ensure_ascii=False, indent=1))
        return
    console = Console()
    intent = {key: value for key, value in answer.intent.as_dict().items() if value not in (None, [])}
    console.print("understood: " + ", ".join(f"{key}={value}" for key, value in intent.items()))
    for title, rows in (("answer", answer.items), ("the outfit", answer.outfit), ("nearest instead", answer.alternatives)):
        if rows:
            table = Table(title=title)
            for column in ("product", "name", "size", "price", "why"):
                table.add_column(column)
            for row in rows:
                table.add_row(row.product, store.catalog.get(row.product).name, row.size or "-", f"{row.price:.2f}",
                              row.reason)
            console.print(table)
    if answer.message:
        console.print(answer.message)


def _print_summary(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"avatar fitted in {result['seconds']:.2f} s")
    for column in ("measurement", "requested cm", "measured cm", "error mm", ""):
        table.add_column(column, justify="right" if "cm" in column or "mm" in column else "left")
    for key in MEASUREMENT_KEYS:
        from_photo = result.get("photo", {}).get("from_photo", {}).get(key)
        filled = ("filled" if key in result["filled_from_population"]
                  else f"photo ±{from_photo['plus_minus_cm']:.1f} cm" if from_photo else "")
        table.add_row(key, f"{result['requested'][key]:.1f}", f"{result['measured'][key]:.1f}",
                      f"{result['error_mm'][key]:+.1f}", filled)
    Console(stderr=True).print(table)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--redis", "redis_url", default=None, help="redis://host:port: share one store among several server processes")
@click.option("--data", "data_dir", default="out/store", show_default=True, type=click.Path(path_type=Path, file_okay=False),
              help="where the store's SQLite file and try-on files live")
@click.option("--designer-token", envvar="FITROOM_DESIGNER_TOKEN", default=None,
              help="token that lets a client edit the store (default: a new one, printed at start)")
@click.option("--operator-token", envvar="FITROOM_OPERATOR_TOKEN", default=None,
              help="token for stock alerts, reorders, prices and the /ops dashboard (default: a new one, printed at start)")
@click.option("--ops-settings", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="operations settings: lead time, service level, price rules, experiment [default: assets/operations.json]")
@click.option("--tick-hz", default=20.0, show_default=True, type=float, help="state updates per second")
@click.option("--workers", default=1, show_default=True, type=int, help="processes for try-ons (drape, render)")
@click.option("--naive", is_flag=True, help="benchmark baseline: full JSON state to everyone every tick")
@click.option("--bots", default=0, show_default=True, type=click.IntRange(0, 200),
              help="simulated shoppers that keep the store alive (demos; they connect from 127.0.0.1, which is trusted)")
@click.option("--trust", multiple=True, metavar="ADDRESS",
              help="an address exempt from the per-address limits on connections, joins and messages "
                   "(load tests, bots); repeatable")
def serve(host: str, port: int, redis_url: str | None, data_dir: Path, designer_token: str | None,
          operator_token: str | None, ops_settings: Path | None, tick_hz: float, workers: int, naive: bool, bots: int,
          trust: tuple[str, ...]) -> None:
    """Open the store: web client at http://HOST:PORT, websocket at ws://HOST:PORT/ws."""
    from server.serve import ServeError, run
    from store.settings import DEFAULT_SETTINGS

    if not 1 <= tick_hz <= 120 or workers < 1:
        _fail("--tick-hz must be 1 to 120 and --workers at least 1")
    try:
        run(host, port, data_dir, redis_url=redis_url, designer_token=designer_token, tick_hz=tick_hz,
            workers=workers, naive=naive, bots=bots, trusted=frozenset(trust) | ({LOOPBACK} if bots else set()),
            operator_token=operator_token, ops_settings=ops_settings or DEFAULT_SETTINGS)
    except ServeError as exc:
        _fail(str(exc))


@main.command()
@click.option("--shoppers", default=50, show_default=True, type=click.IntRange(1, 2000), help="bots in the store at once")
@click.option("--minutes", default=5.0, show_default=True, type=click.FloatRange(0.05, 600))
@click.option("--url", default=None, help="ws://HOST:PORT/ws of a running store (default: start one here)")
@click.option("--data", "data_dir", default="out/simulation", show_default=True, type=click.Path(path_type=Path, file_okay=False),
              help="analytics.json, floor_heatmap.png (and the store's files when started here)")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--try-on-rate", default=0.1, show_default=True, type=click.FloatRange(0, 1),
              help="how keen bots are to try things on (each try-on is a drape)")
@click.option("--ab", type=click.Choice(["pricing", "recommender"]), default=None,
              help="run an experiment: pricing = the price rules (treatment) against list prices (control); "
                   "recommender = the two models of --arms")
@click.option("--arms", nargs=2, default=("item-knn", "fitroom"), show_default=True, metavar="CONTROL TREATMENT",
              help="with --ab recommender: the control arm's and the treatment arm's model (recommender.models)")
@click.option("--day-seconds", default=5.0, show_default=True, type=click.FloatRange(1, 86400),
              help="one demand day of the store started here (the twin runs weeks in minutes)")
@click.option("--lead-time-days", type=click.FloatRange(0, 365), default=None, help="what-if: supplier lead time")
@click.option("--service-level", type=click.FloatRange(0.5, 0.999), default=None, help="what-if: target service level")
@click.option("--no-price-rules", is_flag=True, help="what-if: prices stay at list")
def simulate(shoppers: int, minutes: float, url: str | None, data_dir: Path, seed: int, try_on_rate: float,
             ab: str | None, arms: tuple[str, str], day_seconds: float, lead_time_days: float | None,
             service_level: float | None, no_price_rules: bool) -> None:
    """Fill a store with simulated shoppers over real websockets; write store analytics (and, for a store
    started here, its operations: alerts, price changes and the experiment's arms)."""
    import asyncio
    import dataclasses
    import time

    from rich.console import Console
    from rich.table import Table
    from tqdm import tqdm

    from recommender.models import MODELS
    from server.bots import analyse, floor_heatmap
    from server.bots import simulate as run_bots
    from store.experiments import Subject
    from store.settings import OpsSettings

    if ab == "recommender" and not set(arms) <= set(MODELS):
        _fail(f"--arms {' '.join(arms)}: each must be one of {', '.join(MODELS)}")
    data_dir.mkdir(parents=True, exist_ok=True)
    server = None
    started = time.time()
    settings = OpsSettings.load()
    changes = {"lead_time_days": lead_time_days, "service_level": service_level}
    if ab:
        changes |= {"experiment": ab, "experiment_subject": Subject(ab), "recommender_arms": tuple(arms)}
    settings = dataclasses.replace(settings, day_seconds=day_seconds, experiment_active=ab is not None,
                                   **{k: v for k, v in changes.items() if v is not None})
    settings = settings.without_price_rules() if no_price_rules else settings
    if url is None:
        import secrets

        from server.local import start_local_server

        (data_dir / "operations.json").write_text(json.dumps(settings.as_dict(), indent=1))
        token = secrets.token_urlsafe(12)
        server = start_local_server(data_dir / "store", "--trust", LOOPBACK, "--ops-settings",
                                    str(data_dir / "operations.json"), "--operator-token", token)
        url = server.ws
        click.echo(f"store: {server.url}  operator dashboard: {server.url}/ops?token={token}", err=True)
    elif ab:
        _fail("--ab runs on a store started here (without --url): the experiment's report reads its database")

    async def with_progress():
        bar = tqdm(total=round(60 * minutes), unit="s", desc=f"{shoppers} shoppers in the store")
        task = asyncio.ensure_future(run_bots(url, shoppers, minutes, seed, try_on_rate))
        while not task.done():
            await asyncio.sleep(1.0)
            bar.update(min(1, bar.total - bar.n))
        bar.close()
        return task.result()

    try:
        logs, seconds = asyncio.run(with_progress())
    finally:
        if server is not None:
            server.stop()
    result = analyse(logs, seconds)
    analytics = {**result.as_dict(), "concurrent_shoppers": shoppers}
    if server is not None:
        from store.operations import operations_summary

        analytics.update(operations_summary(data_dir / "store" / "store.sqlite", settings, since=started))
    (data_dir / "analytics.json").write_text(json.dumps(analytics, indent=2))
    store = next((log.store for log in logs if log.store), None)
    if store:
        floor_heatmap(logs, store, data_dir / "floor_heatmap.png")
    table = Table(title=f"Store analytics: {result.joined} shoppers in {seconds:.0f} s")
    table.add_column("figure")
    table.add_column("value", justify="right")
    labels = {"shoppers": f"visits ({shoppers} in the store at once)", "errors": "errors from the store"}
    for key, value in result.as_dict().items():
        shown = (f"{value:.1%}" if key in ("conversion", "try_on_to_buy") else
                 ", ".join(f"{code} x{n}" for code, n in value.items()) or "none" if isinstance(value, dict) else str(value))
        table.add_row(labels.get(key, key.replace("_", " ")), shown)
    for key in ("alerts", "price_changes", "reorder_suggestions"):
        if key in analytics:
            table.add_row(key.replace("_", " "), str(analytics[key]))
    Console().print(table)
    if "ab" in analytics:
        versus = ("price rules (treatment) against list prices (control)" if ab == "pricing" else
                  f"recommender {arms[1]} (treatment) against {arms[0]} (control)")
        experiment = Table(title=f"Experiment {analytics['ab']['experiment']}: {versus}")
        arms = analytics["ab"]["arms"]
        experiment.add_column("arm")
        for key in arms["control"]:
            experiment.add_column(key.replace("_", " "), justify="right")
        for arm, figures in arms.items():
            experiment.add_row(arm, *(str(v) for v in figures.values()))
        Console().print(experiment)
        lift = analytics["ab"]["lift_revenue_pct"]
        Console().print(f"revenue per shopper, treatment over control: {lift['estimate']} % "
                        f"(95 % interval {lift['ci95'][0]} to {lift['ci95'][1]} %)")
    written = ["analytics.json"] + (["floor_heatmap.png"] if store else []) + (["operations.json", "store/"] if server else [])
    Console().print(f"wrote {', '.join(written)} in {data_dir}")
    if result.joined == 0:
        _fail(f"no bot could join the store at {url}")


@main.command()
@click.option("--data", "data_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="the store's folder (holds store.sqlite, as `fitroom serve --data` writes it)")
@click.option("--json", "as_json", is_flag=True, help="print alerts, reorder, forecast and prices as JSON")
@click.option("--approve", "approvals", multiple=True, type=int, metavar="ID",
              help="receive replenishment suggestion ID into stock (repeatable)")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 1000), help="SKUs in the forecast and chart")
@click.option("--chart", type=click.Path(path_type=Path, dir_okay=False),
              help="PNG of stock and forecast for the top SKUs [default: DATA/ops_stock.png]")
@click.option("--settings", "settings_path", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="operations settings [default: assets/operations.json]")
def ops(data_dir: Path, as_json: bool, approvals: tuple[int, ...], top: int, chart: Path | None,
        settings_path: Path | None) -> None:
    """Store operations: low-stock alerts, what to reorder, the demand forecast and prices."""
    from rich.console import Console
    from rich.table import Table

    from store.ledger import Ledger, StoreError
    from store.operations import Operations
    from store.ops_chart import stock_chart
    from store.settings import DEFAULT_SETTINGS, OpsSettings
    from store.shop import Shop

    path = data_dir / "store.sqlite"
    if not path.is_file():
        _fail(f"no store database at {path}: pass the folder `fitroom serve --data` or `fitroom simulate` wrote")
    try:
        ledger = Ledger(path)
        operations = Operations(ledger, OpsSettings.load(settings_path or DEFAULT_SETTINGS))
        Shop(ledger, operations.pricing)
        operations.replan()
        for suggestion_id in approvals:
            operations.approve(suggestion_id)
        report = operations.report(top)
        plans = sorted(operations.plans.values(), key=lambda p: -p.daily_demand)[:top]
        picture = stock_chart(ledger, operations.settings, plans, ledger.clock(), chart or data_dir / "ops_stock.png")
    except StoreError as exc:
        _fail(str(exc))
    if as_json:
        click.echo(json.dumps({**report, "chart": str(picture)}, indent=1))
        return
    console = Console()
    for title, rows in (("Low stock", report["alerts"]), ("Reorder", report["reorder"]),
                        (f"Forecast, top {top} SKUs", report["forecast"]),
                        ("Prices off list", [r for r in report["prices"] if r["price"] != r["list_price"]])):
        table = Table(title=f"{title} ({len(rows)})")
        for key in (rows[0] if rows else {"none": ""}):
            table.add_column(key.replace("_", " "), justify="left" if key in ("product", "size", "rule") else "right")
        for row in rows[:50]:
            table.add_row(*(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row.values()))
        console.print(table)
    console.print(f"chart: {picture}")


if __name__ == "__main__":
    main()
