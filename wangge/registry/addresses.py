"""Placing a written address on the standard address base (标准地址库).

12345 orders and phone reports carry an address, not a point, and there is no geocoder here. A whole-string
fuzzy score cannot tell "北门村胜利街3号" from "溪口村胜利街3号" (one character apart) and punishes the
caller who says "寿宁县鳌阳镇" first. So an address is read the way a clerk reads it:

1. normalised: full-width digits, Chinese numerals before 号/栋/单元/室, 幢/座/号楼 as 栋, "3-2-502" as
   3栋2单元502室, and the site's own area (province, city, county, town) taken off the front;
2. cut into parts: the place before the road (a village or community), the road, the gate number, then
   building, unit and room;
3. matched part by part: the road by name (one wrong character forgiven when no other road is that
   close), the gate number exactly, the place against the village/community the address lies in, the
   building, unit and room where both sides have them.

An address is placed only when everything that matches lies in one grid; when two places are left (the
town's 胜利街3号 and a village's), or the number is missing, it waits for a person, with the reason."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

ROAD_ENDINGS = ("大道", "路", "街", "巷", "弄", "道")
AREA_ENDINGS = (
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "街道",
    "省",
    "市",
    "州",
    "盟",
    "地区",
    "县",
    "区",
    "旗",
    "镇",
    "乡",
)
DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
CN_NUMBER = re.compile(r"([零〇一二两三四五六七八九十百]+)(?=号|栋|单元|室|层|组|$)")
PARTS = re.compile(
    r"(?P<number>\d+)(?:号|(?![\d栋单室层楼-]))(?:(?P<building>\d+)栋)?(?:(?P<unit>\d+)单元)?(?:(?P<room>\d+)室?)?"
)
FULL_SCORE = 100.0
FORGIVEN_TYPO = 10.0  # taken off the score for each part matched with one wrong character


def _chinese_number(text: str) -> str:
    """三 → 3, 十二 → 12, 二十 → 20, 一百零五 → 105, 五零二 (read digit by digit) → 502."""
    if "十" not in text and "百" not in text:
        return "".join(str(DIGITS[ch]) for ch in text)
    total = current = 0
    for ch in text:
        if ch in DIGITS:
            current = DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return str(total + current)


def canonical(text: str) -> str:
    """The forms of one address made one: no spaces or punctuation, half-width digits, 栋 for 幢/座/号楼,
    "15号3-2-502" as 15号3栋2单元502室."""
    text = unicodedata.normalize("NFKC", text or "")
    text = re.sub(r"[\s,，.。、()（）#＃:：;；\"'“”‘’]", "", text)
    text = re.sub(r"[—–－~～_]", "-", text)
    text = CN_NUMBER.sub(lambda m: _chinese_number(m.group(1)), text)
    text = re.sub(r"(\d+)(?:幢|座)", r"\1栋", text)
    text = re.sub(r"(\d+)号楼(?=\d|$)", r"\1栋", text)  # 3号楼502 is a block; 3号楼下 is downstairs at 3号
    text = re.sub(r"号(\d+)-(\d+)-(\d+)", r"号\1栋\2单元\3室", text)
    text = re.sub(r"栋(\d+)-(\d+)", r"栋\1单元\2室", text)
    text = re.sub(r"号(\d+)-(\d+)", r"号\1栋\2室", text)
    return text


def _short(name: str) -> str:
    """寿宁县 → 寿宁: the name as people say it without its administrative ending."""
    for ending in AREA_ENDINGS:
        if name.endswith(ending) and len(name) - len(ending) >= 2:
            return name[: -len(ending)]
    return name


def area_names(area: str) -> list[str]:
    """ "福建省宁德市寿宁县" → ["福建省", "宁德市", "寿宁县"]: the site's area cut at its endings."""
    pattern = "|".join(AREA_ENDINGS)
    return [m.group(0) for m in re.finditer(rf".+?(?:{pattern})", area or "")]


@dataclass(frozen=True)
class Address:
    """An address in parts; numbers as text so that "0" and "" differ."""

    place: str
    road: str
    number: str
    building: str = ""
    unit: str = ""
    room: str = ""


@dataclass(frozen=True)
class Entry:
    address: str
    lon: float | None
    lat: float | None
    grid_id: int
    parts: Address
    places: frozenset[str]  # the names of the place it lies in: its own place part, its grid's chain
    chain: tuple[str, ...] = ()  # its grid's names from the root down


@dataclass(frozen=True)
class Match:
    entry: Entry | None  # None: not placed
    score: float
    reason: str = ""  # why it was not placed, for the person who places it

    @property
    def placed(self) -> bool:
        return self.entry is not None


