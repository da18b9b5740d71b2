"""Free text in Chinese or English becomes a shopping intent: categories, occasion, season, colours
(wanted and excluded), styles, a price range with its currency, for whom, a size, the language.

Words come from a lexicon that is data (`assets/guide/lexicon.json`), so a merchandiser adds a
synonym without touching code. Chinese is segmented by jieba, taught every lexicon phrase; other
runs of text are split into words. Phrases match whole tokens, longest first, so "not too
expensive" is a price level and not a negation, and "连衣裙" is a dress and not a skirt. What is not
understood is listed, never guessed; what cannot be a constraint (a price of -5) is said in words.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from engine.garments.charts import ASSETS

LEXICON = ASSETS / "guide" / "lexicon.json"
MAX_TEXT = 500  # characters of one question
MAX_PRICE = 100_000.0  # a limit above this is no limit: said, and dropped
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
TOKEN = re.compile(r"(?<![\w.])-\d+(?:\.\d+)?|\d+(?:\.\d+)?|[a-z]+(?:['’-][a-z]+)*|[€$¥]|[^\sa-z\d]")
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
STOP = {"en": set("a an the for my me i to wear wearing something some want need needs looking look please with of on "
                  "any that this is it its or also can you show find get buy be would like something's one pair "
                  "new good nice great what which who good best our your we us at by as so".split()),
        "zh": set("的 了 穿 买 一件 件 想 我 要 给 找 一条 条 吗 呢 啊 有 什么 适合 的话 一下 一些 一套 套 帮 请 能 可以 在 和 "
                  "或者 还是 是 也 都 就 去 参加 用 比较 点 一点 看看 推荐 时候 时 买件 买条 一个 个 双 条裤子".split())}


class IntentError(ValueError):
    """A question that cannot be read at all: empty, or too long."""


class Language(StrEnum):
    ZH = "zh"
    EN = "en"


class Kind(StrEnum):
    CATEGORY = "categories"
    GROUP = "category_groups"
    OCCASION = "occasions"
    SEASON = "seasons"
    COLOUR = "colours"
    STYLE = "styles"
    PATTERN = "patterns"  # the cloth's print: stripe, check, print, solid
    GENDER = "genders"
    PRICE_LOW = "price_low"
    PRICE_HIGH = "price_high"
    NEGATION = "negations"
    PRICE_MAX = "price_max"
    PRICE_MIN = "price_min"
    PRICE_RANGE = "price_range"
    SIZE_CUE = "sizes"
    CURRENCY = "currencies"


@dataclass
class Intent:
    """The fields outside tools rely on (exact names), then what the guide could not use."""

    categories: list[str] = field(default_factory=list)
    occasion: str | None = None
    season: str | None = None
    colours: list[str] = field(default_factory=list)
    exclude_colours: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    min_price: float | None = None
    max_price: float | None = None
    currency: str | None = None
    gender: str | None = None  # for whom: male or female
    size: str | None = None
    language: str = Language.EN.value
    price_level: str | None = None  # "low" (cheap, 不要太贵) or "high": mapped to the category's price range
    patterns: list[str] = field(default_factory=list)  # prints wished for: stripe, check, print, solid
    exclude_patterns: list[str] = field(default_factory=list)  # "no stripes", 不要格子
    ignored: list[str] = field(default_factory=list)  # words not understood
    problems: list[str] = field(default_factory=list)  # said, but not usable as a constraint

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Token:
    text: str      # as matched (lower case, NFKC)
    original: str  # as typed (case kept: "M" is a size, "m" may not be)
    cjk: bool


class Lexicon:
    """Phrases by compact form (tokens joined without spaces) -> (kind, value), per language."""

    def __init__(self, path: Path = LEXICON):
        data = json.loads(Path(path).read_text())
        self.data = data
        self.phrases: dict[str, list[tuple[Kind, str]]] = {}
        self.longest = 1
        for kind in Kind:
            entries = data[kind.value]
            if "en" in entries:  # one meaning (negations, price words, size cues): the kind is the value
                entries = {kind.value: entries}
            for value, words in entries.items():
                for language in ("en", "zh"):
                    for phrase in words.get(language, []):
                        self._add(phrase, kind, value)
        self.zh_words = sorted({p for p, _ in self._all() if CJK.search(p)})
        #: the first word of each value per language: how the guide names it in an answer
        self.names = {language: {kind: {value: words[language][0] for value, words in data[kind.value].items()}
                                 for kind in (Kind.CATEGORY, Kind.OCCASION, Kind.SEASON, Kind.COLOUR, Kind.STYLE,
                                              Kind.PATTERN)}
                      for language in ("en", "zh")}

    def _all(self):
        return ((p, k) for p, ks in self.phrases.items() for k in ks)

    def _add(self, phrase: str, kind: Kind, value: str) -> None:
        tokens = tokenize(normalise(phrase), segment=None)
        key = "".join(t.text for t in tokens)
        if key:
            self.phrases.setdefault(key, []).append((kind, value))
            self.longest = max(self.longest, len(tokens))


def normalise(text: str) -> str:
    """NFKC (full-width digits and letters become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def tokenize(text: str, segment=None, original: str | None = None) -> list[Token]:
    """Words of `text`: jieba's segments for runs of Chinese (when `segment` is given), regex words otherwise."""
    original = original if original is not None else text
    tokens: list[Token] = []
    at = 0
    for run in CJK.finditer(text):
        tokens += _latin(text[at:run.start()], original[at:run.start()])
        pieces = list(segment(run.group())) if segment else [run.group()]
        tokens += [Token(part, part, True) for piece in pieces if piece.strip() for part in _split_numeral(piece)]
        at = run.end()
    return tokens + _latin(text[at:], original[at:])


NUMERAL_PREFIX = re.compile(r"^([零〇一二两三四五六七八九十百千万]+)(.+)$")


def _split_numeral(piece: str) -> list[str]:
    """八十块 -> 八十, 块: a Chinese number the segmenter glued to its unit (not 一件, "one item")."""
    match = NUMERAL_PREFIX.match(piece)
    if match and (len(match.group(1)) > 1 or any(ch in "十百千万" for ch in match.group(1))):
        return [match.group(1), match.group(2)]
    return [piece]


def _latin(text: str, original: str) -> list[Token]:
    return [Token(m.group(), original[m.start():m.end()], False) for m in TOKEN.finditer(text)]


@functools.lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return Lexicon()


@functools.lru_cache(maxsize=1)
def _segmenter():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    for word in lexicon().zh_words:
        jieba.add_word(word, freq=200_000)
    return jieba.lcut


def parse(text: str, words: Lexicon | None = None) -> Intent:
    """The intent of a question; IntentError when there is nothing to read or far too much."""
    if not isinstance(text, str) or not text.strip():
        raise IntentError("ask something: the question is empty")
    if len(text) > MAX_TEXT:
        raise IntentError(f"the question is {len(text)} characters long; ask in at most {MAX_TEXT}")
    words = words or lexicon()
    normal = normalise(text)
    cjk_chars = sum(len(m.group()) for m in CJK.finditer(normal))
    latin_words = len(re.findall(r"[a-z]+", normal))
    intent = Intent(language=(Language.ZH if cjk_chars and cjk_chars >= latin_words else Language.EN).value)
    tokens = tokenize(normal, _segmenter(), unicodedata.normalize("NFKC", text))
    matched = _match(tokens, words)
    _read(intent, tokens, matched)
    return intent


def _match(tokens: list[Token], words: Lexicon) -> list[list[tuple[Kind, str]] | None]:
    """For each token, the lexicon entries of the longest phrase starting there (None inside a phrase
    already matched, [] for an unmatched token)."""
    out: list[list[tuple[Kind, str]] | None] = []
    i = 0
    while i < len(tokens):
        for n in range(min(words.longest, len(tokens) - i), 0, -1):
            key = "".join(t.text for t in tokens[i:i + n])
            if key in words.phrases:
                out += [words.phrases[key]] + [None] * (n - 1)
                i += n
                break
        else:
            out.append([])
            i += 1
    return out


CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000}


