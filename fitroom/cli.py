"""The `fitroom` command line: avatars from measurements, renders (more commands as they land)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from avatars.measurements import BODY_MEASUREMENTS, MEASUREMENT_KEYS

MEASUREMENT_HELP = "\n".join(f"  {s.key:<17} {s.iso} [{s.low:g}-{s.high:g} cm]" for s in BODY_MEASUREMENTS)


def _fail(message: str) -> None:
    click.echo(f"fitroom: error: {message}", err=True)
    sys.exit(2)


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
        except (OSError, json.JSONDecodeError) as exc:
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
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="write the avatar as .glb or .obj")
@click.option("--report", type=click.Path(path_type=Path, dir_okay=False),
              help="write requested/measured/error_mm/seconds as JSON")
@click.option("--render", type=click.Path(path_type=Path, dir_okay=False),
              help="write a PNG of the front, side and back views")
@click.option("--turntable", type=click.Path(path_type=Path, dir_okay=False), help="write a turntable .mp4 or .gif")
@click.option("--pose", type=click.Choice(["A", "T"]), default="A", show_default=True, help="pose for export and render")
@click.option("--renderer", type=click.Choice(["auto", "gl", "raster"]), default="auto", show_default=True,
              help="pyrender through OSMesa/EGL, or the numpy rasteriser")
@click.option("--size", type=int, default=512, show_default=True, help="pixel size of each rendered view")
def avatar(measurements_file: Path | None, out: Path | None, report: Path | None, render: Path | None,
           turntable: Path | None, pose: str, renderer: str, size: int, **measurements: Any) -> None:
    """Build an avatar that has the given body measurements, and prove it."""
    from avatars import Avatar, AvatarError, BodyMeasurements
    from avatars.body_model import load_body_model

    data = _read_measurements(measurements_file, measurements)
    try:
        body = BodyMeasurements.from_dict(data)
        load_body_model()
        avatar = Avatar.from_measurements(body)
        posed = None if pose == "A" else avatar.posed(preset=pose)
    except AvatarError as exc:
        _fail(str(exc))
    result = avatar.report()
    if out:
        avatar.export(out, posed)  # the standing body carries its skeleton; a posed one is as posed
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result, indent=2))
    if render or turntable:
        from engine.render import RenderItem, render_views, save_png
        from engine.render import turntable as render_turntable

        items = [RenderItem(posed if posed is not None else avatar.mesh, material="skin")]
        if render:
            save_png(render_views(items, size=(size, 2 * size), backend=renderer), render)
        if turntable:
            render_turntable(items, turntable, size=(size, 2 * size), backend=renderer)
    _print_summary(result)


def _print_summary(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"avatar fitted in {result['seconds']:.2f} s")
    for column in ("measurement", "requested cm", "measured cm", "error mm", ""):
        table.add_column(column, justify="right" if "cm" in column or "mm" in column else "left")
    for key in MEASUREMENT_KEYS:
        filled = "filled" if key in result["filled_from_population"] else ""
        table.add_row(key, f"{result['requested'][key]:.1f}", f"{result['measured'][key]:.1f}",
                      f"{result['error_mm'][key]:+.1f}", filled)
    Console(stderr=True).print(table)


if __name__ == "__main__":
    main()
