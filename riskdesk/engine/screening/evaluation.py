"""A deterministic, labelled evaluation set for name screening, built from a real list.

Positives are listed names (primary names of SDN persons and entities) rewritten the
way staff or partners actually write them: a typo, a transliteration variant (also
Cyrillic script or added accents), another word order, a dropped or an extra middle
name, a changed legal form, other case and punctuation. Negatives are ordinary US
person and company names that are checked not to be listed names.

``evaluate(screen, cases)`` runs any screening function (query -> listed uids it flags)
and reports recall (positives whose listed entry was flagged) and false-positive rate
(negatives that flagged anything).
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .importers import ListEntry
from .normalize import name_tokens, normalize_name

__all__ = [
    "DEFAULT_SEED",
    "Case",
    "EvalResult",
    "VARIANTS",
    "build_evaluation_set",
    "evaluate",
    "evaluate_matcher",
    "load_dev_set",
    "same_name",
]

DEFAULT_SEED = 20261126
VARIANTS = (
    "typo",
    "transliteration",
    "word_order",
    "drop_middle",
    "extra_middle",
    "legal_form",
    "case_punctuation",
)
_PERSON_VARIANTS = ("typo", "transliteration", "word_order", "drop_middle", "extra_middle", "case_punctuation")
_ENTITY_VARIANTS = ("typo", "transliteration", "legal_form", "case_punctuation")


@dataclass(frozen=True)
class Case:
    query: str
    expected: frozenset[str]  # uids that count as a correct hit (empty for negatives)
    variant: str  # one of VARIANTS, or "negative_person" / "negative_company"
    listed_name: str = ""
    kind: str = "person"  # "person" or "entity": what the query names

    @property
    def positive(self) -> bool:
        return bool(self.expected)


@dataclass
class EvalResult:
    recall: float
    false_positive_rate: float
    positives: int
    negatives: int
    seconds: float
    recall_by_variant: dict[str, float] = field(default_factory=dict)
    misses: list[Case] = field(default_factory=list)
    false_positives: list[tuple[Case, list[str]]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"recall {100 * self.recall:.1f}% of {self.positives}, "
            f"false-positive rate {100 * self.false_positive_rate:.1f}% of {self.negatives}, "
            f"{self.seconds * 1000:.0f} ms"
        )


# ----------------------------------------------------------------------------- data

_FIRST = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara
Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty
Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle
Kenneth Carol Kevin Amanda Brian Melissa Timothy Deborah Ronald Stephanie George Dorothy Jason Rebecca
Edward Sharon Jeffrey Laura Ryan Cynthia Jacob Amy Gary Kathleen Nicholas Angela Eric Shirley Jonathan
Brenda Stephen Emma Larry Anna Justin Pamela Scott Nicole Brandon Samantha Benjamin Katherine Samuel
Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis
Heather Jerry Helen Tyler Catherine Aaron Diane Henry Julie Douglas Victoria Peter Joyce Adam Lauren
Nathan Kelly Zachary Christina Walter Joan Kyle Evelyn Harold Judith Carl Megan Jeremy Andrea Keith
Cheryl Roger Hannah Gerald Jacqueline Ethan Martha Arthur Madison Terry Teresa Christian Gloria Sean
Sara Lawrence Janice Austin Ann Joe Kathryn Noah Abigail Jesse Sophia Albert Frances Bryan Jean Billy
Alice Bruce Judy Willie Isabella Jordan Julia Wayne Grace Alan Amber Juan Denise Logan Danielle Gabriel
Marilyn Ralph Beverly Roy Charlotte Eugene Natalie Randy Theresa Vincent Diana Russell Brittany Louis
Doris Philip Kayla Bobby Alexis Johnny Lori Bradley Marie""".split()
_LAST = """Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin
Jackson Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill Green Adams
Nelson Baker Hall Campbell Mitchell Carter Roberts Phillips Evans Turner Parker Collins Edwards Stewart
Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell Kelly Howard Cox Ward Richardson Watson
Brooks Wood James Bennett Gray Hughes Price Sanders Myers Long Ross Foster Powell Jenkins Perry Russell
Sullivan Fisher Henderson Coleman Simmons Patterson Jordan Reynolds Hamilton Graham Wallace Cole West
Stevens Marshall Owens Harrison Gibson Ellis Fisher Tucker Porter Hunter Hicks Crawford Henry Boyd Mason
Kennedy Warren Dixon Burns Gordon Shaw Holmes Rice Robertson Hunt Black Daniels Palmer Mills Grant Knight
Ferguson Stone Hawkins Dunn Perkins Hudson Spencer Stephens Pierce Hansen Wagner Schmidt Olson Larson
Carlson Peters Weaver Lane Riley Armstrong Carpenter Webb Fox Rose Payne Chapman Lawrence Meyer Snyder
Schneider Fuller Bishop Welch Lynch Hayes Barnes Fleming Garrett Berry Matthews Austin Ryan Wheeler
Hoffman Walsh Quinn Franklin Harper Bradley Andrews Murray Lawson Olsen Nichols Greene Burke Newman""".split()
_COMPANY_A = """Riverside Summit Maple Oakwood Prairie Lakeview Cedar Harbor Pioneer Heritage Liberty
Granite Evergreen Northstar Bluebird Sunrise Meadowbrook Brookside Highland Silverline Keystone Redwood
Willow Crescent Hillcrest Fairview Stonebridge Clearwater Westfield Ironwood Golden Horizon Sterling
Beacon Cornerstone Parkside Orchard Bayshore Timberline Copperfield Springfield Lincoln Franklin
Jefferson Madison Hudson Cascade Magnolia Juniper""".split()
_COMPANY_B = """Dental Plumbing Landscaping Bakery Logistics Roofing Consulting Realty Insurance Auto
Hardware Printing Catering Pharmacy Veterinary Electric Builders Cleaning Florist Bookkeeping Design
Media Outfitters Brewing Coffee Furniture Flooring Heating Pediatrics Orthodontics Accounting Storage
Moving Fitness Tutoring Signs Tire Farms Creamery Marine Aviation Software Analytics Engineering
Architecture Surveying Staffing Security Title Appraisal Imaging""".split()
_COMPANY_C = ["", "Group", "Services", "Partners", "Associates", "Supply", "Company", "Solutions", "Center", "Works"]
_COMPANY_SUFFIX = ["LLC", "Inc.", "Co.", "Ltd.", "Corp.", "", "", "L.L.C.", "Incorporated", "Company"]
_MIDDLE = ["Ali", "Maria", "Jose", "Ahmed", "Lee", "Ann", "Ivan", "Hassan", "Luis", "Mae"]

