"""What a hostile or careless client can do, held to its budget: floods, reconnect loops, queue hogs, disk."""

from __future__ import annotations

import json
import os
import time

from test_protocol_fuzz import make_core

from server.actions import Job, JobKind, Send
from server.files import Retention, collect
from server.job_queue import JobQueue, QueueFull
from server.limits import AddressBudgets, AddressLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def answer_types(actions) -> list[str]:
    return [json.loads(a.data)["type"] for a in actions if isinstance(a, Send) and isinstance(a.data, str)]


def test_a_reconnecting_flooder_is_held_to_its_address_budget(tmp_path):
    core = make_core(tmp_path)
    core.budgets = AddressBudgets(AddressLimits())  # nobody trusted
    core.clock = clock = Clock()
    accepted = joined = refused_connections = 0
    for second in range(120):  # two minutes of reconnecting as fast as possible
        clock.now = 1000.0 + second
        for _ in range(50):
            try:
                client = core.connect("10.0.0.66")
            except Exception:
                refused_connections += 1
                continue
            joined += any(kind == "snapshot" for kind in answer_types(core.receive(client, '{"type": "join"}')))
            accepted += sum(answer_types(core.receive(client, '{"type": "ping"}')) == ["pong"] for _ in range(100))
            core.disconnect(client)
    limits = core.budgets.limits
    print(f"flooder: {joined} joins, {accepted} pings answered, {refused_connections} connections refused")
    assert joined <= limits.join_burst + limits.joins_per_minute * 2 + 1
    assert accepted <= limits.message_burst + limits.messages_per_second * 120
    rows = core.shop.store.db.execute("SELECT COUNT(*) FROM shoppers").fetchone()[0]
    assert rows == joined  # one shopper row per join the budget let through, no more
    # another address is untouched by the flooder
    other = core.connect("10.0.0.7")
    assert '"snapshot"' in core.receive(other, json.dumps({"type": "join"}))[0].data


def test_connections_per_address_are_capped_and_freed():
    budgets = AddressBudgets(AddressLimits(connections=3))
    for _ in range(3):
        assert budgets.admits("a")
        budgets.opened("a")
    assert not budgets.admits("a") and budgets.admits("b")
    budgets.closed("a")
    assert budgets.admits("a")


def test_a_victim_waits_at_most_one_job_behind_forty_attacker_connections():
    queue = JobQueue()
    for n in range(40):  # forty attacker connections, one try-on each, from one address
        try:
            queue.push(Job(f"X{n}", JobKind.TRY_ON, n, {}, address="6.6.6.6"))
        except QueueFull:
            pass
    assert queue.urgent.count == queue.max_per_address  # the rest were refused (queue_full)
    queue.push(Job("V", JobKind.TRY_ON, 99, {}, address="1.2.3.4"))
    assert queue.position("V") <= 1
    started = [queue.pop().id for _ in range(2)]
    assert "V" in started


def test_positions_are_true_and_avatars_wait_behind_try_ons():
    queue = JobQueue()
    queue.push(Job("A1", JobKind.AVATAR, 1, {}, address="a"))
    queue.push(Job("T1", JobKind.TRY_ON, 2, {}, address="a"))
    queue.push(Job("T2", JobKind.TRY_ON, 3, {}, address="b"))
    queue.push(Job("T3", JobKind.TRY_ON, 4, {}, address="a"))
    assert [queue.position(j) for j in ("T1", "T2", "T3", "A1")] == [0, 1, 2, 3]
    assert [queue.pop().id for _ in range(4)] == ["T1", "T2", "T3", "A1"] and queue.pop() is None


def test_old_try_on_files_are_collected_by_age_and_size(tmp_path):
    now = 1_000_000.0
    for n in range(10):
        path = tmp_path / f"J{n}.glb"
        path.write_bytes(b"x" * 1000)
        os.utime(path, (now - 100 * n, now - 100 * n))  # J9 is the oldest
    removed, _ = collect(tmp_path, Retention(max_age_seconds=650, max_bytes=10**9), now)
    assert removed == 3 and not (tmp_path / "J7.glb").exists() and (tmp_path / "J6.glb").exists()
    removed, _ = collect(tmp_path, Retention(max_age_seconds=10**9, max_bytes=3500), now)
    assert removed == 4 and sorted(p.name for p in tmp_path.iterdir()) == ["J0.glb", "J1.glb", "J2.glb"]


def test_uploaded_garments_survive_a_restart(tmp_path):
    core = make_core(tmp_path)
    garment = tmp_path / "G1.glb"
    garment.write_bytes(b"glTF")
    record = {"file": str(garment), "name": "tee.glb", "category": "tee", "size": "M", "fabric": None,
              "url": "/files/garments/G1.glb", "vertices": 10, "faces": 12}
    core.remember_garment("G1", record)
    core.remember_garment("G2", {**record, "file": str(tmp_path / "gone.glb")})  # its file was deleted since
    restarted = make_core(tmp_path)
    restarted.load_garments()
    assert restarted.garments == {"G1": record}


def test_shoppers_who_did_nothing_are_forgotten_and_the_others_kept(tmp_path):
    core = make_core(tmp_path)
    shop = core.shop
    for shopper in ("idle", "viewer", "here"):
        shop.register(shopper, shopper, {"stature": 170.0})
    shop.store.record("viewer", "P0001", "view")
    assert shop.forget_idle_shoppers(joined_before=time.time() + 1, keep={"here"}) == 1
    ids = {row[0] for row in shop.db.execute("SELECT id FROM shoppers")}
    assert ids == {"viewer", "here"}
    assert shop.forget_idle_shoppers(joined_before=0.0) == 0  # nobody joined before 1970
