"""Simulated shoppers: bots that join over real websockets, walk, browse, try on and buy.

Each bot has a body (drawn from the ANSUR population), a taste (categories, colours, a budget)
and a temper (how often it asks for advice, tries on, follows recommendations, buys). Bots make
the store alive for demos, load for benchmarks and interaction logs for the recommender; what
they saw and did becomes the store analytics (`Analytics`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from avatars.population import sample_bodies
from engine.garments.charts import CATEGORIES, CHART_GENDER
from store.catalog import COLOURS
from store.layout import StoreLayout

WALK_SPEED = 1.2  # m/s
STEP_SECONDS = 0.1  # bots send a move at 10 Hz while walking


def route(layout: StoreLayout | None, start: tuple[float, float], goal: tuple[float, float]) -> list[tuple[float, float]]:
    """Waypoints from start to goal: straight when clear, else along an aisle, through a gap between racks."""
    if layout is None or not layout.blocked(start, goal):
        return [start, goal]
    gaps = sorted({round(r.position[0] + side * (r.length_m / 2 + 0.45), 2)
                   for r in layout.racks for side in (-1, 1)}, key=lambda g: abs(g - start[0]) + abs(g - goal[0]))
    for gap in gaps:
        path = [start, (gap, start[1]), (gap, goal[1]), goal]
        if not any(layout.blocked(a, b) for a, b in itertools.pairwise(path)):
            return path
    return [start, goal]  # no clear way found: the server steps the shopper aside


CART_RATE = 0.6  # how often a bot carts what it liked and found its size of, at list price
PRICE_ELASTICITY = 2.0  # a markdown of x % raises that rate by (1 - x) ** -2: 20 % off, 1.56 times as keen


def price_appeal(product: dict) -> float:
    """How much keener a bot is at the product's price than at its list price (1 at list price)."""
    return (product["price"] / product.get("list_price", product["price"])) ** -PRICE_ELASTICITY


@dataclass
class Taste:
    categories: tuple[str, ...]
    colours: tuple[str, ...]
    budget: float
    tries_on: float  # probability to try on what they like
    follows_advice: float  # probability to follow a recommendation
    buys: float  # probability to buy what is in the cart before leaving

    @classmethod
    def draw(cls, rng: random.Random, try_on_rate: float) -> Taste:
        return cls(tuple(rng.sample(list(CATEGORIES), 2)), tuple(rng.sample(COLOURS, 3)), rng.uniform(30, 160),
                   try_on_rate * rng.uniform(0.5, 1.5), rng.uniform(0.1, 0.8), rng.uniform(0.3, 0.9))


@dataclass
class BotLog:
    """What one bot did and what the store told it."""

    joined: bool = False
    picks: int = 0
    try_ons: list[str] = field(default_factory=list)  # products tried on (results received)
    carted: int = 0
    bought: list[str] = field(default_factory=list)  # products in orders
    followed: int = 0
    errors: Counter = field(default_factory=Counter)
    sold_out: set = field(default_factory=set)  # (product, size) announced sold out
    positions: list[tuple[float, float]] = field(default_factory=list)
    store: dict | None = None  # the layout, as the snapshot gave it