class AddressBook:
    """The address base loaded once: entries by (road, gate number)."""

    def __init__(self, rows, *, area: str = "", grid_names: dict[int, list[str]] | None = None):
        grid_names = grid_names or {}
        self.prefixes: list[str] = []
        for name in area_names(area) + sorted({n for names in grid_names.values() for n in names[:1]}):
            self.prefixes += [name] + ([_short(name)] if _short(name) != name else [])
        self.prefixes.sort(key=len, reverse=True)
        self.roads: set[str] = set()
        self.place_names: set[str] = {n for names in grid_names.values() for n in names[1:]}
        parsed = []
        for address, lon, lat, grid_id in rows:
            parts = self.parse(address)
            if parts is None:
                continue
            parsed.append((address, lon, lat, grid_id, parts))
            self.roads.add(parts.road)
            if parts.place:
                self.place_names.add(parts.place)
        self.by_gate: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        self.on_road: dict[str, set[int]] = defaultdict(set)
        for address, lon, lat, grid_id, parts in parsed:
            chain = tuple(grid_names.get(grid_id, []))
            places = frozenset({parts.place, *chain} - {""})
            self.by_gate[(parts.road, parts.number)].append(
                Entry(address, lon, lat, grid_id, parts, places, chain)
            )
        self.vocabulary = sorted(self.roads | self.place_names, key=len, reverse=True)

    def _strip_area(self, text: str) -> str:
        """Take the site's own province, city, county and town off the front, in any combination; a short
        name (鳌阳) only when it does not begin a road or place of the base (鳌阳路)."""
        changed = True
        while changed and text:
            changed = False
            for prefix in self.prefixes:
                if text.startswith(prefix) and len(text) > len(prefix):
                    rest = text[len(prefix) :]
                    if any(text.startswith(n) for n in self.vocabulary if len(n) > len(prefix)):
                        continue
                    text, changed = rest, True
                    break
        return text

    def _roads_in(self, head: str) -> tuple[str, list[str], bool] | None:
        """(place, roads, exact) for the text before the gate number: the longest road of the base it ends
        with, or else every road it ends with but for one character (the gate number decides among them)."""
        exact = [r for r in self.roads if head.endswith(r)]
        if exact:
            road = max(exact, key=len)
            return head[: -len(road)], [road], True
        close = sorted(r for r in self.roads if len(r) >= 3 and Levenshtein.distance(head[-len(r) :], r) <= 1)
        if close:
            return head[: -len(close[0])], close, False
        return None

    def parse(self, text: str) -> Address | None:
        """The parts of an address as the base writes it, or None when it has no road and gate number."""
        for head, parts in _splits(canonical(text)):
            road_end = next((e for e in ROAD_ENDINGS if head.endswith(e)), None)
            if road_end is None:
                continue
            # the road is what follows the last place ending (村, 社区, 小区) that leaves a whole road
            # behind: 北门村新村路 is 北门村 + 新村路, not 北门村新村 + 路
            place, road = "", head
            for cut in sorted(_ends_of(head, ("村", "社区", "小区")), reverse=True):
                if len(head) - cut > len(road_end):
                    place, road = head[:cut], head[cut:]
                    break
            return Address(place, road, parts["number"], parts["building"] or "", parts["unit"] or "",
                           parts["room"] or "")  # fmt: skip
        return None

    def match(self, text: str) -> Match:
        text = self._strip_area(canonical(text))
        # the gate number is the first number that follows a road (第1村胜利街3号: 3, not 1)
        found = next(
            ((reading, parts) for head, parts in _splits(text) if (reading := self._roads_in(head))), None
        )
        if found is None:
            has_road = any(road in text for road in self.roads)
            return Match(None, 0.0, "缺少门牌号" if has_road else "地址中没有道路和门牌号")
        (place, roads, exact_road), parts = found
        score = FULL_SCORE if exact_road else FULL_SCORE - FORGIVEN_TYPO
        entries = [e for r in roads for e in self.by_gate.get((r, parts["number"]), [])]
        road = "、".join(sorted({e.parts.road for e in entries})) or roads[0]
        if not entries:
            return Match(None, score / 2, f"地址库中没有{road}{parts['number']}号")
        if place:
            # an address written with that place first (北门村胜利街3号), then one lying in it (敖东社区…)
            same = [e for e in entries if e.parts.place == place] or [e for e in entries if place in e.places]
            if not same:
                same = [e for e in entries if any(_close(place, p) for p in e.places)]
                score -= FORGIVEN_TYPO
            if not same:
                return Match(None, score / 2, f"{road}{parts['number']}号不在“{place}”")
            entries = same
        for key in ("building", "unit", "room"):
            wanted = parts[key]
            if wanted:
                narrower = [e for e in entries if getattr(e.parts, key) == wanted]
                if narrower:
                    entries = narrower
        grids = {e.grid_id for e in entries}
        road = "、".join(sorted({e.parts.road for e in entries}))
        if len(grids) > 1:
            where = "、".join(sorted({_place_label(e) for e in entries}))
            return Match(None, score / 2, f"{road}{parts['number']}号有 {len(grids)} 处（{where}），请指明")
        best = min(entries, key=lambda e: (len(e.address), e.address))
        return Match(best, score)


def _splits(text: str):
    """(text before, parts from) at each number in the text that could be a gate number."""
    for m in re.finditer(r"(?<!\d)\d", text):
        if m.start() == 0:
            continue
        parts = PARTS.match(text, m.start())
        if parts is not None:
            yield text[: m.start()].removesuffix("号"), parts


def _ends_of(text: str, words: tuple[str, ...]) -> set[int]:
    return {m.end() for w in words for m in re.finditer(re.escape(w), text)}


def _close(a: str, b: str) -> bool:
    """A place name with one wrong character (北们村 for 北门村), not a different short name and not a
    different number (第3村 is not 第1村)."""
    if _numbers(a) != _numbers(b):
        return False
    return len(a) >= 3 and len(b) >= 3 and Levenshtein.distance(a, b) <= 1


def _numbers(name: str) -> str:
    return re.sub(r"[^\d零〇一二两三四五六七八九十百]", "", name)


def _place_label(entry: Entry) -> str:
    """Where an entry lies, as a caller would name it: its village or community."""
    return entry.parts.place or (entry.chain[1] if len(entry.chain) > 1 else "") or entry.address