_TRANSLIT_RULES = (
    ("MOHAMMED", "MUHAMMAD"), ("MUHAMMAD", "MOHAMED"), ("MOHAMMAD", "MUHAMMED"), ("MOHAMAD", "MUHAMMAD"),
    ("AHMED", "AHMAD"), ("AHMAD", "AHMED"), ("HUSSEIN", "HUSAYN"), ("HUSAYN", "HUSSEIN"),
    ("YOUSSEF", "YUSUF"), ("YUSUF", "YOUSSEF"), ("OU", "U"), ("OO", "U"), ("EE", "I"), ("KH", "H"),
    ("PH", "F"), ("IY", "II"), ("YA", "IA"), ("YU", "IU"), ("IE", "Y"), ("Q", "K"), ("DZH", "J"),
    ("ZH", "J"), ("SH", "SCH"), ("TS", "TZ"), ("OV", "OFF"), ("EV", "EFF"), ("W", "V"), ("J", "DJ"),
    ("AI", "AY"), ("EI", "EY"), ("ALEKSANDR", "ALEXANDER"), ("SERGEY", "SERGEI"), ("YURIY", "YURI"),
    ("ABD AL ", "ABDUL "), ("ABDUL ", "ABD AL "), ("AL-", "EL-"), ("OSAMA", "USAMA"), ("USAMA", "OSAMA"),
)
_CYRILLIC = {
    "shch": "щ", "sh": "ш", "ch": "ч", "kh": "х", "zh": "ж", "ts": "ц", "yu": "ю", "ya": "я", "yo": "ё",
    "a": "а", "b": "б", "v": "в", "g": "г", "d": "д", "e": "е", "z": "з", "i": "и", "y": "й", "k": "к",
    "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "r": "р", "s": "с", "t": "т", "u": "у", "f": "ф",
    "h": "х", "c": "к", "j": "дж", "q": "к", "w": "в", "x": "кс",
}
_ACCENTS = {"A": "Á", "E": "É", "I": "Í", "O": "Ó", "U": "Ú", "N": "Ñ", "C": "Ç"}
_LEGAL_SWAPS = (
    ("CO., LTD.", "COMPANY LIMITED"), ("CO. LTD.", "Co Ltd"), ("LIMITED", "LTD"), ("LTD.", "LIMITED"),
    ("LTD", "LIMITED"), ("LLC", "L.L.C."), ("L.L.C.", "LLC"), ("JSC", "JOINT STOCK COMPANY"),
    ("PJSC", "PUBLIC JOINT STOCK COMPANY"), ("OOO", "LLC"), ("S.A.", "SA"), ("INC.", "INCORPORATED"),
    ("CORPORATION", "CORP."), ("COMPANY", "CO."), ("GMBH", "GmbH"), ("FZE", "FZ LLC"),
)
_ADD_FORMS = ("LLC", "Ltd.", "Inc.", "Co., Ltd.", "JSC", "GmbH", "Limited", "S.A.", "OOO", "Corp.")


