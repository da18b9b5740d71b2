"""Thousands of random messages against the store core and the wire format: zero crashes.

Random JSON of every shape, well-typed messages with wild values, and random bytes: each gets
either its effect or an error message; the core never raises and its state stays consistent.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.store_layout import StoreLayout
from recommender.catalog import Catalog
from recommender.recommender import Recommender
from recommender.shop import Shop
from recommender.store import Store
from server.core import Close, Job, Send, StoreCore
from server.protocol import SCHEMAS, ProtocolError, decode_transforms, parse

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
field_values = st.one_of(json_values, st.sampled_from(["P0001", "P0008", "M", "XL", "fit", "small", "S0000", "tee"]),
                         st.floats(-1e6, 1e6), st.integers(-5, 60))


@st.composite
def messages(draw):
    """A message of a known type whose fields are drawn from anything JSON can hold."""
    kind = draw(st.sampled_from(sorted(SCHEMAS) + ["teleport", ""]))
    fields = draw(st.dictionaries(st.sampled_from(sorted({f for s in SCHEMAS.values() for f in s} | {"extra"})),
                                  field_values, max_size=6))
    return json.dumps({"type": kind, **fields}, allow_nan=True)


frames = st.one_of(messages(), json_values.map(lambda v: json.dumps(v, allow_nan=True)),
                   st.text(alphabet=string.printable, max_size=80), st.binary(max_size=64))


@pytest.fixture(scope="module")
def core(tmp_path_factory):
    catalog = Catalog.load()
    store = Store(tmp_path_factory.mktemp("fuzz") / "store.sqlite", catalog)
    return StoreCore(StoreLayout.load(catalog), Shop(store), Recommender(store, catalog), designer_token="t",
                     rate_per_second=1e9, burst=1e9)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(frames, min_size=1, max_size=4))
def test_random_messages_never_crash_the_core(core, batch):
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


@settings(max_examples=2000, deadline=None)
@given(frame=frames)
def test_parse_accepts_or_names_the_problem(frame):
    try:
        message = parse(frame)
    except ProtocolError as exc:
        assert exc.code and exc.message
    else:
        assert message["type"] in SCHEMAS


@settings(max_examples=1000, deadline=None)
@given(frame=st.binary(max_size=80))
def test_binary_frames_decode_or_are_refused(frame):
    try:
        _, _, _, entries = decode_transforms(frame)
    except ProtocolError as exc:
        assert exc.code == "bad_frame"
    else:
        assert len(frame) == 16 + 8 * len(entries)
