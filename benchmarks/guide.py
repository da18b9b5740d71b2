"""The shopping guide on 282 questions, Chinese and English, with the intents they should give.

    .venv/bin/python benchmarks/guide.py [--json out/guide.json]

Questions: 42 written by hand (tests/data would be the place if they grew) and 240 composed (seeded)
from written phrasings: ways to ask, categories, occasions, seasons, colours wanted and refused,
prices with and without currency, for whom, sizes, in both languages. They were written knowing the
lexicon, so the figures say the reader works as designed, not how it fares on shoppers' own words.

Reported per intent field: accuracy over the questions (a field counts when the reader's value
equals the expected one, absent ones included). Each question is also answered for a shopper
(ANSUR-like body) and every item checked against the hard constraints: the share of answers
breaking one must be 0. Latency: parse + answer, per question. Peer in the same run: substring
matching over the same lexicon with no segmentation, no longest-phrase rule and no negation.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

import numpy as np
from figures import arguments, save
from rich.console import Console
from rich.table import Table

from recommender.guide import Guide
from recommender.intent import Intent, Kind, lexicon, normalise, parse
from recommender.recommender import Recommender
from store.catalog import Catalog
from store.ledger import Ledger

FIELDS = ("categories", "occasion", "season", "colours", "exclude_colours", "styles", "min_price", "max_price",
          "currency", "gender", "size", "language", "price_level")

HAND = [
    ("summer wedding guest dress under 80", {"categories": ["dress"], "occasion": "wedding", "season": "summer", "max_price": 80}),
    ("夏天婚礼穿的裙子 80元以内", {"categories": ["dress", "skirt"], "occasion": "wedding", "season": "summer", "max_price": 80, "currency": "CNY"}),
    ("a casual tee for my husband, not black", {"categories": ["tee"], "styles": ["casual"], "gender": "male", "exclude_colours": ["black"]}),
    ("通勤穿的裤子，不要太贵", {"categories": ["trousers"], "occasion": "office", "price_level": "low"}),
    ("do you have jeans under 50 euros?", {"categories": ["trousers"], "max_price": 50, "currency": "EUR"}),
    ("I need a blazer for a job interview", {"categories": ["jacket"], "occasion": "office"}),
    ("something cheap for the gym", {"occasion": "sport", "price_level": "low"}),
    ("给我男朋友买件外套，预算300元以内", {"gender": "male", "categories": ["jacket"], "max_price": 300, "currency": "CNY"}),
    ("想要一条适合约会的粉色连衣裙", {"occasion": "date", "colours": ["pink"], "categories": ["dress"]}),
    ("a navy or grey shirt for the office", {"colours": ["navy", "grey"], "categories": ["longsleeve"], "occasion": "office"}),
    ("winter coat, not black, between 100 and 150", {"season": "winter", "categories": ["jacket"], "exclude_colours": ["black"], "min_price": 100, "max_price": 150}),
    ("海边度假穿的短裙", {"occasion": "beach", "categories": ["skirt"]}),
    ("有没有便宜的白色T恤", {"price_level": "low", "colours": ["white"], "categories": ["tee"]}),
    ("elegant dress for a cocktail party", {"styles": ["formal"], "categories": ["dress"], "occasion": "party"}),
    ("my usual L, sporty joggers", {"size": "L", "styles": ["sport"], "categories": ["trousers"]}),
    ("L码的运动裤", {"size": "L", "categories": ["trousers"]}),
    ("a present for my dad: a formal shirt under $40", {"gender": "male", "styles": ["formal"], "categories": ["longsleeve"], "max_price": 40, "currency": "USD"}),
    ("不要红色的，给我妈妈找条裙子", {"exclude_colours": ["red"], "gender": "female", "categories": ["dress", "skirt"]}),
    ("everyday trousers, no beige", {"occasion": "everyday", "categories": ["trousers"], "exclude_colours": ["beige"]}),
    ("spring jacket for women, premium", {"season": "spring", "categories": ["jacket"], "gender": "female", "price_level": "high"}),
    ("秋天穿的衬衫 200块以下", {"season": "autumn", "categories": ["longsleeve"], "max_price": 200, "currency": "CNY"}),
    ("a red dress", {"colours": ["red"], "categories": ["dress"]}),
    ("black tee size M", {"colours": ["black"], "categories": ["tee"], "size": "M"}),
    ("耐穿的黑色长裤，不超过60欧元", {"colours": ["black"], "categories": ["trousers"], "max_price": 60, "currency": "EUR"}),
    ("clothes for a wedding, anything but white", {"occasion": "wedding", "exclude_colours": ["white"]}),
    ("yoga top, teal, up to 30", {"occasion": "sport", "categories": ["tee"], "colours": ["teal"], "max_price": 30}),
    ("周末逛街穿的休闲夹克", {"occasion": "everyday", "styles": ["casual"], "categories": ["jacket"]}),
    ("skirt or dress for a summer party, 40 to 70 euros", {"categories": ["dress", "skirt"], "season": "summer", "occasion": "party", "min_price": 40, "max_price": 70, "currency": "EUR"}),
    ("给儿子买件T恤，不要太贵", {"gender": "male", "categories": ["tee"], "price_level": "low"}),
    ("婚宴穿的正式西装 1000元以内", {"occasion": "wedding", "styles": ["formal"], "categories": ["jacket"], "max_price": 1000, "currency": "CNY"}),
    ("mustard shirt for him", {"colours": ["mustard"], "categories": ["longsleeve"], "gender": "male"}),
    ("olive chinos, size XL", {"colours": ["olive"], "categories": ["trousers"], "size": "XL"}),
    ("我平时穿S码，想要一件白衬衫", {"size": "S", "categories": ["longsleeve"], "colours": ["white"]}),
    ("a beige coat for autumn", {"colours": ["beige"], "categories": ["jacket"], "season": "autumn"}),
    ("上班穿的半身裙 50到100元", {"occasion": "office", "categories": ["skirt"], "min_price": 50, "max_price": 100, "currency": "CNY"}),
    ("hiking trousers over 60", {"occasion": "sport", "categories": ["trousers"], "min_price": 60}),
    ("a burgundy dress for a dinner date", {"colours": ["burgundy"], "categories": ["dress"], "occasion": "date"}),
    ("跑步穿的T恤 男款", {"occasion": "sport", "categories": ["tee"], "gender": "male"}),
    ("formal trousers, not grey or black", {"styles": ["formal"], "categories": ["trousers"], "exclude_colours": ["grey", "black"]}),
    ("天蓝色的连衣裙 夏天", {"colours": ["sky blue"], "categories": ["dress"], "season": "summer"}),
    ("八十块以内的T恤", {"max_price": 80, "currency": "CNY", "categories": ["tee"]}),
    ("一百到两百元的衬衫，不要白色", {"min_price": 100, "max_price": 200, "currency": "CNY", "categories": ["longsleeve"], "exclude_colours": ["white"]}),
]

EN = {
    "ask": ["{x}", "I'm looking for {x}", "do you have {x}?", "show me {x}", "need {x} please", "any {x}"],
    "category": {"tee": ["a t-shirt", "a tee", "tees"], "longsleeve": ["a shirt", "a blouse"], "jacket": ["a jacket", "a blazer", "a coat"],
                 "dress": ["a dress", "dresses"], "trousers": ["trousers", "pants", "jeans"], "skirt": ["a skirt"]},
    "occasion": {"wedding": ["for a wedding"], "office": ["for work", "for the office"], "party": ["for a party"],
                 "date": ["for a date"], "sport": ["for the gym"], "beach": ["for the beach"], "everyday": ["for everyday"]},
    "season": {"summer": ["summer"], "winter": ["winter"], "spring": ["spring"], "autumn": ["autumn", "fall"]},
    "colour": {"black": "black", "white": "white", "navy": "navy", "red": "red", "pink": "pink", "grey": "grey", "beige": "beige"},
    "exclude": ["not {c}", "no {c}", "anything but {c}"],
    "price": [("under {n}", "max"), ("below {n} euros", "max_eur"), ("up to ${n}", "max_usd"), ("over {n}", "min"),
              ("between {lo} and {hi}", "range")],
    "whom": {"male": ["for my husband", "for him"], "female": ["for my wife", "for her"]},
    "size": ["in size {s}", "my usual {s}"],
}
ZH = {
    "ask": ["{x}", "想买{x}", "有没有{x}", "帮我找{x}", "推荐{x}"],
    "category": {"tee": ["T恤", "短袖"], "longsleeve": ["衬衫"], "jacket": ["外套", "夹克"], "dress": ["连衣裙"],
                 "trousers": ["裤子", "牛仔裤"], "skirt": ["半身裙"]},
    "occasion": {"wedding": ["婚礼穿的"], "office": ["上班穿的", "通勤"], "party": ["派对穿的"], "date": ["约会穿的"],
                 "sport": ["健身穿的"], "beach": ["海边穿的"], "everyday": ["日常穿的"]},
    "season": {"summer": ["夏天"], "winter": ["冬天"], "spring": ["春天"], "autumn": ["秋天"]},
    "colour": {"black": "黑色", "white": "白色", "navy": "藏青色", "red": "红色", "pink": "粉色", "grey": "灰色", "beige": "米色"},
    "exclude": ["不要{c}", "别要{c}的"],
    "price": [("{n}元以内", "max_cny"), ("不超过{n}块", "max_cny"), ("{n}欧元以下", "max_eur"), ("{lo}到{hi}元", "range_cny")],
    "whom": {"male": ["给老公", "给男朋友"], "female": ["给老婆", "给妈妈"]},
    "size": ["{s}码", "平时穿{s}"],
}


def composed(count: int, seed: int) -> list[tuple[str, dict]]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        words, zh = (ZH, True) if n % 2 else (EN, False)
        expected: dict = {}
        parts = []
        if rng.random() < 0.5:
            occasion = rng.choice(list(words["occasion"]))
            parts.append(rng.choice(words["occasion"][occasion]))
            expected["occasion"] = occasion
        if rng.random() < 0.3:
            season = rng.choice(list(words["season"]))
            parts.insert(0, rng.choice(words["season"][season]))
            expected["season"] = season
        colour = rng.choice(list(words["colour"])) if rng.random() < 0.4 else None
        category = rng.choice(list(words["category"]))
        noun = rng.choice(words["category"][category])
        if colour:
            expected["colours"] = [colour]
            noun = (words["colour"][colour] + noun) if zh else f"{words['colour'][colour]} {noun.removeprefix('a ')}"
        parts.append(noun)
        expected["categories"] = [category]
        if rng.random() < 0.3:
            refused = rng.choice([c for c in words["colour"] if c != colour])
            parts.append(rng.choice(words["exclude"]).format(c=words["colour"][refused]))
            expected["exclude_colours"] = [refused]
        if rng.random() < 0.5:
            template, kind = rng.choice(words["price"])
            lo, hi = sorted(rng.sample([20, 30, 40, 50, 60, 80, 100, 150, 200, 300], 2))
            parts.append(template.format(n=hi, lo=lo, hi=hi))
            if kind.startswith("range"):
                expected.update(min_price=lo, max_price=hi)
            elif kind == "min":
                expected["min_price"] = hi
            else:
                expected["max_price"] = hi
            expected["currency"] = {"max_eur": "EUR", "max_usd": "USD", "max_cny": "CNY", "range_cny": "CNY"}.get(kind)
        if rng.random() < 0.3:
            whom = rng.choice(list(words["whom"]))
            phrase = rng.choice(words["whom"][whom])
            parts.insert(0, phrase) if zh else parts.append(phrase)
            expected["gender"] = whom
        if rng.random() < 0.2:
            size = rng.choice(["XS", "S", "M", "L", "XL"])
            parts.append(rng.choice(words["size"]).format(s=size))
            expected["size"] = size
        text = ("，" if zh and rng.random() < 0.3 else ("" if zh else " ")).join(parts)
        out.append((rng.choice(words["ask"]).format(x=text), expected))
    return out


def substring_peer(text: str) -> Intent:
    """The peer: every lexicon phrase found anywhere in the text, first value wins; no negation."""
    normal, words = normalise(text), lexicon()
    intent = Intent(language="zh" if any("\u4e00" <= ch <= "\u9fff" for ch in normal) else "en")
    data = words.data
    for kind, name in ((Kind.CATEGORY, "categories"), (Kind.COLOUR, "colours"), (Kind.STYLE, "styles")):
        for value, phrases in data[kind.value].items():
            if any(p.lower() in normal for lang in ("en", "zh") for p in phrases[lang]):
                getattr(intent, name).append(value)
    for kind, name in ((Kind.OCCASION, "occasion"), (Kind.SEASON, "season"), (Kind.GENDER, "gender"),
                       (Kind.CURRENCY, "currency")):
        for value, phrases in data[kind.value].items():
            if getattr(intent, name) is None and any(p.lower() in normal for lang in ("en", "zh") for p in phrases[lang]):
                setattr(intent, name, value)
    numbers = [float(n) for n in __import__("re").findall(r"\d+", normal)]
    if numbers:
        intent.max_price = max(numbers)
    return intent


def score(reader, questions: list[tuple[str, dict]]) -> dict[str, float]:
    hits = {f: 0 for f in FIELDS}
    for text, expected in questions:
        got = reader(text).as_dict()
        truth = {**{f: None for f in FIELDS if f not in ("categories", "colours", "exclude_colours", "styles")},
                 "categories": [], "colours": [], "exclude_colours": [], "styles": [],
                 "language": "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en", **expected}
        for f in FIELDS:
            want, have = truth[f], got[f]
            if isinstance(want, list):
                hits[f] += sorted(want) == sorted(have)
            elif isinstance(want, int | float) and have is not None:
                hits[f] += abs(float(have) - want) < 1e-9
            else:
                hits[f] += want == have
    return {f: hits[f] / len(questions) for f in FIELDS}


def violations(guide: Guide, answer, shopper_sex: str) -> int:
    intent, bad = answer.intent, 0
    rate = guide.rates[intent.currency or "EUR"]
    cut = {"male": "men", "female": "women"}.get(intent.gender) or ("women" if shopper_sex == "female" else "men")
    for item in answer.items:
        p = guide.catalog.get(item.product)
        bad += (p.gender != cut or bool(intent.categories) and p.category not in intent.categories
                or p.colours[0] in intent.exclude_colours
                or intent.max_price is not None and p.price > intent.max_price / rate + 1e-6
                or intent.min_price is not None and p.price < intent.min_price / rate - 1e-6
                or item.size is not None and not p.in_stock(item.size))
    return int(bad > 0)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    questions = HAND + composed(240, args.seed)
    ours, peer = score(parse, questions), score(substring_peer, questions)
    catalog = Catalog.load()
    with tempfile.TemporaryDirectory() as scratch:
        ledger = Ledger(Path(scratch) / "shop.sqlite", catalog)
        bodies = {"ana": {"stature": 165, "sex": "female", "chest": 90, "waist": 72, "hip": 98},
                  "ben": {"stature": 180, "sex": "male", "chest": 102, "waist": 88, "hip": 100}}
        for name, body in bodies.items():
            ledger.add_shopper(name, body)
        guide = Guide(Recommender(ledger, catalog))
        broken, empty, seconds = 0, 0, []
        for n, (text, _) in enumerate(questions):
            shopper = "ana" if n % 2 else "ben"
            started = time.perf_counter()
            answer = guide.ask(text, shopper, 8)
            seconds.append(time.perf_counter() - started)
            broken += violations(guide, answer, bodies[shopper]["sex"])
            empty += not answer.items
        ledger.close()
    ms = 1000 * np.array(seconds)
    table = Table(title=f"Shopping guide: {len(questions)} questions "
                        f"({sum(any(ord(c) > 0x3000 for c in q) for q, _ in questions)} Chinese)")
    for column in ("field", "Fitroom accuracy", "substring peer", "ratio"):
        table.add_column(column, justify="right")
    for f in FIELDS:
        table.add_row(f, f"{ours[f]:.3f}", f"{peer[f]:.3f}", f"{ours[f] / max(peer[f], 1e-9):.2f}x")
    mean_ours, mean_peer = float(np.mean(list(ours.values()))), float(np.mean(list(peer.values())))
    table.add_row("mean", f"{mean_ours:.3f}", f"{mean_peer:.3f}", f"{mean_ours / mean_peer:.2f}x")
    console = Console()
    console.print(table)
    console.print(f"answers breaking a hard constraint: {broken} of {len(questions)}; empty answers (nearest offered): "
                  f"{empty}; latency parse + answer p50 {np.median(ms):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms "
                  "(goal p99 < 20 ms)")
    save(args.json, {"questions": len(questions), "accuracy": ours, "peer_accuracy": peer,
                     "broken_answers": broken, "empty_answers": empty,
                     "latency_ms": {"p50": float(np.median(ms)), "p99": float(np.percentile(ms, 99))}})


if __name__ == "__main__":
    main()