# ----------------------------------------------------------------------------- variants


def _typo(rng: random.Random, name: str) -> str | None:
    words = name.split(" ")
    idx = [i for i, w in enumerate(words) if sum(ch.isalpha() for ch in w) >= 5]
    if not idx:
        return None
    i = rng.choice(idx)
    w = words[i]
    pos = [j for j, ch in enumerate(w) if ch.isalpha()][1:-1] or [0]
    j = rng.choice(pos)
    op = rng.choice(("sub", "del", "dup", "swap"))
    letters = "AEIOUNRSTLMKHD" if w.isupper() else "aeiounrstlmkhd"
    if op == "sub":
        w = w[:j] + rng.choice([c for c in letters if c.lower() != w[j].lower()]) + w[j + 1 :]
    elif op == "del":
        w = w[:j] + w[j + 1 :]
    elif op == "dup":
        w = w[:j] + w[j] + w[j:]
    elif j + 1 < len(w) and w[j] != w[j + 1]:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    else:
        w = w[:j] + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def _natural_order(name: str) -> str:
    if "," in name:
        last, _, first = name.partition(",")
        return f"{first.strip()} {last.strip()}".strip()
    return name


def _to_cyrillic(text: str) -> str:
    s = text.lower()
    out = []
    i = 0
    keys = sorted(_CYRILLIC, key=len, reverse=True)
    while i < len(s):
        for k in keys:
            if s.startswith(k, i):
                out.append(_CYRILLIC[k])
                i += len(k)
                break
        else:
            out.append(s[i])
            i += 1
    return "".join(out).title()


def _transliteration(rng: random.Random, name: str, kind: str) -> str | None:
    r = rng.random()
    if kind == "person" and r < 0.25:
        return _to_cyrillic(_natural_order(name))
    if r < 0.4:
        pos = [i for i, ch in enumerate(name) if ch in _ACCENTS]
        if pos:
            picks = rng.sample(pos, min(2, len(pos)))
            chars = list(name)
            for p in picks:
                chars[p] = _ACCENTS[chars[p]]
            return "".join(chars)
    upper = name.upper()
    rules = [(a, b) for a, b in _TRANSLIT_RULES if a in upper]
    if not rules:
        return None
    a, b = rng.choice(rules)
    starts = [i for i in range(len(upper)) if upper.startswith(a, i)]
    i = rng.choice(starts)
    return name[:i] + b + name[i + len(a) :]


