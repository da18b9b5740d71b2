"""The shopping guide: a question in Chinese or English answered with products that satisfy every hard
constraint (category, price, excluded colours, for whom, in stock in the shopper's size), ranked by
the recommender's score for this shopper plus what the question asked softly (occasion, colours,
style, season), each with the size that fits and a reason in the question's language, and an
outfit that completes the first. When nothing matches, it says which constraint emptied the list
and offers the nearest products without it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.garments.charts import ASSETS, CHART_GENDER
from recommender.intent import Intent, Kind, Language, Lexicon, lexicon, parse
from recommender.persona import MIN_EVENTS, Persona
from recommender.recommender import KEY_GIRTH, PART, Recommender, ease_feel, ease_words
from store.catalog import OCCASIONS, Product

RATES = ASSETS / "guide" / "currencies.json"
PERSONA_WEIGHTS = {"colour": 0.6, "style": 0.4, "category": 0.3}
SOFT_WEIGHTS = {"occasion": 2.0, "colour": 1.5, "pattern": 1.5, "style": 1.0, "season": 0.7, "hint": 0.3}
CHEAP_QUANTILE, DEAR_QUANTILE = 0.4, 0.6  # "cheap": the lower 40 % of the category's prices
GENDER_CUT = {"male": "men", "female": "women"}
NOUNS = {"tee": "tees", "longsleeve": "shirts", "jacket": "jackets", "dress": "dresses", "trousers": "trousers",
         "skirt": "skirts"}
FEEL_ZH = {"tight": "偏紧", "snug": "合身偏紧", "comfortable": "合身", "roomy": "宽松"}
GIRTH_ZH = {"chest": "胸围", "hip": "臀围"}
FOR_OCCASION = {"wedding": "for a wedding", "office": "for the office", "party": "for a party", "date": "for a date",
                "sport": "for sport", "beach": "for the beach", "everyday": "for every day"}


@dataclass
class GuideItem:
    product: str
    size: str | None
    price: float
    reason: str

    def as_dict(self) -> dict:
        return {"product": self.product, "size": self.size, "price": self.price, "reason": self.reason}


@dataclass
class Answer:
    intent: Intent
    items: list[GuideItem] = field(default_factory=list)
    outfit: list[GuideItem] = field(default_factory=list)
    message: str = ""                    # in the question's language: what was understood, converted, or missing
    emptied_by: str | None = None        # the hard constraint that left nothing, when nothing matched
    alternatives: list[GuideItem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"intent": self.intent.as_dict(), "items": [i.as_dict() for i in self.items],
                "outfit": [{k: v for k, v in i.as_dict().items() if k != "price"} for i in self.outfit],
                "message": self.message, "emptied_by": self.emptied_by,
                "alternatives": [i.as_dict() for i in self.alternatives]}


def load_rates(path: Path = RATES) -> tuple[str, dict[str, float]]:
    data = json.loads(Path(path).read_text())
    return data["base"], {currency: float(rate) for currency, rate in data["per_base"].items()}


class Guide:
    def __init__(self, recommender: Recommender, words: Lexicon | None = None, rates_path: Path = RATES):
        self.recommender = recommender
        self.catalog = recommender.catalog
        self.words = words or lexicon()
        self.base, self.rates = load_rates(rates_path)
        self.products = list(self.catalog.products.values())
        self.base_prices = np.array([self._to_base(p.price, p.currency) for p in self.products])
        names = ("category", "gender", "style", "season", "pattern")
        column = {name: np.array([getattr(p, name) for p in self.products]) for name in names}
        self.category, self.gender, self.style, self.season, self.pattern = (column[n] for n in names)
        self.primary = np.array([p.colours[0] for p in self.products])
        self.secondary = np.array([p.colours[-1] for p in self.products])
        self.occasions = {o: np.array([o in p.occasions for p in self.products]) for o in OCCASIONS}
        parse("warm up", self.words)  # jieba's dictionary loads once per process (about a second), not on a question

    def _to_base(self, amount: float, currency: str) -> float:
        return amount / self.rates[currency]

    def _from_base(self, amount: float, currency: str) -> float:
        return amount * self.rates[currency]

    # --- the answer ----------------------------------------------------------------------------
    def ask(self, text: str, shopper_id: str | None = None, k: int = 8) -> Answer:
        """Answer a question (IntentError for an empty or far too long one)."""
        intent = parse(text, self.words)
        zh = intent.language == Language.ZH
        sex = self.recommender.store.shopper(shopper_id)["measurements"].get("sex") if shopper_id else None
        constraints = self._constraints(intent, sex)
        score, reasons, history = self.recommender.scores(shopper_id)
        persona = self.recommender.persona(shopper_id) if shopper_id else None
        score = score + self._soft(intent) + self._taste(persona)
        order = np.argsort(-score, kind="stable")
        passing = np.logical_and.reduce([mask for _, mask in constraints]) if constraints else np.ones(len(score), bool)
        sizes: dict[str, tuple[str | None, str]] = {}
        someone_else = bool(intent.gender and sex and GENDER_CUT[intent.gender] != CHART_GENDER.get(sex))
        in_size = self._in_size(intent, None if someone_else else shopper_id, sizes, zh)  # not your body: any size
        items = self._pick(order, passing, in_size, sizes, intent, k, persona)
        answer = Answer(intent, items)
        notes = self._notes(intent, zh)
        if items:
            first = items[0].product
            outfit = self.recommender.outfit(first, 3, shopper_id)
            answer.outfit = [GuideItem(o.product_id, o.size, self.catalog.get(o.product_id).price,
                                       self._outfit_reason(first, o.product_id, zh)) for o in outfit]
        else:
            answer.emptied_by, answer.alternatives = self._why_empty(constraints, order, in_size, sizes, intent, persona)
            notes.append(self._empty_message(answer.emptied_by, intent, zh))
        answer.message = (" " if not zh else "").join(notes)
        return answer

    def _constraints(self, intent: Intent, sex: str | None) -> list[tuple[str, np.ndarray]]:
        """The hard constraints as masks over products, in the order they are reported when one empties the list."""
        out = []
        cut = GENDER_CUT.get(intent.gender) if intent.gender else (CHART_GENDER.get(sex) if sex else None)
        if cut:
            out.append(("gender", self.gender == cut))
        if intent.categories:
            out.append(("category", np.isin(self.category, intent.categories)))
        if intent.exclude_colours:
            out.append(("exclude_colours", ~np.isin(self.primary, intent.exclude_colours)))
        if intent.exclude_patterns:
            out.append(("exclude_patterns", ~np.isin(self.pattern, intent.exclude_patterns)))
        low, high = self._price_range(intent, out)
        if low is not None or high is not None:
            out.append(("price", (self.base_prices >= (low or 0.0) - 1e-9) & (self.base_prices <= (high or np.inf) + 1e-9)))
        return out

    def _price_range(self, intent: Intent, earlier: list[tuple[str, np.ndarray]]) -> tuple[float | None, float | None]:
        """The asked range in the catalogue's base currency; "cheap" is the lower part of the price range
        of the products the other constraints leave (the category's, for whom)."""
        currency = intent.currency or self.base
        low = None if intent.min_price is None else self._to_base(intent.min_price, currency)
        high = None if intent.max_price is None else self._to_base(intent.max_price, currency)
        if intent.price_level and high is None and low is None:
            pool = np.logical_and.reduce([m for _, m in earlier]) if earlier else np.ones(len(self.products), bool)
            prices = self.base_prices[pool] if pool.any() else self.base_prices
            if intent.price_level == "low":
                high = float(np.quantile(prices, CHEAP_QUANTILE))
            else:
                low = float(np.quantile(prices, DEAR_QUANTILE))
        return low, high

    def _soft(self, intent: Intent) -> np.ndarray:
        """What the question asked without making it a must: occasion, colours, prints, styles, season."""
        w = SOFT_WEIGHTS
        hint = self.words.data["occasion_hints"].get(intent.occasion or "", {})
        score = w["colour"] * np.isin(self.primary, intent.colours) + 0.5 * w["colour"] * np.isin(self.secondary,
                                                                                                  intent.colours)
        score += w["pattern"] * np.isin(self.pattern, intent.patterns)
        score += w["style"] * np.isin(self.style, intent.styles) + w["hint"] * np.isin(self.style, hint.get("styles", []))
        if intent.occasion:
            score += w["occasion"] * self.occasions[intent.occasion]
        if intent.season:
            score += w["season"] * np.isin(self.season, [intent.season, "all"])
        return score

    def _taste(self, persona: Persona | None) -> np.ndarray:
        """What the shopper's persona leans to: their colours, styles and categories."""
        if persona is None or persona.events < MIN_EVENTS:
            return np.zeros(len(self.products))
        return (PERSONA_WEIGHTS["colour"] * np.array([persona.colours.get(c, 0.0) for c in self.primary])
                + PERSONA_WEIGHTS["style"] * np.array([persona.styles.get(s, 0.0) for s in self.style])
                + PERSONA_WEIGHTS["category"] * np.array([persona.categories.get(c, 0.0) for c in self.category]))

    def _in_size(self, intent: Intent, shopper_id: str | None, sizes: dict, zh: bool) -> Callable[[Product], bool]:
        """Whether a product is in stock in the shopper's size (the asked size, else the one that fits
        their body, else any size when neither is known), remembering the size and its reason."""
        def check(product: Product) -> bool:
            if product.id not in sizes:
                sizes[product.id] = self._size(product, intent, shopper_id, zh)
            return sizes[product.id][0] is not None or (shopper_id is None and intent.size is None
                                                        and any(n > 0 for n in product.sizes.values()))
        return check

    def _size(self, product: Product, intent: Intent, shopper_id: str | None, zh: bool) -> tuple[str | None, str]:
        if intent.size:
            if product.in_stock(intent.size):
                return intent.size, (f"{intent.size}码（你说的尺码）" if zh else f"size {intent.size}, as you asked")
            return None, ""
        if shopper_id is None:
            return None, ""
        advice = self.recommender.size_for(shopper_id, product.id)
        if advice.size is None:
            return None, ""
        girth, ease = KEY_GIRTH[product.category], advice.ease_cm
        tight, loose = self.recommender.ease_limits(girth)
        if zh:
            feel = FEEL_ZH[ease_feel(ease, tight, loose)]
            spare = f"余量{ease:.0f} cm" if ease >= 0 else f"差{-ease:.0f} cm"
            return advice.size, f"{advice.size}码{feel}：{GIRTH_ZH[girth]}{spare}"
        return advice.size, f"{advice.size}: {ease_words(ease, tight, loose, PART[girth])}"

    def _pick(self, order, passing, in_size, sizes, intent: Intent, k: int, persona: Persona | None) -> list[GuideItem]:
        items = []
        for i in order:
            if len(items) == k:
                break
            product = self.products[i]
            if passing[i] and in_size(product):
                items.append(self._item(product, sizes[product.id], intent, persona))
        return items

    def _item(self, product: Product, size: tuple[str | None, str], intent: Intent,
              persona: Persona | None) -> GuideItem:
        zh = intent.language == Language.ZH
        return GuideItem(product.id, size[0], product.price, self._reason(product, intent, size[1], zh, persona))

    # --- words ---------------------------------------------------------------------------------
    def _name(self, kind: Kind, value: str, zh: bool) -> str:
        return self.words.names["zh" if zh else "en"][kind][value]

    def _price_text(self, amount: float, currency: str, zh: bool, asked: str | None) -> str:
        zh_names = {"EUR": "欧元", "CNY": "元", "USD": "美元"}
        own = f"{amount:.2f} {zh_names[currency] if zh else currency}"
        if asked and asked != currency:
            converted = self._from_base(self._to_base(amount, currency), asked)
            return own + (f"（约{converted:.0f}{zh_names[asked]}）" if zh else f" (about {converted:.0f} {asked})")
        return own

    def _reason(self, product: Product, intent: Intent, size_reason: str, zh: bool, persona: Persona | None) -> str:
        said = []
        if intent.occasion and intent.occasion in product.occasions:
            said.append("适合" + self._name(Kind.OCCASION, intent.occasion, True) if zh else FOR_OCCASION[intent.occasion])
        if product.style in intent.styles:
            said.append(self._name(Kind.STYLE, product.style, zh))
        if product.colours[0] in intent.colours:
            said.append(self._name(Kind.COLOUR, product.colours[0], zh))
        if product.pattern in intent.patterns:
            said.append(self._name(Kind.PATTERN, product.pattern, zh))
        if intent.season and product.season in (intent.season, "all"):
            said.append(self._name(Kind.SEASON, intent.season, zh) if product.season != "all" else
                        ("四季皆宜" if zh else "all seasons"))
        what = self._name(Kind.CATEGORY, product.category, zh)
        price = self._price_text(product.price, product.currency, zh, intent.currency)
        habit = self._habit(product, zh, persona)
        if zh:
            head = "，".join(said + [what, price])
            return head + "".join(f"；{part}" for part in (size_reason, habit) if part)
        head = ", ".join(said + [price])
        return head[:1].upper() + head[1:] + "".join(f"; {part}" for part in (size_reason, habit) if part)

    @staticmethod
    def _habit_words(product: Product, persona: Persona) -> list[tuple[Kind, str]]:
        colour, style = persona.top("colours"), persona.top("styles")
        return [(kind, value) for kind, value, mine in ((Kind.COLOUR, colour, product.colours[0]),
                                                         (Kind.STYLE, style, product.style)) if value and value == mine]

    def _habit(self, product: Product, zh: bool, persona: Persona | None) -> str:
        """"you often pick navy casual shirts around 40 EUR", when the product is what the persona leans to."""
        if persona is None or persona.events < MIN_EVENTS:
            return ""
        words = self._habit_words(product, persona)
        if not words:
            return ""
        category = persona.top("categories")
        if zh:
            named = "".join(self._name(kind, value, True) for kind, value in words)
            noun = self._name(Kind.CATEGORY, category, True) if category else "衣服"
            return f"你常选{named}的{noun}，价位约{persona.typical_price:.0f}欧元"
        noun = NOUNS.get(category, "pieces")
        return f"you often pick {' '.join(value for _, value in words)} {noun} around {persona.typical_price:.0f} EUR"

    def _outfit_reason(self, anchor_id: str, product_id: str, zh: bool) -> str:
        anchor, product = self.catalog.get(anchor_id), self.catalog.get(product_id)
        if zh:
            return (f"搭配{self._name(Kind.CATEGORY, anchor.category, True)}："
                    f"{self._name(Kind.COLOUR, product.colours[0], True)}{self._name(Kind.CATEGORY, product.category, True)}，"
                    f"{self._name(Kind.STYLE, product.style, True)}")
        return f"goes with the {anchor.name}: {product.colours[0]} {product.style} {product.category}"

    def _notes(self, intent: Intent, zh: bool) -> list[str]:
        notes = list(intent.problems)
        currency = intent.currency
        if currency and currency != self.base and (intent.max_price or intent.min_price):
            bounds = [(word, value) for word, value in ((("最低" if zh else "from"), intent.min_price),
                                                         (("最高" if zh else "up to"), intent.max_price)) if value]
            converted = ", ".join(f"{word} {value:g} {currency} ≈ {self._to_base(value, currency):.2f} {self.base}"
                                  for word, value in bounds)
            notes.append(f"按汇率换算：{converted}。" if zh else f"Prices converted at the shop's rate: {converted}.")
        if intent.ignored:
            shown = "、".join(intent.ignored[:8]) if zh else ", ".join(intent.ignored[:8])
            notes.append(f"没看懂的词：{shown}。" if zh else f"Words not understood: {shown}.")
        return notes

    def _why_empty(self, constraints, order, in_size, sizes, intent: Intent,
                   persona: Persona | None) -> tuple[str, list[GuideItem]]:
        """The first constraint that leaves nothing (in stock in your size last), and the best products
        that meet every constraint but that one."""
        mask = np.ones(len(self.products), bool)
        culprit = "size"
        for name, constraint in constraints:
            if not (mask & constraint).any():
                culprit = name
                break
            mask &= constraint
        others = [m for name, m in constraints if name != culprit]
        relaxed = np.logical_and.reduce(others) if others else np.ones(len(self.products), bool)
        if culprit == "price":  # nearest to the asked range first
            low, high = self._price_range(intent, [c for c in constraints if c[0] != "price"])
            gap = np.maximum((low or 0.0) - self.base_prices, 0) + np.maximum(self.base_prices - (high or np.inf), 0)
            order = np.argsort(gap, kind="stable")
        alternatives = []
        for i in order:
            if len(alternatives) == 3:
                break
            product = self.products[i]
            if relaxed[i] and (culprit == "size" or in_size(product)):
                alternatives.append(self._item(product, sizes.get(product.id, (None, "")), intent, persona))
        return culprit, alternatives

    def _empty_message(self, culprit: str, intent: Intent, zh: bool) -> str:
        words = {
            "gender": ("没有适合这个性别的商品", "nothing is cut for whom you asked"),
            "category": ("没有这个品类", "the store has no such category"),
            "exclude_colours": ("去掉这些颜色后就没有了", "nothing is left without those colours"),
            "exclude_patterns": ("去掉这些花色后就没有了", "nothing is left without those prints"),
            "price": ("这个价格范围内没有", "nothing is in that price range"),
            "size": ("你的尺码都卖完了", "nothing is in stock in your size"),
        }[culprit]
        if zh:
            return f"没有符合条件的商品：{words[0]}。以下是最接近的选择。"
        return f"Nothing matches: {words[1]}. Here are the nearest instead."
