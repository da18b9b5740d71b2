"""Imports point one way: avatars -> engine -> store -> recommender -> server -> fitroom (the CLI).

The engine runs offline without the shop, the shop without sockets; a module that imports a layer
above its own fails here, naming the file and the import.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("avatars", "engine", "store", "recommender", "server", "fitroom")


def imported_packages(path: Path) -> set[str]:
    """Top-level names a module imports (absolute imports, lazy ones inside functions too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_import_points_down_the_layers():
    upward = []
    for rank, layer in enumerate(LAYERS):
        above = set(LAYERS[rank + 1:])
        for path in sorted((ROOT / layer).rglob("*.py")):
            upward += [f"{path.relative_to(ROOT)} imports {name}" for name in sorted(imported_packages(path) & above)]
    assert not upward, "imports that run up the layers:\n" + "\n".join(upward)


def test_the_scan_sees_imports_that_would_break_the_rule(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from recommender.recommender import Recommender\nimport store.ledger\n")
    assert imported_packages(module) >= {"recommender", "store"}