def _word_order(rng: random.Random, name: str) -> str | None:
    if "," in name:
        return _natural_order(name)
    words = name.split()
    if len(words) < 2:
        return None
    return " ".join(words[1:] + words[:1])


def _drop_middle(rng: random.Random, name: str) -> str | None:
    if "," not in name:
        return None
    last, _, first = name.partition(",")
    given = first.split()
    if len(given) < 2:
        return None
    del given[rng.randrange(1, len(given))]
    return f"{' '.join(given)} {last.strip()}"


def _extra_middle(rng: random.Random, name: str) -> str | None:
    if "," not in name:
        return None
    last, _, first = name.partition(",")
    given = first.split()
    if not given:
        return None
    given.insert(1, rng.choice(_MIDDLE))
    return f"{' '.join(given)} {last.strip()}"


def _legal_form(rng: random.Random, name: str) -> str | None:
    upper = name.upper()
    swaps = [(a, b) for a, b in _LEGAL_SWAPS if f" {a}" in f" {upper}" and (upper.endswith(a) or f"{a} " in upper)]
    if swaps and rng.random() < 0.7:
        a, b = rng.choice(swaps)
        i = upper.rfind(a)
        return name[:i] + b + name[i + len(a) :]
    stripped = name.rstrip(". ")
    return f"{stripped}, {rng.choice(_ADD_FORMS)}" if rng.random() < 0.5 else f"{stripped} {rng.choice(_ADD_FORMS)}"


def _case_punctuation(rng: random.Random, name: str) -> str | None:
    s = _natural_order(name) if rng.random() < 0.5 else name
    s = s.replace(",", "").replace(".", "")
    s = s.replace("-", " ") if rng.random() < 0.5 else s.replace("-", "")
    return s.lower() if rng.random() < 0.5 else s.title()


def _make_variant(rng: random.Random, variant: str, name: str, kind: str) -> str | None:
    if variant == "typo":
        return _typo(rng, name)
    if variant == "transliteration":
        return _transliteration(rng, name, kind)
    if variant == "word_order":
        return _word_order(rng, name)
    if variant == "drop_middle":
        return _drop_middle(rng, name)
    if variant == "extra_middle":
        return _extra_middle(rng, name)
    if variant == "legal_form":
        return _legal_form(rng, name)
    return _case_punctuation(rng, name)


# ----------------------------------------------------------------------------- the set


def build_evaluation_set(
    entries: Sequence[ListEntry],
    *,
    seed: int = DEFAULT_SEED,
    positives: int = 700,
    negatives: int = 700,
) -> list[Case]:
    """A labelled, reproducible set: ``positives`` variants of listed names and
    ``negatives`` ordinary names verified not to be listed names."""
    rng = random.Random(seed)
    by_norm: dict[str, set[str]] = {}
    for e in entries:
        for n in e.names:
            by_norm.setdefault(normalize_name(n), set()).add(e.uid)
    return _positive_cases(rng, entries, by_norm, positives) + _negative_cases(rng, set(by_norm), negatives)


