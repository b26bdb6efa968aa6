"""Placing written addresses: how many a test set places by itself, and how many it places wrongly.

The test set is generated from the demo town's standard address base (17,000 houses and buildings, the
villages' street names repeating from village to village and in town): a few hundred real addresses,
each written the way callers and hotline operators write them: with the province/city/county/town in
front, full-width digits, 幢/号楼/3-2-502, Chinese numerals, a wrong character in the road or village,
the village left out, the number left out, trailing words, or another city's prefix. The truth is the
grid of the address it came from (for another city's address: none, so placing it at all is wrong).
An address placed in another grid is placed wrongly; the grid's worker gets a case that is not
theirs and its clock runs.

Beside it, in the same run and on the same set, the matcher it replaced: one fuzzy score over the
whole string (rapidfuzz WRatio), placing at 88 or more.
"""

from __future__ import annotations

import random
import re
import time
import unicodedata
from collections import Counter

from bench.common import figure, setup_django, write_results

SAMPLE = 500
SEED = 20261205
OLD_MATCH_SCORE = 88
# characters and ones that sound alike, for typos as a hotline operator makes them
NEAR = dict(
    zip(
        "利门溪口胜街路新村中边解放龙虎后洋韩大茗蟾仙岩城东南北鳌华环",
        "力们西扣圣接露心存钟编姐方隆湖厚阳寒达明婵先炎程冬男背熬化还",
        strict=True,
    )
)
PREFIXES = ["福建省宁德市寿宁县鳌阳镇", "寿宁县鳌阳镇", "鳌阳镇", "宁德市寿宁县", "寿宁鳌阳", "福建寿宁县"]
TRAILING = ["门口", "附近", "对面", "旁边的巷子", "楼下"]
CN = "零一二三四五六七八九"


def _cn(number: str) -> str:
    n = int(number)
    if n <= 10:
        return "十" if n == 10 else CN[n]
    if n < 20:
        return "十" + (CN[n % 10] if n % 10 else "")
    return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")


def _typo(word: str, rng: random.Random) -> str:
    """One character of the word swapped for one that sounds alike (not its last: 路/街 stay)."""
    spots = [i for i, ch in enumerate(word[:-1]) if ch in NEAR]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[:i] + NEAR[word[i]] + word[i + 1 :]


def variants(address: str, village: str, road: str, rng: random.Random) -> dict[str, str]:
    """The ways one address is written, by kind."""
    rest = address[len(village) :]  # 胜利街3号 / 胜利街15号3栋2单元502室
    gate = re.match(rf"{re.escape(road)}(\d+)号", rest)
    assert gate is not None, address
    after_gate = rest[gate.end() :]
    out = {
        "as_written": address,
        "area_prefix": rng.choice(PREFIXES) + address,
        "full_width": address.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}),
        "trailing_words": address + rng.choice(TRAILING),
        "road_typo": village + _typo(road, rng) + rest[len(road) :],
        "no_number": village + road + (after_gate if after_gate else rng.choice(TRAILING)),
        "other_city": "福州市鼓楼区" + rest,
    }
    if village:
        out["village_typo"] = _typo(village, rng) + rest
        out["village_left_out"] = rest
    else:
        m = re.match(r"(\d+)栋(\d+)单元(\d+)室", after_gate)
        assert m is not None, address
        b, u, r = m.groups()
        head = f"{road}{gate.group(1)}号"
        out["building_forms"] = head + rng.choice(
            [f"{b}幢{u}单元{r}", f"{b}-{u}-{r}", f"{b}号楼{u}单元{r}室"]
        )
        out["chinese_numerals"] = f"{road}{_cn(gate.group(1))}号{_cn(b)}栋{_cn(u)}单元{r}室"
    return out