def chinese_number(text: str) -> float | None:
    """八十 -> 80, 一百五十 -> 150, 两千 -> 2000, 三万 -> 30000; None when `text` is not a number."""
    if not text or any(ch not in CHINESE_DIGITS and ch not in CHINESE_UNITS for ch in text):
        return None
    total = section = digit = 0
    for ch in text:
        if ch in CHINESE_DIGITS:
            digit = CHINESE_DIGITS[ch]
        elif CHINESE_UNITS[ch] == 10_000:
            total, section, digit = total + (section + digit) * 10_000, 0, 0
        else:
            section, digit = section + (digit or 1) * CHINESE_UNITS[ch], 0
    return float(total + section + digit)


def _number(token: Token) -> float | None:
    try:
        return float(token.text)
    except ValueError:
        return chinese_number(token.text) if token.cjk else None


CLAUSE_BREAKS = {",", ";", ".", "!", "?", "。"}  # a negation ends here ("no stripes, a plain dress"); not at 、


def _read(intent: Intent, tokens: list[Token], matched: list) -> None:
    negated_until = -1
    prices: list[tuple[int, float]] = []
    kinds_at: dict[int, set[Kind]] = {}
    for i, (token, entries) in enumerate(zip(tokens, matched)):
        if token.text in CLAUSE_BREAKS:
            negated_until = -1
        if entries is None:
            continue
        kinds = {kind for kind, _ in entries}
        kinds_at[i] = kinds
        value = {kind: v for kind, v in reversed(entries)}
        number = _number(token)
        if number is not None:
            prices.append((i, number))
        elif Kind.NEGATION in kinds and len(kinds) == 1:
            negated_until = i + 4
        elif Kind.COLOUR in kinds or Kind.PATTERN in kinds:
            kind = Kind.COLOUR if Kind.COLOUR in kinds else Kind.PATTERN
            wanted, excluded = ((intent.colours, intent.exclude_colours) if kind is Kind.COLOUR
                                else (intent.patterns, intent.exclude_patterns))
            target = excluded if i <= negated_until else wanted
            if value[kind] not in target:
                target.append(value[kind])
            if i <= negated_until:
                negated_until = i + 3  # "not black or navy", "no stripes or checks"
        elif Kind.CATEGORY in kinds or Kind.GROUP in kinds:
            found = [value[Kind.CATEGORY]] if Kind.CATEGORY in kinds else lexicon().data["category_groups"][
                value[Kind.GROUP]]["categories"]
            intent.categories += [c for c in found if c not in intent.categories]
        elif Kind.OCCASION in kinds:
            intent.occasion = intent.occasion or value[Kind.OCCASION]
        elif Kind.SEASON in kinds:
            intent.season = intent.season or value[Kind.SEASON]
        elif Kind.STYLE in kinds:
            if value[Kind.STYLE] not in intent.styles:
                intent.styles.append(value[Kind.STYLE])
        elif Kind.GENDER in kinds:
            intent.gender = intent.gender or value[Kind.GENDER]
        elif Kind.PRICE_LOW in kinds:
            intent.price_level = "low"
        elif Kind.PRICE_HIGH in kinds:
            intent.price_level = "high"
        elif Kind.CURRENCY in kinds:
            intent.currency = intent.currency or value[Kind.CURRENCY]
        elif token.original.upper() in SIZES and _is_size(i, tokens, kinds_at, matched):
            intent.size = token.original.upper()
        elif not kinds and not token.cjk and token.text in STOP["en"] or token.cjk and token.text in STOP["zh"]:
            continue
        elif not kinds and (token.cjk or token.text[0].isalpha()):
            intent.ignored.append(token.original)
    _prices(intent, tokens, prices, kinds_at)


