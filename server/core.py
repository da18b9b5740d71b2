"""The store's sans-I/O core: shoppers, messages, ticks and jobs, with no sockets in sight.

`receive(client, frame)` decodes one client message into its type (`server.messages`) and hands
it to its handler, returning actions: `Send` (text or binary to some clients, or all), `Close`
(code and reason) and `Job` (heavy work, such as a try-on, for the I/O layer's worker pool,
answered by `job_done`). The handlers live by concern: the floor and its shoppers
(`server.floor`), the shop counter (`server.counter`), the fitting rooms (`server.fitting`) and
the designers' studio (`server.studio`). Tests drive this class directly; `server.app` connects
it to websockets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from avatars.errors import MeasurementError
from recommender.guide import Guide
from recommender.recommender import Recommender
from server.actions import Action, Close, Job, JobKind, Send, send
from server.back_office import BackOfficeHandlers
from server.counter import CounterHandlers
from server.fitting import FittingHandlers
from server.floor import FloorHandlers, Shopper
from server.job_queue import JobQueue
from server.limits import AddressBudgets, Bucket, TooManyConnections
from server.messages import (
    ClientMessage,
    Error,
    Join,
    ProductRecord,
    ServerMessage,
    Stock,
    tag,
)
from server.protocol import ProtocolError, parse
from server.studio import StudioHandlers
from server.uploads import Uploads
from store.catalog import Catalog, CatalogError
from store.experiments import Arm
from store.layout import StoreLayout
from store.ledger import StoreError
from store.operations import Operations
from store.shop import Shop

__all__ = ["Action", "Client", "Close", "Job", "JobKind", "Send", "Shopper", "StoreCore", "TooManyConnections"]
FLOOD_STRIKES = 50  # rate-limited messages before the client is dropped (1008)


@dataclass
class Client:
    id: int
    address: str = "local"
    shopper: str | None = None
    designer: bool = False
    operator: bool = False
    acked_tick: int = -1  # the tick whose transforms this client has; -1: needs a keyframe
    bucket: Bucket = field(default_factory=lambda: Bucket(0.0, 0.0))  # this connection's messages
    strikes: int = 0
    job: str | None = None


@dataclass
class StoreCore(FloorHandlers, CounterHandlers, FittingHandlers, StudioHandlers, BackOfficeHandlers):
    layout: StoreLayout
    shop: Shop
    recommender: Recommender | None = None
    designer_token: str | None = None
    operations: Operations | None = None
    operator_token: str | None = None
    tick_hz: float = 20.0
    keyframe_seconds: float = 2.0
    rate_per_second: float = 40.0
    burst: float = 80.0
    naive: bool = False  # the benchmark's baseline: full JSON state to everyone every tick
    crowd: int = 64  # with more shoppers than this, deltas carry only those near each client (server.floor)
    clock: Callable[[], float] = time.time
    clients: dict[int, Client] = field(default_factory=dict)
    shoppers: dict[str, Shopper] = field(default_factory=dict)
    tick_no: int = 0
    _history: dict[int, np.ndarray] = field(default_factory=dict)  # tick -> transforms sent (protocol.ENTRY_DTYPE)
    _jobs: dict[str, Job] = field(default_factory=dict)  # queued or running, by id
    queue: JobQueue = field(default_factory=JobQueue)
    uploads: Uploads = field(default_factory=Uploads)
    garments: dict[str, dict] = field(default_factory=dict)  # uploaded garment id -> file, category, size
    budgets: AddressBudgets = field(default_factory=AddressBudgets)
    _next_client: int = 0
    _layout_cache: dict | None = None
    drape_seconds: float = 6.0  # a try-on's recent duration (moving average), for progress estimates
    _drape_started: dict[str, float] = field(default_factory=dict)
    _guide: Guide | None = None  # built on the first question, again after the recommender is retrained
    _products_cache: dict[Arm | None, tuple[tuple, list[ProductRecord]]] = field(default_factory=dict)

    @property
    def catalog(self) -> Catalog:
        return self.shop.catalog

    # --- connections ---------------------------------------------------------------------------
    def connect(self, address: str = "local") -> int:
        """A new connection's client id; TooManyConnections when its address has its share open."""
        if not self.budgets.admits(address):
            raise TooManyConnections(f"at most {self.budgets.limits.connections} connections from one address")
        self.budgets.opened(address)
        self._next_client += 1
        self.clients[self._next_client] = Client(self._next_client, address,
                                                 bucket=Bucket(self.rate_per_second, self.burst))
        return self._next_client

    def disconnect(self, client_id: int) -> list[Action]:
        client = self.clients.pop(client_id, None)
        self.uploads.drop(client_id)
        if client is None:
            return []
        self.budgets.closed(client.address)
        if client.job is not None and self.queue.remove(client.job) is not None:
            self._jobs.pop(client.job, None)  # nobody is waiting for it any more
        if client.shopper is None:
            return []
        return self._leave_floor(client.shopper)

    def receive(self, client_id: int, data: str | bytes) -> list[Action]:
        """Apply one frame from a client; errors become error messages (and a close when fatal)."""
        client = self.clients.get(client_id)
        if client is None:
            return []
        now = self.clock()
        if not client.bucket.take(now) or not self.budgets.message(client.address, now):
            client.strikes += 1
            if client.strikes > FLOOD_STRIKES:
                return [Close(client_id, 1008, f"flooding: more than {self.rate_per_second:g} messages per second")]
            return [self._error(client_id, "rate_limited", f"slow down: at most {self.rate_per_second:g} messages per "
                                f"second, {self.budgets.limits.messages_per_second:g} from one address")]
        try:
            message = parse(data)
            if client.shopper is None and not isinstance(message, Join):
                raise ProtocolError("not_joined", 'the first message must be {"type": "join", ...}')
            return self._handler(message)(client, message)
        except ProtocolError as exc:
            actions: list[Action] = [self._error(client_id, exc.code, exc.message)]
            reason = exc.message.encode()[:120].decode(errors="ignore")  # a close reason fits in 123 bytes
            return actions + [Close(client_id, 1008, reason)] if exc.fatal else actions
        except CatalogError as exc:
            return [self._error(client_id, "unknown_product", str(exc))]
        except MeasurementError as exc:
            return [self._error(client_id, "bad_measurements", str(exc))]
        except StoreError as exc:
            return [self._error(client_id, "rejected", str(exc))]

    def _handler(self, message: ClientMessage) -> Callable[[Client, ClientMessage], list[Action]]:
        return getattr(self, f"_on_{tag(type(message))}")

    @staticmethod
    def _error(client_id: int, code: str, message: str) -> Send:
        return send(Error(code, message), (client_id,))

    @staticmethod
    def _reply(client: Client, message: ServerMessage) -> list[Action]:
        return [send(message, (client.id,))]

    def _layout_record(self) -> dict:
        """The store layout as clients get it (it does not change while the store is open)."""
        if self._layout_cache is None:
            self._layout_cache = self.layout.as_dict()
        return self._layout_cache

    def _product_records(self, shopper_id: str) -> list[ProductRecord]:
        """Every product with its stock and this shopper's prices, rebuilt only when some stock or price
        changed since the last join of a shopper in the same experiment arm."""
        arm = self.shop.store.arm(shopper_id)
        stock = tuple(n for p in self.catalog.products.values() for n in p.sizes.values())
        key = (stock, self.shop.pricing.version if self.shop.pricing else 0)
        if arm not in self._products_cache or self._products_cache[arm][0] != key:
            self._products_cache[arm] = (key, [self._product(p, shopper_id) for p in self.catalog.products])
        return self._products_cache[arm][1]

    def _stock(self, product_id: str) -> Send:
        """Everyone hears a product's stock per size and which sizes are sold out."""
        product = self.catalog.get(product_id)
        return send(Stock(product.id, dict(product.sizes), [s for s, n in product.sizes.items() if n == 0]))

    def _product(self, product_id: str, shopper_id: str) -> ProductRecord:
        p = self.catalog.get(product_id)
        return ProductRecord(p.id, p.name, p.category, p.gender, list(p.colours), p.hex,
                             self.shop.price_for(shopper_id, p.id), p.style, dict(p.sizes),
                             self.layout.placements.get(p.id), p.price, p.pattern, p.accent_hex)
