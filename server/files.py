"""Old try-on files collected by age and by the folder's total size, oldest first.

Each try-on writes about 1.8 MB (garment GLB, heat-map GLB, fit map PNG) that a shopper's page
loads once; nothing else refers to them after that, so without collection the data folder grows
forever. Uploaded garments are never collected: designers' ids point at them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Retention:
    max_age_seconds: float = 6 * 3600.0
    max_bytes: int = 2 * 1024**3


def collect(folder: Path, retention: Retention, now: float | None = None) -> tuple[int, int]:
    """Delete files in `folder` older than the retention, then the oldest until it fits; (files, bytes) removed."""
    now = time.time() if now is None else now
    entries = []
    for path in folder.glob("*") if folder.is_dir() else ():
        try:
            stat = path.stat()
        except FileNotFoundError:  # another process collected it
            continue
        if path.is_file():
            entries.append((stat.st_mtime, stat.st_size, path))
    entries.sort()
    total = sum(size for _, size, _ in entries)
    removed = freed = 0
    for mtime, size, path in entries:
        if now - mtime <= retention.max_age_seconds and total <= retention.max_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size
        removed, freed = removed + 1, freed + size
    return removed, freed