def _is_size(i: int, tokens: list[Token], kinds_at: dict[int, set[Kind]], matched: list) -> bool:
    """A size letter: typed in capitals (a lone "S", "M" or "L" needs capitals or a cue), or next to a
    size cue ("size m", "my usual m", "M码")."""
    cue = Kind.SIZE_CUE in kinds_at.get(i - 1, set()) or (i + 1 < len(tokens) and bool(matched[i + 1])
                                                          and any(k is Kind.SIZE_CUE for k, _ in matched[i + 1]))
    return cue or tokens[i].original.isupper() and (len(tokens[i].original) > 1 or tokens[i].original in "SML")


def _near(kinds_at: dict[int, set[Kind]], at: int, kind: Kind, before: int, after: int) -> bool:
    return any(kind in kinds_at.get(j, set()) for j in range(at - before, at + after + 1) if j != at)


def _prices(intent: Intent, tokens: list[Token], prices: list[tuple[int, float]], kinds_at: dict) -> None:
    """Numbers become a price range by the words around them: under 80, 80元以内, 40-80, between 40 and 80."""
    used = set()
    for (i, low), (j, high) in zip(prices, prices[1:]):
        if 0 < j - i <= 3 and any(Kind.PRICE_RANGE in kinds_at.get(k, set()) for k in range(i + 1, j)) and low >= 0:
            _limit(intent, "min_price", low)
            _limit(intent, "max_price", high)
            used |= {i, j}
    for i, number in prices:
        if i in used:
            continue
        if _near(kinds_at, i, Kind.PRICE_MAX, 3, 3):
            _limit(intent, "max_price", number)
        elif _near(kinds_at, i, Kind.PRICE_MIN, 3, 3):
            _limit(intent, "min_price", number)
        elif _near(kinds_at, i, Kind.CURRENCY, 1, 2):
            _limit(intent, "max_price", number)  # "a dress for 80 euros": that much, at most
        elif tokens[i].text not in ("0",):
            intent.ignored.append(tokens[i].original)


def _limit(intent: Intent, name: str, value: float) -> None:
    if value <= 0:
        intent.problems.append(f"a price of {value:.10g} is not a price; no {name.split('_')[0]}imum price used")
    elif value > MAX_PRICE:
        intent.problems.append(f"a price of {value:.10g} is beyond anything in the store; no {name.split('_')[0]}imum "
                               "price used")
    else:
        setattr(intent, name, value)
