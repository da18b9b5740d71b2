"""The shop counter: products picked up, size advice, fit feedback, the cart, orders and recommendations.

A mixin of `server.core.StoreCore` (which holds the state); sans-I/O like the rest of the core.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from msgspec import UNSET

from engine.size import chart_ease
from recommender.guide import Guide
from recommender.intent import IntentError
from server.actions import Action, Close, send
from server.messages import (
    Ask,
    AskSize,
    Buy,
    Cart,
    CartAdd,
    CartRemove,
    ChooseSize,
    Feedback,
    FeedbackSaved,
    ForgetMe,
    Forgotten,
    GuideAnswer,
    Order,
    PersonaInfo,
    PersonaRequest,
    Pick,
    Ping,
    Pong,
    ProductInfo,
    Recommend,
    Recommendations,
    ShopperChanged,
    SizeAdvice,
    SizeChosen,
    Stock,
)
from server.protocol import ProtocolError

if TYPE_CHECKING:
    from server.core import Client, StoreCore
    from server.floor import Shopper


class CounterHandlers:
    def _on_pick(self: StoreCore, client: Client, message: Pick) -> list[Action]:
        product = self.catalog.get(message.product)
        shopper = self.shoppers[client.shopper]
        shopper.holding = product.id
        self.shop.store.record(shopper.id, product.id, "view")
        return self._reply(client, ProductInfo(self._product(product.id, shopper.id))) + [
            send(ShopperChanged(shopper.id, holding=product.id), exclude=client.id)]

    def _size_advice(self: StoreCore, shopper: Shopper, product_id: str) -> SizeAdvice:
        if self.recommender is None:
            raise ProtocolError("unavailable", "size advice is not available in this store")
        advice = self.recommender.size_for(shopper.id, product_id)
        product = self.catalog.get(product_id)
        regions = {} if advice.size is None else chart_ease(
            product.category, product.gender, advice.size, self.recommender.body_cm(shopper.id))
        return SizeAdvice(product_id, advice.size, advice.reason, round(advice.score, 3), regions)

    def _on_ask_size(self: StoreCore, client: Client, message: AskSize) -> list[Action]:
        self.catalog.get(message.product)
        return self._reply(client, self._size_advice(self.shoppers[client.shopper], message.product))

    def _on_choose_size(self: StoreCore, client: Client, message: ChooseSize) -> list[Action]:
        product = self.catalog.check_size(message.product, message.size)
        return self._reply(client, SizeChosen(product.id, message.size, product.in_stock(message.size)))

    def _on_feedback(self: StoreCore, client: Client, message: Feedback) -> list[Action]:
        self.catalog.check_size(message.product, message.size)
        self.shop.store.feedback(client.shopper, message.product, message.size, message.verdict,
                                 None if message.region is UNSET else message.region)
        return self._reply(client, FeedbackSaved(message.product, message.size))

    def _on_cart_add(self: StoreCore, client: Client, message: CartAdd) -> list[Action]:
        self.catalog.check_size(message.product, message.size)
        return self._reply(client, Cart(self.shop.add_to_cart(client.shopper, message.product, message.size,
                                                              message.quantity)))

    def _on_cart_remove(self: StoreCore, client: Client, message: CartRemove) -> list[Action]:
        return self._reply(client, Cart(self.shop.remove_from_cart(client.shopper, message.product, message.size)))

    def _on_buy(self: StoreCore, client: Client, message: Buy) -> list[Action]:
        order = self.shop.buy(client.shopper)
        actions = self._reply(client, Order(order.id, order.total, order.lines)) + self._reply(client, Cart([]))
        for product in sorted({line["product"] for line in order.lines}):
            sold_out = [size for p, size in order.sold_out if p == product]
            actions.append(send(Stock(product, dict(self.catalog.get(product).sizes), sold_out)))
        return actions + self.stock_changed([(line["product"], line["size"]) for line in order.lines])

    def _on_recommend(self: StoreCore, client: Client, message: Recommend) -> list[Action]:
        if self.recommender is None:
            raise ProtocolError("unavailable", "recommendations are not available in this store")
        price = None if message.max_price is UNSET else (0.0, message.max_price)
        category = None if message.category is UNSET else message.category
        items = self.recommender.recommend(client.shopper, message.k, category, price)
        return self._reply(client, Recommendations([r.as_dict() for r in items]))

    def _on_ask(self: StoreCore, client: Client, message: Ask) -> list[Action]:
        if self.recommender is None:
            raise ProtocolError("unavailable", "the shopping guide is not available in this store")
        if self._guide is None or self._guide.recommender is not self.recommender:  # retrained since
            self._guide = Guide(self.recommender)
        try:
            answer = self._guide.ask(message.text, client.shopper, message.k)
        except IntentError as exc:
            raise ProtocolError("unreadable", str(exc)) from None
        return self._reply(client, GuideAnswer(**answer.as_dict()))

    def _on_persona(self: StoreCore, client: Client, message: PersonaRequest) -> list[Action]:
        if self.recommender is None:
            raise ProtocolError("unavailable", "personas are not available in this store")
        return self._reply(client, PersonaInfo(self.recommender.persona(client.shopper).as_dict()))

    def _on_forget_me(self: StoreCore, client: Client, message: ForgetMe) -> list[Action]:
        shopper = client.shopper
        deleted = self.shop.store.forget(shopper)
        if self.recommender is not None:
            self.recommender.forget(shopper)
        actions = self._leave_floor(shopper)
        client.shopper = None
        return actions + self._reply(client, Forgotten(deleted)) + [Close(client.id, 1000, "your data is deleted")]

    def _on_ping(self: StoreCore, client: Client, message: Ping) -> list[Action]:
        return self._reply(client, Pong(None if message.t is UNSET else message.t, self.clock()))