def _positive_cases(rng: random.Random, entries: Sequence[ListEntry], by_norm: dict[str, set[str]],
                    positives: int) -> list[Case]:
    """One variant each of randomly chosen person (55 %) and entity names."""
    pool = [e for e in entries if e.kind in ("person", "entity") and name_tokens(e.name) and len(e.name) >= 4]
    order = list(range(len(pool)))
    rng.shuffle(order)
    target = {"person": positives * 55 // 100, "entity": positives - positives * 55 // 100}
    cases: list[Case] = []
    for idx in order:
        if len(cases) >= positives:
            break
        e = pool[idx]
        if sum(c.kind == e.kind for c in cases) >= target[e.kind]:
            continue
        variants = list(_PERSON_VARIANTS if e.kind == "person" else _ENTITY_VARIANTS)
        rng.shuffle(variants)
        for v in variants:
            q = _make_variant(rng, v, e.name, e.kind)
            if q and normalize_name(q) and q != e.name:
                expected = frozenset({e.uid} | by_norm.get(normalize_name(e.name), set()))
                cases.append(Case(q, expected, v, e.name, e.kind))
                break
    return cases


def _negative_name(rng: random.Random, person: bool) -> tuple[str, str, str]:
    """(name, variant, kind) of an ordinary US person (several forms) or company."""
    if not person:
        parts = [rng.choice(_COMPANY_A), rng.choice(_COMPANY_B), rng.choice(_COMPANY_C), rng.choice(_COMPANY_SUFFIX)]
        return " ".join(p for p in parts if p), "negative_company", "entity"
    r = rng.random()
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    if r < 0.2:
        q = f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
    elif r < 0.35:
        q = f"{first} {rng.choice(_FIRST)} {last}"
    elif r < 0.45:
        q = f"{last}, {first}"
    else:
        q = f"{first} {last}"
    return q, "negative_person", "person"


def _negative_cases(rng: random.Random, listed: set[str], negatives: int) -> list[Case]:
    """Two thirds persons, one third companies, none a listed name, no two alike."""
    seen: set[str] = set()
    cases: list[Case] = []
    while len(seen) < negatives:
        q, variant, kind = _negative_name(rng, len(seen) < negatives * 2 // 3)
        norm = normalize_name(q)
        if norm in listed or norm in seen:
            continue
        seen.add(norm)
        cases.append(Case(q, frozenset(), variant, "", kind))
    return cases


def evaluate(screen: Callable[[str], Iterable[str]], cases: Sequence[Case]) -> EvalResult:
    """``screen(query)`` returns the uids it flags (at its own threshold)."""
    tp = fp = pos = neg = 0
    by_variant: dict[str, list[int]] = {}
    misses: list[Case] = []
    fps: list[tuple[Case, list[str]]] = []
    start = time.perf_counter()
    results = [list(screen(c.query)) for c in cases]
    seconds = time.perf_counter() - start
    for c, uids in zip(cases, results):
        if c.positive:
            pos += 1
            ok = any(u in c.expected for u in uids)
            tp += ok
            by_variant.setdefault(c.variant, [0, 0])
            by_variant[c.variant][0] += ok
            by_variant[c.variant][1] += 1
            if not ok:
                misses.append(c)
        else:
            neg += 1
            if uids:
                fp += 1
                fps.append((c, uids))
    return EvalResult(
        recall=tp / pos if pos else 0.0,
        false_positive_rate=fp / neg if neg else 0.0,
        positives=pos,
        negatives=neg,
        seconds=seconds,
        recall_by_variant={k: v[0] / v[1] for k, v in sorted(by_variant.items())},
        misses=misses,
        false_positives=fps,
    )


def evaluate_matcher(matcher, cases: Sequence[Case], limit: int = 5) -> EvalResult:
    """Evaluate a :class:`~riskdesk.screening.matcher.Matcher` at its own threshold."""
    return evaluate(lambda q: [h.entry.uid for h in matcher.screen(q, limit=limit)], cases)


def load_dev_set(path) -> list[Case]:
    """The real-variant development set (``screening-dev-set.jsonl``): one JSON object a line
    with ``query``, ``kind`` (person/org), ``expected`` (``SDN-<ent_num>`` or null),
    ``also_accept`` and ``variant_type``. Its ``other_name`` rows are true aliases."""
    cases: list[Case] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        expected = frozenset([row["expected"], *row.get("also_accept", ())]) if row.get("expected") else frozenset()
        kind = "person" if row.get("kind") == "person" else "entity"
        cases.append(Case(row["query"], expected, row["variant_type"], row.get("listed_name") or "", kind))
    return cases


def same_name(cases: Sequence[Case]) -> list[Case]:
    """The cases a name matcher can find without alias data: every row but the ``other_name`` positives."""
    return [c for c in cases if c.variant != "other_name"]
