"""Budgets per network address: connections open, joins and messages over time.

A client that reconnects in a loop gets a fresh connection each time but the same address, so
the store's costs (a shopper row and a ~100 KB snapshot a join, handler work a message) are
bounded per address, not per connection. Trusted addresses (the machine's own bots and load
tests, `fitroom serve --trust`) are exempt. Sans-I/O: the clock is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"


@dataclass
class Bucket:
    """Token bucket: `rate` tokens a second, at most `burst` saved."""

    rate: float
    burst: float
    tokens: float = -1.0  # full at first use
    at: float = 0.0

    def take(self, now: float) -> bool:
        self.tokens = self.burst if self.tokens < 0 else min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True

    def full(self, now: float) -> bool:
        return self.tokens < 0 or self.tokens + (now - self.at) * self.rate >= self.burst


@dataclass(frozen=True)
class AddressLimits:
    connections: int = 32
    joins_per_minute: float = 30.0
    join_burst: float = 30.0
    messages_per_second: float = 200.0
    message_burst: float = 400.0
    trusted: frozenset[str] = frozenset()


@dataclass
class _Address:
    joins: Bucket
    messages: Bucket
    connections: int = 0


@dataclass
class AddressBudgets:
    limits: AddressLimits = field(default_factory=AddressLimits)
    _addresses: dict[str, _Address] = field(default_factory=dict)

    def _of(self, address: str) -> _Address:
        entry = self._addresses.get(address)
        if entry is None:
            limits = self.limits
            entry = self._addresses[address] = _Address(Bucket(limits.joins_per_minute / 60.0, limits.join_burst),
                                                        Bucket(limits.messages_per_second, limits.message_burst))
        return entry

    def admits(self, address: str) -> bool:
        """May `address` open one more connection?"""
        return address in self.limits.trusted or self._of(address).connections < self.limits.connections

    def opened(self, address: str) -> None:
        self._of(address).connections += 1

    def closed(self, address: str) -> None:
        self._of(address).connections -= 1  # `sweep` forgets the address once nothing is owed

    def join(self, address: str, now: float) -> bool:
        return address in self.limits.trusted or self._of(address).joins.take(now)

    def message(self, address: str, now: float) -> bool:
        return address in self.limits.trusted or self._of(address).messages.take(now)

    def __len__(self) -> int:
        return len(self._addresses)

    def sweep(self, now: float) -> None:
        """Forget addresses with nothing open and nothing owed."""
        for address in [a for a, e in self._addresses.items()
                        if e.connections <= 0 and e.joins.full(now) and e.messages.full(now)]:
            del self._addresses[address]


class TooManyConnections(Exception):
    """An address has as many connections open as it may."""
