"""docs/protocol.md's message reference is generated from the types, and every type is in the prose too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from server.messages import CLIENT_MESSAGES, SERVER_MESSAGES, tag

ROOT = Path(__file__).resolve().parent.parent


def test_the_reference_matches_the_types():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "protocol_doc.py"), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def test_every_message_type_is_described_before_the_reference():
    prose = (ROOT / "docs" / "protocol.md").read_text().split("## Reference")[0]
    missing = [tag(t) for t in (*CLIENT_MESSAGES, *SERVER_MESSAGES) if f"`{tag(t)}`" not in prose and
               f'"{tag(t)}"' not in prose and tag(t) not in ("state",)]
    assert missing == []
