"""The back office: stock alerts and reorder suggestions pushed to operators, approvals, prices.

A mixin of `server.core.StoreCore` (which holds the state); sans-I/O like the rest of the core.
Operators are clients that joined with the operator token. Every alert, suggestion and price is
written to SQLite before its message is sent, so what a client was told survives a crash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from server.actions import Action, send
from server.messages import (
    ApproveReorder,
    Price,
    ReorderApproved,
    ReorderSuggested,
    SetPrice,
    StockAlert,
)
from server.protocol import ProtocolError
from store.experiments import Arm
from store.operations import Operations, OpsUpdate
from store.pricing import PriceRule
from store.replenishment import Sku

if TYPE_CHECKING:
    from server.core import Client, StoreCore


class BackOfficeHandlers:
    def _back_office(self: StoreCore, client: Client, what: str) -> Operations:
        if not client.operator:
            raise ProtocolError("forbidden", f"{what} needs an operator token at join")
        if self.operations is None:
            raise ProtocolError("unavailable", "store operations are not running in this store")
        return self.operations

    def _operator_ids(self: StoreCore) -> tuple[int, ...]:
        return tuple(c.id for c in self.clients.values() if c.operator)

    def ops_actions(self: StoreCore, update: OpsUpdate) -> list[Action]:
        """Alerts and suggestions to operators; each price change to the shoppers who pay it."""
        operators = self._operator_ids()
        actions: list[Action] = []
        if operators:
            actions += [send(StockAlert(a.product, a.size, a.stock, a.reorder_point), operators) for a in update.alerts]
            actions += [send(ReorderSuggested(s.id, s.product, s.size, s.quantity), operators) for s in update.suggestions]
        if update.prices:
            experiment = self.operations.pricing.experiment  # None unless the experiment is on prices
            paying = tuple(c.id for c in self.clients.values() if c.shopper is not None and
                           (c.operator or experiment is None or experiment.arm(c.shopper) is not Arm.CONTROL))
            actions += [send(Price(p.product, p.list_price, p.price, str(p.rule)), paying) for p in update.prices]
        return actions

    def replan(self: StoreCore) -> list[Action]:
        """One operations cycle (forecast, alerts, suggestions, price rules); the I/O layer runs it on a timer."""
        return [] if self.operations is None else self.ops_actions(self.operations.replan(self.shop.store.clock()))

    def stock_changed(self: StoreCore, skus: list[Sku]) -> list[Action]:
        return [] if self.operations is None else self.ops_actions(self.operations.stock_changed(skus))

    def _on_approve_reorder(self: StoreCore, client: Client, message: ApproveReorder) -> list[Action]:
        suggestion, update = self._back_office(client, "approving a reorder").approve(message.suggestion)
        count = self.catalog.get(suggestion.product).sizes[suggestion.size]
        return (self._reply(client, ReorderApproved(suggestion.id, suggestion.product, suggestion.size,
                                                    suggestion.quantity, count))
                + [self._stock(suggestion.product)] + self.ops_actions(update))

    def _on_set_price(self: StoreCore, client: Client, message: SetPrice) -> list[Action]:
        operations = self._back_office(client, "setting a price")
        change = operations.pricing.set_price(message.product, message.price, PriceRule.MANUAL,
                                              self.shop.store.clock())
        if change is None:  # already that price: say so to the operator only
            product = self.catalog.get(message.product)
            return self._reply(client, Price(product.id, product.price, operations.pricing.price(product.id),
                                             str(operations.pricing.rule(product.id))))
        return self.ops_actions(OpsUpdate(prices=[change]))