class Bot:
    def __init__(self, url: str, body: dict, taste: Taste, seed: int, deadline: float) -> None:
        self.url, self.body, self.taste, self.deadline = url, body, taste, deadline
        self.cut = CHART_GENDER[body["sex"]]
        self.layout: StoreLayout | None = None  # the store's floor plan, from the snapshot
        self.rng = random.Random(seed)
        self.log = BotLog()
        self.products: dict[str, dict] = {}
        self.x = self.z = self.heading = 0.0
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.cart: list = []

    async def run(self) -> BotLog:
        try:
            async with connect(self.url, max_size=2**23, open_timeout=30) as ws:
                self.ws = ws
                await ws.send(json.dumps({"type": "join", "name": f"bot-{self.rng.randrange(10**4)}",
                                          "measurements": self.body}))
                reader = asyncio.ensure_future(self._read())
                try:
                    snapshot = await self._expect("snapshot", 30)
                    if snapshot is None:
                        return self.log
                    self.log.joined = True
                    self.products = {p["id"]: p for p in snapshot["products"]}
                    self.log.store = snapshot["store"]
                    self.layout = StoreLayout.from_dict(snapshot["store"])
                    me = next(s for s in snapshot["shoppers"] if s["id"] == snapshot["you"]["shopper_id"])
                    self.x, self.z = me["x"], me["z"]
                    await self._shop()
                finally:
                    reader.cancel()
        except (TimeoutError, OSError, ConnectionClosed, InvalidHandshake) as exc:
            self.log.errors[type(exc).__name__] += 1
        return self.log

    async def _read(self) -> None:
        async for frame in self.ws:
            if isinstance(frame, str):
                message = json.loads(frame)
                if message["type"] == "stock":
                    self.log.sold_out.update((message["product"], s) for s in message["sold_out"])
                elif message["type"] == "price" and message["product"] in self.products:
                    self.products[message["product"]]["price"] = message["price"]
                elif message["type"] == "error":
                    self.log.errors[message["code"]] += 1
                self.inbox.put_nowait(message)

    async def _expect(self, kind: str, timeout: float) -> dict | None:
        """The next message of a type (others are dropped), or None on timeout, error, or closing time."""
        try:
            async with asyncio.timeout(min(timeout, max(0.5, self.deadline - time.time()))):
                while True:
                    message = await self.inbox.get()
                    if message["type"] == kind:
                        return message
                    if message["type"] == "error":
                        return None
        except TimeoutError:
            return None

    async def _send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def _walk_to(self, x: float, z: float) -> None:
        """Walk there along the aisles (around the racks, as people do), sending moves at 10 Hz."""
        for wx, wz in route(self.layout, (self.x, self.z), (x, z))[1:]:
            await self._walk_straight(wx, wz)

    async def _walk_straight(self, x: float, z: float) -> None:
        steps = max(1, int(np.hypot(x - self.x, z - self.z) / (WALK_SPEED * STEP_SECONDS)))
        self.heading = float(np.degrees(np.arctan2(x - self.x, z - self.z)))
        for t in np.linspace(0, 1, steps + 1)[1:]:
            if time.time() > self.deadline:
                return
            px, pz = self.x + (x - self.x) * t, self.z + (z - self.z) * t
            await self._send({"type": "move", "x": round(px, 3), "z": round(pz, 3), "heading": round(self.heading, 1)})
            self.log.positions.append((px, pz))
            await asyncio.sleep(STEP_SECONDS)
        self.x, self.z = x, z

    def _liked(self) -> list[dict]:
        """In stock, on a rack, in the bot's categories and budget, cut for its sex."""
        return [p for p in self.products.values() if p["placement"] and p["category"] in self.taste.categories
                and p["gender"] == self.cut and p["price"] <= self.taste.budget and any(s > 0 for s in p["stock"].values())]

    async def _shop(self) -> None:
        recommended: list[dict] = []
        await self._send({"type": "recommend", "k": 5})
        answer = await self._expect("recommendations", 10)
        if answer:
            recommended = answer["items"]
        while time.time() < self.deadline:
            liked = self._liked()
            if recommended and self.rng.random() < self.taste.follows_advice:
                product = self.products.get(recommended.pop(0)["product"])
                self.log.followed += 1
            elif liked:
                favourite = [p for p in liked if p["colours"][0] in self.taste.colours]
                product = self.rng.choice(favourite or liked)
            else:  # nothing to their taste: wander to any rack of their cut
                product = self.rng.choice([p for p in self.products.values() if p["gender"] == self.cut])
            if product is None or not product["placement"]:
                continue
            px, _, pz = product["placement"]["position"]
            await self._walk_to(px + self.rng.uniform(-0.3, 0.3), pz + self.rng.choice((-0.8, 0.8)))
            await self._browse(product)
            await asyncio.sleep(self.rng.uniform(0.5, 3.0))  # a look around
            if self.cart and self.rng.random() < 0.25:
                break
        if self.cart and self.rng.random() < self.taste.buys:
            await self._send({"type": "buy"})
            order = await self._expect("order", 10)
            if order:
                self.log.bought.extend(line["product"] for line in order["lines"])
        await self._walk_to(0.0, 6.5)  # out through the entrance

    async def _browse(self, product: dict) -> None:
        await self._send({"type": "pick", "product": product["id"]})
        picked = await self._expect("product", 10)
        if picked is None:
            return
        self.log.picks += 1
        product = self.products[product["id"]] = picked["product"]
        await self._send({"type": "ask_size", "product": product["id"]})
        advice = await self._expect("size_advice", 10)
        size = advice and advice["size"]
        if not size:
            return
        liked = product["colours"][0] in self.taste.colours or self.rng.random() < 0.3
        if liked and self.rng.random() < self.taste.tries_on:
            await self._send({"type": "try_on", "product": product["id"], "size": size})
            result = await self._expect("try_on_result", 120)
            if result:
                self.log.try_ons.append(product["id"])
                # judged by the body, not the neckline (our necklines read loose everywhere; see README)
                tight = [r for r, v in result["fit"]["regions"].items() if v["verdict"] != "fit" and r != "neck"]
                verdict = "fit" if not tight else ("small" if any(
                    result["fit"]["regions"][r]["verdict"] == "tight" for r in tight) else "large")
                await self._send({"type": "feedback", "product": product["id"], "size": size, "verdict": verdict})
                liked = verdict == "fit"
        if liked and self.rng.random() < min(0.95, CART_RATE * price_appeal(product)):
            await self._send({"type": "cart_add", "product": product["id"], "size": size})
            cart = await self._expect("cart", 10)
            if cart:
                self.cart = cart["lines"]
                self.log.carted += 1


