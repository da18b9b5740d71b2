"""Thousands of random messages against the store core and the wire format: zero crashes.

Random JSON of every shape, well-typed messages with wild values, and random bytes: each gets
either its effect or an error message; the core never raises and its state stays consistent.
The normal run is derandomized (the `ci` profile in conftest.py), so it passes or fails the same
way every time; `make fuzz` runs it long and random, and any failure it finds is appended to
`tests/fuzz_regressions.jsonl`, which `test_saved_regressions_stay_fixed` replays on every run.
"""

from __future__ import annotations

import atexit
import json
import os
import string
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender.recommender import Recommender
from server.core import Close, Job, Send, StoreCore
from server.limits import AddressBudgets, AddressLimits
from server.messages import CLIENT_MESSAGES, tag
from server.protocol import TYPES, ProtocolError, decode_transforms, parse
from store.catalog import Catalog
from store.layout import StoreLayout
from store.ledger import Ledger
from store.operations import Operations
from store.shop import Shop

REGRESSIONS = Path(__file__).with_name("fuzz_regressions.jsonl")
FIELDS = sorted({f.name for t in CLIENT_MESSAGES for f in msgspec.structs.fields(t)} | {"extra"})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.integers(-10**400, 10**400)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(json_values, st.sampled_from(["P0001", "P0008", "M", "XL", "fit", "small", "S0000", "tee", "glb"]),
                         st.floats(-1e6, 1e6), st.integers(-5, 60))


@st.composite
def messages(draw):
    """A message of a known type whose fields are drawn from anything JSON can hold."""
    kind = draw(st.sampled_from(list(TYPES) + ["teleport", ""]))
    fields = draw(st.dictionaries(st.sampled_from(FIELDS), field_values, max_size=6))
    return json.dumps({"type": kind, **fields}, allow_nan=True)


frames = st.one_of(messages(), json_values.map(lambda v: json.dumps(v, allow_nan=True)),
                   st.text(alphabet=string.printable, max_size=80), st.binary(max_size=64))


def make_core(folder: Path) -> StoreCore:
    catalog = Catalog.load()
    store = Ledger(folder / "store.sqlite", catalog)
    operations = Operations(store)
    return StoreCore(StoreLayout.load(catalog), Shop(store, operations.pricing), Recommender(store, catalog),
                     designer_token="t", operations=operations, operator_token="o", rate_per_second=1e9, burst=1e9, budgets=AddressBudgets(AddressLimits(trusted=frozenset({"local"}))))


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    return make_core(tmp_path_factory.mktemp("fuzz"))


def play(core: StoreCore, batch: list) -> None:
    """Join, send the batch, tick and leave, checking every answer and the floor after."""
    client = core.connect()
    core.receive(client, json.dumps({"type": "join"}))
    for frame in batch:
        actions = core.receive(client, frame)
        for action in actions:
            assert isinstance(action, (Send, Close, Job))
            if isinstance(action, Send) and isinstance(action.data, str):
                assert isinstance(json.loads(action.data)["type"], str)  # answers are valid JSON
        if any(isinstance(a, Close) for a in actions):
            break
    core.tick()
    core.disconnect(client)
    assert all(s.client in core.clients for s in core.shoppers.values())  # nobody left behind
    assert all(-core.layout.width_m / 2 <= s.x <= core.layout.width_m / 2 for s in core.shoppers.values())


_failures: dict[str, list] = {}  # the shortest failing batch per error, saved at exit by `make fuzz`


@atexit.register
def _save_failures() -> None:
    if _failures and os.environ.get("FITROOM_FUZZ_SAVE"):
        with REGRESSIONS.open("a") as out:
            for batch in _failures.values():
                out.write(json.dumps([f if isinstance(f, str) else {"bytes": f.hex()} for f in batch]) + "\n")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(frames, min_size=1, max_size=4))
def test_random_messages_never_crash_the_core(core, batch):
    try:
        play(core, batch)
    except Exception as exc:
        key = f"{type(exc).__name__}: {str(exc)[:80]}"
        if key not in _failures or len(json.dumps(batch, default=str)) < len(json.dumps(_failures[key], default=str)):
            _failures[key] = batch
        raise


def test_saved_regressions_stay_fixed(tmp_path):
    core = make_core(tmp_path)
    lines = REGRESSIONS.read_text().splitlines() if REGRESSIONS.exists() else []
    for line in lines:
        play(core, [f if isinstance(f, str) else bytes.fromhex(f["bytes"]) for f in json.loads(line)])



@given(frame=frames)
def test_parse_accepts_or_names_the_problem(frame):
    try:
        message = parse(frame)
    except ProtocolError as exc:
        assert exc.code and exc.message
    else:
        assert tag(type(message)) in TYPES



@given(frame=st.binary(max_size=80))
def test_binary_frames_decode_or_are_refused(frame):
    try:
        _, _, _, entries = decode_transforms(frame)
    except ProtocolError as exc:
        assert exc.code == "bad_frame"
    else:
        assert len(frame) == 16 + 8 * len(entries)
