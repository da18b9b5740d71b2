"""What every benchmark shares: a command line with `--json PATH`, and writing its figures there."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """The benchmark's argument parser (its docstring as help), with `--json` already on it."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    return parser


def save(path: Path | None, figures: dict[str, Any]) -> None:
    """Write the figures as JSON when a path was given."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(figures, indent=2))