@dataclass
class Analytics:
    """Store analytics from the bots' logs: conversion, try-on-to-buy, stock-outs, where people walked."""

    shoppers: int
    joined: int
    buyers: int
    conversion: float
    try_ons: int
    try_on_to_buy: float
    picks: int
    carted: int
    followed_recommendations: int
    stock_outs: int
    errors: dict[str, int]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def analyse(logs: list[BotLog], seconds: float) -> Analytics:
    joined = [log for log in logs if log.joined]
    buyers = [log for log in joined if log.bought]
    tried = sum(len(log.try_ons) for log in joined)
    tried_then_bought = sum(len(set(log.try_ons) & set(log.bought)) for log in joined)
    errors: Counter = Counter()
    for log in logs:
        errors.update(log.errors)
    return Analytics(
        shoppers=len(logs), joined=len(joined), buyers=len(buyers),
        conversion=len(buyers) / max(len(joined), 1), try_ons=tried,
        try_on_to_buy=tried_then_bought / max(tried, 1), picks=sum(log.picks for log in joined),
        carted=sum(log.carted for log in joined), followed_recommendations=sum(log.followed for log in joined),
        stock_outs=len(set().union(*(log.sold_out for log in logs))) if logs else 0,
        errors=dict(errors), seconds=round(seconds, 1),
    )


def floor_heatmap(logs: list[BotLog], store: dict, path: Path, pixels_per_metre: int = 30) -> Path:
    """PNG of where shoppers walked (log density), racks and fitting rooms drawn on top."""
    import cv2

    width, depth = store["floor"]["width_m"], store["floor"]["depth_m"]
    w, h = int(width * pixels_per_metre), int(depth * pixels_per_metre)
    points = np.array([p for log in logs for p in log.positions] or [(0.0, 0.0)])
    counts, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=(h, w),
                                  range=((-depth / 2, depth / 2), (-width / 2, width / 2)))
    counts = cv2.GaussianBlur(counts.astype(np.float32), (0, 0), 3)
    scaled = (255 * np.log1p(counts) / max(np.log1p(counts).max(), 1e-9)).astype(np.uint8)
    image = cv2.applyColorMap(scaled, cv2.COLORMAP_INFERNO)

    def pixel(x: float, z: float) -> tuple[int, int]:
        return int((x + width / 2) * pixels_per_metre), int((z + depth / 2) * pixels_per_metre)

    font = cv2.FONT_HERSHEY_SIMPLEX
    for rack in store["racks"]:
        (x, z), half = rack["position"], rack["length_m"] / 2
        cv2.line(image, pixel(x - half, z), pixel(x + half, z), (230, 230, 230), 3)
        name = f"{'W' if rack.get('gender') == 'women' else 'M'} {rack.get('category', '')}"
        at = pixel(x - half, z)
        cv2.putText(image, name, (at[0], at[1] - 5), font, 0.38, (255, 255, 255), 1, cv2.LINE_AA)
    for room in store["fitting_rooms"]:
        x, z = room["position"]
        cv2.rectangle(image, pixel(x - 0.7, z - 0.7), pixel(x + 0.7, z + 0.7), (200, 160, 255), 2)
    legend = cv2.applyColorMap(np.linspace(0, 255, 120).astype(np.uint8)[None, :].repeat(10, axis=0),
                               cv2.COLORMAP_INFERNO)  # few passes -> many (log scale)
    y0, x0 = h - 22, w - 130
    image[y0:y0 + 10, x0:x0 + 120] = legend
    cv2.putText(image, "few", (x0, y0 - 3), font, 0.35, (255, 255, 255), 1, cv2.LINE_AA)
    cv2.putText(image, "many passes", (x0 + 50, y0 - 3), font, 0.35, (255, 255, 255), 1, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), image)
    return path


async def simulate(url: str, shoppers: int, minutes: float, seed: int = 0, try_on_rate: float = 0.1,
                   ramp_seconds: float = 10.0) -> tuple[list[BotLog], float]:
    """Keep `shoppers` bots in the store for `minutes`: each one that leaves is followed by a new one."""
    rng = random.Random(seed)
    bodies = iter(sample_bodies(shoppers * 20, np.random.default_rng(seed)))
    started = time.time()
    deadline = started + 60 * minutes

    async def lane(i: int) -> list[BotLog]:
        await asyncio.sleep(ramp_seconds * i / max(shoppers, 1))
        logs = []
        while time.time() < deadline - 1.0:
            body = next(bodies, None) or sample_bodies(1, np.random.default_rng(rng.randrange(2**32)))[0]
            bot = Bot(url, body, Taste.draw(rng, try_on_rate), rng.randrange(2**32), deadline)
            logs.append(await bot.run())
            if not logs[-1].joined:
                await asyncio.sleep(1.0)  # the store is not answering: do not hammer it
        return logs

    lanes = await asyncio.gather(*(lane(i) for i in range(shoppers)))
    return [log for logs in lanes for log in logs], time.time() - started