def old_matcher(rows):
    """The whole-string fuzzy match it replaced, as it was."""
    from rapidfuzz import fuzz, process

    def normalise(text: str) -> str:
        text = unicodedata.normalize("NFKC", text or "")
        return re.sub(r"[\s,，.。、\-—()（）#]", "", text)

    keys = [normalise(r[0]) for r in rows]

    def match(text: str) -> int | None:
        hit = process.extractOne(normalise(text), keys, scorer=fuzz.WRatio, score_cutoff=50)
        return rows[hit[2]][3] if hit is not None and hit[1] >= OLD_MATCH_SCORE else None

    return match


def run() -> None:
    setup_django("address_match")
    from wangge.core import demo
    from wangge.registry import services as registry

    demo._STEPS[:] = [s for s in demo._STEPS if s[0] <= 20]  # grids, logins and the archive only
    demo.load()
    book = registry.address_book()
    rows = registry.address_base()
    rng = random.Random(SEED)
    tests: list[tuple[str, str, int | None]] = []  # kind, written, true grid id (None: not ours)
    for address, _lon, _lat, grid_id in rng.sample(rows, SAMPLE):
        parts = book.parse(address)
        assert parts is not None, address
        if not parts.place and "栋" in address and "室" not in address:
            continue  # a building's own entry: its flats stand for it
        for kind, written in variants(address, parts.place, parts.road, rng).items():
            tests.append((kind, written, None if kind == "other_city" else grid_id))
    old = old_matcher(rows)
    outcome: dict[str, Counter] = {"new": Counter(), "old": Counter()}
    by_kind: dict[str, Counter] = {}
    elapsed = {"new": 0.0, "old": 0.0}
    for kind, written, truth in tests:
        t0 = time.perf_counter()
        found = book.match(written)
        elapsed["new"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        old_grid = old(written)
        elapsed["old"] += time.perf_counter() - t0
        new_grid = found.entry.grid_id if found.entry else None
        for name, grid in (("new", new_grid), ("old", old_grid)):
            verdict = "unplaced" if grid is None else ("right" if grid == truth else "wrong")
            outcome[name][verdict] += 1
            by_kind.setdefault(f"{kind}:{name}", Counter())[verdict] += 1
    n = len(tests)
    placed = {k: (c["right"] + c["wrong"]) / n for k, c in outcome.items()}
    wrong = {k: c["wrong"] / n for k, c in outcome.items()}
    right = {k: c["right"] / n for k, c in outcome.items()}
    print(f"{n} written addresses from {SAMPLE} sampled entries of {len(rows)}")
    print(f"{'kind':<20}{'new right/wrong/unplaced':>28}{'old right/wrong/unplaced':>28}")
    for kind in sorted({k.split(":")[0] for k in by_kind}):
        cells = []
        for name in ("new", "old"):
            c = by_kind[f"{kind}:{name}"]
            cells.append(f"{c['right']}/{c['wrong']}/{c['unplaced']}")
        print(f"{kind:<20}{cells[0]:>28}{cells[1]:>28}")
    share = dict(unit="share", target=None, lower_is_better=False)
    figures = {
        "placed_automatically": figure(
            placed["new"], baseline=placed["old"], note="of all written addresses; baseline: the old matcher",
            **share,
        ),
        "placed_rightly": figure(
            right["new"], baseline=right["old"], note="placed in the grid the address lies in", **share
        ),
        "placed_wrongly": figure(
            wrong["new"], "share", baseline=wrong["old"], target=0.01, lower_is_better=True,
            note="placed in another grid, or placed at all when it lies in another city; target: at most 1%",
        ),
        "match_time": figure(
            elapsed["new"] / n * 1000, "ms", baseline=elapsed["old"] / n * 1000, target=None,
            lower_is_better=True, note="per address, beside the old matcher's",
        ),
    }  # fmt: skip
    meta = {
        "addresses": n,
        "address_base": len(rows),
        "by_kind": {k: dict(c) for k, c in sorted(by_kind.items())},
    }
    write_results("address_match", figures, meta)


def main() -> None:
    run()
