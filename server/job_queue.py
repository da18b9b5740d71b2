"""Heavy work waiting for the worker pool: bounded, and fair between network addresses.

Jobs of one address wait in their own line and addresses take turns, so forty connections from
one address put a shopper from another at most one job behind. Avatar builds wait behind every
try-on. Sans-I/O: the server's workers `pop`; the core `push`es and asks `position`.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator

from server.actions import Job, JobKind

MAX_QUEUED = 64  # try-ons and garment checks waiting, from all addresses
MAX_QUEUED_PER_ADDRESS = 8
MAX_BACKGROUND = 256  # avatar builds waiting; beyond this a shopper keeps the stand-in body


class QueueFull(Exception):
    """No room for this job; the message says whose limit it hit."""


class _FairLine:
    """One line per address, served in turn."""

    def __init__(self) -> None:
        self.lines: OrderedDict[str, deque[Job]] = OrderedDict()
        self.count = 0

    def push(self, job: Job) -> None:
        self.lines.setdefault(job.address, deque()).append(job)
        self.count += 1

    def pop(self) -> Job | None:
        if not self.lines:
            return None
        address, line = next(iter(self.lines.items()))
        job = line.popleft()
        self.lines.pop(address)
        if line:
            self.lines[address] = line  # to the back: the other addresses go first
        self.count -= 1
        return job

    def order(self) -> Iterator[Job]:
        """The jobs in the order `pop` will return them."""
        lines = [list(line) for line in self.lines.values()]
        for depth in range(max(map(len, lines), default=0)):
            yield from (line[depth] for line in lines if depth < len(line))

    def remove(self, job_id: str) -> Job | None:
        for address, line in self.lines.items():
            for job in line:
                if job.id == job_id:
                    line.remove(job)
                    self.count -= 1
                    if not line:
                        del self.lines[address]
                    return job
        return None

    def of_address(self, address: str) -> int:
        return len(self.lines.get(address, ()))


class JobQueue:
    def __init__(self, max_queued: int = MAX_QUEUED, max_per_address: int = MAX_QUEUED_PER_ADDRESS,
                 max_background: int = MAX_BACKGROUND) -> None:
        self.urgent = _FairLine()  # try-ons and garment checks: someone is waiting for them
        self.background = _FairLine()  # avatar builds
        self.max_queued, self.max_per_address, self.max_background = max_queued, max_per_address, max_background

    def __len__(self) -> int:
        return self.urgent.count + self.background.count

    def push(self, job: Job) -> None:
        """Queue a job, or raise QueueFull saying which limit it hit."""
        if job.kind is JobKind.AVATAR:
            if self.background.count >= self.max_background:
                raise QueueFull("the avatar workshop is busy")
            self.background.push(job)
            return
        if self.urgent.count >= self.max_queued:
            raise QueueFull(f"{self.urgent.count} try-ons are waiting already; try again in a minute")
        if self.urgent.of_address(job.address) >= self.max_per_address:
            raise QueueFull(f"your network address has {self.max_per_address} try-ons waiting already")
        self.urgent.push(job)

    def pop(self) -> Job | None:
        """The next job to run: try-ons first, addresses in turn; None when there is nothing to do."""
        return self.urgent.pop() or self.background.pop()

    def position(self, job_id: str) -> int | None:
        """How many jobs will start before this one (0: it is next); None if it is not waiting."""
        for ahead, job in enumerate(self.urgent.order()):
            if job.id == job_id:
                return ahead
        for ahead, job in enumerate(self.background.order(), start=self.urgent.count):
            if job.id == job_id:
                return ahead
        return None

    def waiting(self) -> list[Job]:
        """Every waiting try-on and garment check, next first."""
        return list(self.urgent.order())

    def remove(self, job_id: str) -> Job | None:
        return self.urgent.remove(job_id) or self.background.remove(job_id)
