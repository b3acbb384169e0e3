"""Fuzzy name screening against list entries.

How a query is screened (see docs/screening.md):

1. **Normalise** the query and every listed name/alias the same way
   (:mod:`riskdesk.screening.normalize`): transliteration, casefold, punctuation,
   legal-form words and honorifics removed.
2. **Block**: an inverted index maps *keys* of each token (the token, its
   one-letter deletions and a transliteration skeleton) to the vocabulary tokens,
   and each vocabulary token to the names that contain it. A query token therefore
   reaches listed tokens within one edit or with the same skeleton. Candidates are
   ranked by the summed rarity (IDF) of the query tokens they share; the rarest
   query token is always expanded, very common ones only re-weight candidates
   already found. Only the best ``CANDIDATES`` names are scored, so cost does not
   grow with the list size times the number of queries.
3. **Score** each candidate with rapidfuzz: token-sorted similarity, a token
   alignment (each listed token paired with its best query token, tolerant of
   typos, transliteration and dropped/extra middle names as long as the listed
   name's *core* tokens are all present) and a no-space comparison. The score is
   the best of these; a hit is a match when ``score >= threshold``.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .attributes import attribute_penalty
from .importers import ListEntry
from .normalize import (
    LEGAL_FORMS,
    LEGAL_WORDS,
    ORG_TYPE_WORDS,
    name_tokens,
    normalize_name,
    phonetic,
    russian_form,
    skeleton,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "Hit",
    "Matcher",
    "clearance_key",
    "is_cleared",
    "query_key",
]

DEFAULT_THRESHOLD = 88.0
CANDIDATES = 20  # names scored per query after blocking
_COMMON_POSTINGS = 1500  # a token in more names than this only re-weights candidates
_TOKEN_MATCH = 80.0  # a listed token counts as present when similarity >= this
_PARTIAL_TOKEN = 75.0  # an initial pairs with its word at this similarity
_SHORT_FORM_SCORE = 92.0  # an organisation named by the one distinctive word of its listed name
_SHORT_FORM_MIN = 7  # letters in such a word
_LONE_WORD_MIN = 5  # letters in the one word of an organisation found with its type words
_RARE_WORD, _UNIQUE_WORD = 1, 2  # how rare that word is among the listed parties' names
_DISTINCTIVE_WORD = "distinctive word"  # derivations of an indexed name from a listed one
_LATER_GIVEN_NAME = "later given name"
_WITHOUT_FAMILY_NAME = "without family name"
_DERIVED_CEILING = {_DISTINCTIVE_WORD: _SHORT_FORM_SCORE, _LATER_GIVEN_NAME: 97.0, _WITHOUT_FAMILY_NAME: 97.0}
_MISSING_CORE_PENALTY = 10.0
_ORG_TYPE_PENALTY = 2.0  # an organisation-type word ("concern", "brigade") on one side only
_NISBA_SIM = 82.0  # "hossein"/"hosseini": paired, but not as the same word  # a core word of the listed name that the query lacks
_MISSING_NAME_PENALTY = 3.0  # per non-core listed token absent from a query for a person
_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ovych", "evych", "ivna", "ichna", "ovic", "evic")
_SKELETON_SIM = 90.0  # similarity credited to tokens that share a transliteration skeleton
_MISSING_TOKEN_PENALTY = 4.0  # per non-core listed token absent from the query
_EXTRA_TOKEN_PENALTY = 5.0  # per query token absent from a listed person name
_EXTRA_ENTITY_PENALTY = 8.0
_EXTRA_SHORT_LISTING_PENALTY = 8.0  # per query word absent from a person listed by two names only  # per query token absent from a listed organisation name
_EXTRA_RARE_NAME_PENALTY = 3.0  # per query word absent from a person whose listed name has a rare word
_RARE_OWNERS = 3  # a word of at most this many listed parties' names is rare: it points to one person
# particles that do not count as "core" tokens of a person or entity name
_PARTICLES = frozenset("al el bin ben ibn bint abu abd de del della der di da do dos das du la le van von y e of the and for".split())

_KIND_COMPAT = {
    "person": {"person", "unknown"},
    "entity": {"entity", "unknown", "vessel", "aircraft"},
    "vessel": {"vessel", "entity", "unknown"},
    "aircraft": {"aircraft", "entity", "unknown"},
}


@dataclass(frozen=True)
class Hit:
    query: str
    entry: ListEntry
    matched_name: str
    score: float
    is_match: bool
    explanation: dict = field(default_factory=dict, compare=False, hash=False)
    why: str = ""

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "entry": self.entry.to_dict(),
            "matched_name": self.matched_name,
            "score": self.score,
            "is_match": self.is_match,
            "explanation": dict(self.explanation),
            "why": self.why,
        }


def query_key(name: str) -> str:
    """The normalised, order-insensitive form of a screened name used in clearance
    keys: "IVANOV, Ivan" and "Ivan Ivanov" give the same key."""
    return " ".join(sorted(name_tokens(name or "")))


def clearance_key(hit: Hit) -> tuple[str, str, str]:
    """What a human "false positive" decision is recorded against:
    (``query_key(query)``, entry uid, entry content hash). Store this triple; a
    later hit with the same triple is cleared, but a changed listing (new hash)
    brings the hit back."""
    return (query_key(hit.query), hit.entry.uid, hit.entry.content_hash())


def is_cleared(hit: Hit, cleared: Iterable[tuple[str, str, str]]) -> bool:
    cleared = cleared if isinstance(cleared, (set, frozenset, dict)) else set(cleared)
    return clearance_key(hit) in cleared


def _token_keys(tok: str) -> set[str]:
    """Blocking keys of a token: itself and its one-letter deletions (a typo), its skeleton, and its
    phonetic form with its one-letter deletions (a transliteration and one more change:
    "hydroagregat"/"gidroagregat")."""
    keys = {tok}
    if len(tok) >= 4:
        keys.update(tok[:i] + tok[i + 1 :] for i in range(len(tok)))
        sk = skeleton(tok)
        if len(sk) >= 3:
            keys.add("#" + sk)
        ph = phonetic(tok)
        if ph != tok:
            keys.add("=" + ph)
        if len(ph) >= 8:
            keys.update("=" + ph[:i] + ph[i + 1 :] for i in range(len(ph)))
    elif len(tok) == 3:
        keys.add("=" + phonetic(tok))
    return keys


def _core_tokens(name: str, tokens: tuple[str, ...], kind: str) -> frozenset[int]:
    """Indexes of the tokens that must be present for a partial (subset) match:
    for "LAST, First Middle" person names the first surname and the first given
    name; for other person names the first and last token; for everything else
    every token that is not a particle."""
    if not tokens:
        return frozenset()
    if kind == "person" or (kind == "unknown" and "," in name):
        return _person_core(name, tokens)
    core = {i for i, t in enumerate(tokens) if t not in _PARTICLES and t not in LEGAL_FORMS and t not in ORG_TYPE_WORDS}
    return frozenset(core or range(len(tokens)))


def _person_core(name: str, tokens: tuple[str, ...]) -> frozenset[int]:
    if "," in name:
        last, _, first = name.partition(",")
        n_last = len(name_tokens(last))
        given = [i for i in range(n_last, len(tokens)) if tokens[i] not in _PARTICLES]
        # the first surname: a second one ("AMEZCUA CONTRERAS") is often left out
        core = {i for i in range(min(n_last, len(tokens))) if tokens[i] not in _PARTICLES}
        core = {min(core)} if core else core
        if given:
            core.add(given[0])
        if core:
            return frozenset(core)
    idx = [i for i, t in enumerate(tokens) if t not in _PARTICLES] or list(range(len(tokens)))
    return frozenset({idx[0], idx[-1]})


_LEGALISH = tuple(sorted(w for w in LEGAL_WORDS | LEGAL_FORMS if len(w) >= 5))


@lru_cache(maxsize=65536)
def _is_legalish(tok: str) -> bool:
    """A legal-form word, or one typo away from a long one ("limitd", "djsc")."""
    if tok in LEGAL_WORDS or tok in LEGAL_FORMS:
        return True
    if len(tok) < 6:
        return False
    return any(
        Levenshtein.distance(tok, w, score_cutoff=1) <= 1 for w in _LEGALISH if abs(len(w) - len(tok)) <= 1
    )


_ARTICLES = frozenset({"al", "el", "ul", "il", "ad", "ed", "ar", "as", "ash", "at", "az", "an", "ez", "es"})


def _nisba_pair(a: str, b: str) -> bool:
    """"hossein"/"hosseini", "akbar"/"akbari": an Arabic/Persian name and the surname formed from
    it with -i (-y) are two names, not one spelled two ways."""
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if len(short) < 5 or long_[-1] not in "iy" or short[-1] in "iy":
        return False
    # spelled alike ("akbar"/"akbari") or transliterated alike ("muhammad"/"mohammadi")
    return long_[:-1] == short or (abs(len(long_) - len(short)) <= 2 and phonetic(long_[:-1]) != long_[:-1]
                                   and skeleton(long_[:-1]) == skeleton(short) and len(skeleton(short)) >= 3)


def _short_token_sim(a: str, b: str, s: float) -> float:
    """Two different words of at most four letters: the same sound ("ali"/"aly") is close,
    anything else ("fang"/"fan", "wang"/"wan") is another name, not a typo."""
    if len(a) >= 3 and len(b) >= 3 and phonetic(a) == phonetic(b):
        return 92.0
    if len(skeleton(a)) >= 3 and skeleton(a) == skeleton(b):
        return _TOKEN_MATCH + 5.0  # only a vowel differs: "umar"/"omar", "asef"/"asif"
    return min(s, _TOKEN_MATCH - 2.0)


def _transliteration_sim(a: str, b: str, s: float) -> float:
    """Credit for words that differ only in how a sound was transliterated."""
    pa, pb = phonetic(a), phonetic(b)
    if pa != a or pb != b:
        s = max(s, fuzz.ratio(pa, pb) * 0.97)
    if s < _SKELETON_SIM and abs(len(pa) - len(pb)) <= 1:
        sa, sb = skeleton(a), skeleton(b)
        if len(sa) >= 3 and sa == sb:
            # same consonant skeleton ("laden"/"ladin", "hussayn"/"hosein"); a three-letter one in
            # words whose sounds differ in number is weaker evidence
            s = max(s, _SKELETON_SIM if len(sa) >= 4 or len(pa) == len(pb) else _TOKEN_MATCH + 5.0)
    if s < _SKELETON_SIM and Levenshtein.distance(a, b, score_cutoff=1) <= 1:
        # one substituted letter: 90 in a long word, a plain match in a short one
        s = max(s, _SKELETON_SIM if min(len(a), len(b)) >= 7 else _TOKEN_MATCH)
    return s


@lru_cache(maxsize=262144)
def _token_sim(a: str, b: str) -> float:
    """Similarity 0..100 of two normalised tokens, tolerant of transliteration."""
    if a == b:
        return 100.0
    s = fuzz.ratio(a, b)
    if a in _ARTICLES and b in _ARTICLES:
        return 95.0  # Arabic article spelled al-/el-/ul-/ad-/ash- ...
    if len(a) == 1 or len(b) == 1:
        return 75.0 if len(a) == 1 and b.startswith(a) else min(s, 50.0)  # an initial
    if min(len(a), len(b)) <= 4:
        return _short_token_sim(a, b, s)
    if _nisba_pair(a, b):
        return _NISBA_SIM
    if s < 40.0 and a[0] != b[0]:
        return s  # nothing below can lift two unrelated words to a match
    return _transliteration_sim(a, b, s)


def _pairs(q: tuple[str, ...], c: tuple[str, ...]) -> list[tuple[float, int, int]]:
    """Every (similarity, query index, listed index) that could pair, best first."""
    pairs = []
    for ci, ct in enumerate(c):
        for qi, qt in enumerate(q):
            sim = _token_sim(qt, ct)
            if sim >= _PARTIAL_TOKEN:
                pairs.append((sim, qi, ci))
    pairs.sort(reverse=True)
    return pairs


def _pair_up(q: tuple[str, ...], c: tuple[str, ...]) -> tuple[dict[int, float], dict[int, int]]:
    """Greedy one-to-one pairing: listed index -> similarity, listed index -> query index.
    A pair under the match level counts only for an initial."""
    used_q: set[int] = set()
    sims: dict[int, float] = {}
    partner: dict[int, int] = {}
    for s, qi, ci in _pairs(q, c):
        if qi in used_q or ci in sims:
            continue
        if s < _TOKEN_MATCH and len(q[qi]) != 1:
            continue
        used_q.add(qi)
        sims[ci] = s
        partner[ci] = qi
    return sims, partner


def _is_patronymic(tok: str) -> bool:
    return len(tok) >= 7 and tok.endswith(_PATRONYMIC_ENDINGS)


def _short_word_differs(q, c, sims, partner) -> bool:
    used = set(partner.values())
    def short(tok: str) -> bool:
        return 2 <= len(tok) <= 4 and tok not in _PARTICLES and tok not in ORG_TYPE_WORDS and not _is_legalish(tok)

    return any(short(c[i]) for i in range(len(c)) if i not in sims) and any(
        short(q[i]) for i in range(len(q)) if i not in used)


def _patronymics_differ(q, c, left_q, left_c) -> bool:
    """Both names carry a patronymic that found no partner, and the two are not even
    loosely alike (a transliteration such as "yurievna"/"iuriivna" is not a clash)."""
    pc = [c[i] for i in left_c if _is_patronymic(c[i])]
    pq = [q[i] for i in left_q if _is_patronymic(q[i])]
    return bool(pc and pq) and all(_token_sim(a, b) < 65.0 for a in pq for b in pc)


def _missing_penalty(c, left_c: list[int], core: frozenset[int], person: bool) -> float:
    """Cost of the listed words the query lacks: a spelled-out legal form's leftover words
    ("closed joint stock") and listed particles ("bin", "al", "de") cost 1, a core word the most,
    a person's unlisted middle name less than an organisation's missing word, and a query that
    leaves out several of a person's names fits that person less each time."""
    missing = _MISSING_NAME_PENALTY if person else _MISSING_TOKEN_PENALTY
    cheap = [i for i in left_c if _is_legalish(c[i]) or c[i] in _PARTICLES or len(c[i]) == 1]
    kinds = [i for i in left_c if not person and c[i] in ORG_TYPE_WORDS and i not in cheap and i not in core]
    cores = [i for i in left_c if i in core and i not in cheap]
    plain = len(left_c) - len(cheap) - len(kinds) - len(cores)
    return (len(cheap) + _MISSING_CORE_PENALTY * len(cores) + missing * plain
            + max(0, plain - 1) * (_MISSING_TOKEN_PENALTY - missing))


def _type_words_penalty(q, c, left_q, left_c, core: frozenset[int], person: bool) -> float:
    """What the unpaired organisation-type words of an organisation's names cost: 1 for each that
    stands in for one on the other side ("PLANT" for "ZAVOD", "BATTALION" for "BRIGADE"), 2 for each
    other one, at most 6 a side, since a long description ("FEDERAL STATE UNITARY ENTERPRISE STATE
    RESEARCH AND PRODUCTION ENTERPRISE") says no more about which organisation it is than a short one."""
    if person:
        return 0.0
    in_c = sum(c[i] in ORG_TYPE_WORDS and not _is_legalish(c[i]) and i not in core for i in left_c)
    in_q = sum(q[i] in ORG_TYPE_WORDS and not _is_legalish(q[i]) for i in left_q)
    swaps = min(in_c, in_q)
    one_side = 3 * _ORG_TYPE_PENALTY
    return (swaps + min(one_side, _ORG_TYPE_PENALTY * (in_c - swaps))
            + min(one_side, _ORG_TYPE_PENALTY * (in_q - swaps)))


def _extra_penalty(q, left_q: list[int], extra_penalty: float, person: bool) -> float:
    """Cost of the query words the listing lacks: legal-form words cost 1, and so does a person's
    particle ("de" in "ARELLANO FELIX DE TOLEDO"), not an organisation's; an unlisted patronymic
    costs what a middle name does; each extra word after the first costs 3 more."""
    cheap = [i for i in left_q if _is_legalish(q[i]) or (person and q[i] in _PARTICLES)]
    kinds = [i for i in left_q if not person and q[i] in ORG_TYPE_WORDS and i not in cheap]
    extras = [i for i in left_q if i not in cheap and i not in kinds]
    return len(cheap) + 3.0 * max(0, len(extras) - 1) + sum(
        min(extra_penalty, _EXTRA_TOKEN_PENALTY) if _is_patronymic(q[i]) else extra_penalty for i in extras)


def _rejection(q, c, core: frozenset[int]) -> dict | None:
    """Why the pairing need not even be tried: more than one core word has no counterpart (one may
    differ only when the listing has three or more), or a listed name of one short word ("BID")
    is not itself in the query ("BYD")."""
    absent = 0
    for ci in core:
        if not any(_token_sim(qt, c[ci]) >= _PARTIAL_TOKEN for qt in q):
            absent += 1
            if absent > 1 or len(core) < 3:
                return {"tokens_matched": 0.0, "initials": 0.0, "rejected": 1.0}
    if len(c) == 1 and len(c[0]) <= 4 and c[0] not in q:
        return {"tokens_matched": 0.0, "initials": 0.0, "short_name": 1.0}
    return None


def _kind_words_only(q, c, sims, left_q, left_c, lone_word: int) -> bool:
    """The one listed word is in the query, spelled alike, and every other listed word only says what
    kind of organisation it is; the query may add such words ("BELNEFTEKHIM CONCERN" for
    "BELNEFTEKHIM") and, when no other listed party's name holds the word and it is spelled the
    same, one other word ("SYRIATEL MOBILE"; not "ROSNEFT TRADING" beside a listed "ROSNEFT
    TRADING S.A.")."""
    def plain(t: str) -> bool:
        return t not in ORG_TYPE_WORDS and t not in _PARTICLES

    extra = sum(plain(q[i]) for i in left_q)
    # one other word of the query ("SYRIATEL MOBILE") only when the listed word is spelled the same
    return not any(plain(c[i]) for i in left_c) and (
        (extra == 0 and max(sims.values()) >= _SKELETON_SIM)
        or (extra == 1 and lone_word == _UNIQUE_WORD and max(sims.values()) == 100.0))


def _caps(q, c, sims, partner, full: int, info: dict, lone_word: int = 0) -> float:
    """The highest score the pairing allows, 100 unless a rule says the names differ."""
    left_c = [i for i in range(len(c)) if i not in sims and not _is_legalish(c[i])]
    used = set(partner.values())
    left_q = [i for i in range(len(q)) if i not in used and not _is_legalish(q[i])]
    cap = 100.0
    # a partial match needs two agreeing words (initials do not count):
    # "Linda Wood" is not the vessel "LINDA", "Maria E. Weaver" not the vessel "MARIA E"
    if full < 2 and (left_c or left_q) and not (lone_word and _kind_words_only(q, c, sims, left_q, left_c, lone_word)):
        cap = 70.0
    # two different patronymics name two different people (Ivan Petrovich, Ivan Pavlovich)
    if _patronymics_differ(q, c, left_q, left_c):
        cap = 70.0
        info["patronymic_differs"] = 1.0
    return cap


def _align(
    q: tuple[str, ...],
    c: tuple[str, ...],
    core: frozenset[int],
    extra_penalty: float = _EXTRA_TOKEN_PENALTY,
    person: bool = False,
    lone_word: int = 0,
) -> tuple[float, dict]:
    """Graded pairing of listed tokens with query tokens: the length-weighted similarity
    of the paired words, less a cost for each listed word missing (more for a core word)
    and each query word the list lacks."""
    rejected = _rejection(q, c, core)
    if rejected:
        return 0.0, rejected
    sims, partner = _pair_up(q, c)
    info = {"tokens_matched": float(len(sims)), "initials": float(sum(len(q[partner[ci]]) == 1 for ci in sims))}
    full = sum(len(c[ci]) > 1 and len(q[partner[ci]]) > 1 for ci in sims)
    missing_core = len(core) - len(core & sims.keys())
    if _short_word_differs(q, c, sims, partner):
        # "Yang Fang" / "FAN, Yang": a different short word is another name, whatever the letters
        info["short_word_differs"] = 1.0
        return 0.0, info
    # one core word may differ when at least two others agree ("EASTERN TURKISTAN ISLAMIC PARTY")
    if not sims or missing_core > 1 or (missing_core == 1 and (full < 2 or len(core) < 3)):
        info["rejected"] = 1.0
        return 0.0, info
    avg = sum(sims[ci] * len(c[ci]) for ci in sims) / sum(len(c[ci]) for ci in sims)
    used = set(partner.values())
    left_c, left_q = [i for i in range(len(c)) if i not in sims], [i for i in range(len(q)) if i not in used]
    penalty = (_missing_penalty(c, left_c, core, person) + _extra_penalty(q, left_q, extra_penalty, person)
               + _type_words_penalty(q, c, left_q, left_c, core, person))
    score = min(avg - penalty, _caps(q, c, sims, partner, full, info, lone_word))
    info.update(_pairing_features(q, c, sims, partner, left_q, left_c, person))
    info["missing_core_tokens"] = float(missing_core)
    return score, info


def _pairing_features(q, c, sims, partner, left_q, left_c, person: bool) -> dict:
    """What the pairing found, for the explanation and the "why" text."""
    features = {
        "missing_listed_tokens": float(len(c) - len(sims)),
        "extra_query_tokens": float(len(q) - len(partner)),
        "pairs": [(q[partner[ci]], c[ci], round(sims[ci], 1)) for ci in sorted(sims)],
    }
    if not person:
        features["type_words"] = sorted({t for t in [q[i] for i in left_q] + [c[i] for i in left_c]
                                         if t in ORG_TYPE_WORDS and not _is_legalish(t)})
    return features


# particles often written joined to the next word: "AL-HAQ" / "Alhaq", "Bin-Sulayman" / "Binsulayman"
# and the links of South Asian compound names: "Bashir-ud-Din" / "Bashir Uddin", "Habib-ur-Rehman"
_GLUE = frozenset({"al", "el", "ul", "ud", "ur", "bin", "ibn", "abu", "abd", "abdul", "abdel", "abdal", "abdoul",
                   "abdur"})


_JOINED_WITH_ARTICLE = frozenset({"abd", "bin", "ibn", "abu"})


def _glue(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], list[int]] | None:
    """Tokens with each gluing particle joined to the following word, and the map from
    old to new token positions; None when there is nothing to join."""
    if not any(t in _GLUE for t in tokens[:-1]):
        return None
    out: list[str] = []
    pos: list[int] = []
    i = 0
    while i < len(tokens):
        if tokens[i] in _JOINED_WITH_ARTICLE and i + 2 < len(tokens) and tokens[i + 1] in _ARTICLES:
            # "abd al rahman" is one name ("abdalrahman" ~ "abdulrahman"), "bin al shibh" one surname
            pos.extend((len(out),) * 3)
            out.append("".join(tokens[i : i + 3]))
            i += 3
        elif tokens[i] in _GLUE and i + 1 < len(tokens):
            pos.extend((len(out), len(out)))
            out.append(tokens[i] + tokens[i + 1])
            i += 2
        else:
            pos.append(len(out))
            out.append(tokens[i])
            i += 1
    return tuple(out), pos


class _Name:
    __slots__ = ("entry_idx", "display", "norm", "tokens", "core", "compact", "glued", "glued_core", "extra_penalty",
                 "person", "origin", "derived_from", "derivation", "ceiling", "lone_word")

    def __init__(self, entry_idx: int, display: str, tokens: tuple[str, ...], kind: str,
                 origin: str = "", derived_from: str = "", derivation: str = ""):
        self.entry_idx = entry_idx
        self.display = display
        self.origin = origin  # the other list that gave this name for the same party, or ""
        # a name the matcher derived from a listed one ("distinctive word", "later given name"), and
        # the highest score it may reach: it stands for the listed name, less certainly
        self.derived_from = derived_from
        self.derivation = derivation
        self.ceiling = _DERIVED_CEILING.get(derivation, 100.0)
        # an organisation named by one word: _RARE_WORD when at most three listed parties carry it,
        # _UNIQUE_WORD when no other does, 0 otherwise (set by the Matcher)
        self.lone_word = 0
        self.tokens = tokens
        self.norm = " ".join(tokens)
        self.core = _core_tokens(display, tokens, kind)
        self.compact = "".join(tokens)
        g = _glue(tokens)
        self.glued = g[0] if g else None
        self.glued_core = frozenset(g[1][i] for i in self.core) if g else None
        # a person may carry an unlisted middle name; an organisation with an extra
        # word ("Pioneer Logistics Associates") is less likely the same party
        self.person = kind == "person" or "," in display
        # a listing of only two names ("AZIZ, Tariq") fits many people: a third name in the query
        # that the listing lacks is evidence of someone else
        short_listing = sum(t not in _PARTICLES for t in tokens) <= 2
        self.extra_penalty = (_EXTRA_SHORT_LISTING_PENALTY if self.person and short_listing else
                              _EXTRA_TOKEN_PENALTY if self.person else _EXTRA_ENTITY_PENALTY)


def _best_alignment(
    q_tokens: tuple[str, ...], q_glued: tuple[str, ...] | None, name: _Name
) -> tuple[float, dict]:
    best = _align(q_tokens, name.tokens, name.core, name.extra_penalty, name.person, name.lone_word)
    if q_glued is None and name.glued is None:
        return best
    c, core = (name.glued, name.glued_core) if name.glued is not None else (name.tokens, name.core)
    other = _align(q_glued or q_tokens, c, core, name.extra_penalty, name.person, name.lone_word)
    if other[0] > best[0]:
        other[1]["joined_particles"] = 1.0
        best = other
    if name.derivation == _WITHOUT_FAMILY_NAME and _names_agreeing(best[1]) < 3:
        # a name chain stands for one person only when three of its names agree
        return 0.0, {**best[1], "rejected": 1.0}
    return best


def _names_agreeing(info: dict) -> int:
    """How many whole names (not initials, not particles) the alignment paired."""
    return sum(len(q) > 1 and c not in _PARTICLES for q, c, _ in info.get("pairs") or ())


_COMPACT_MIN = 95.0  # the names without spaces must be all but identical to count ("marshalglobal")


def _combine(token_sort: float, compact: float, align: float, info: dict, name: _Name,
             same_length: bool) -> tuple[float, str]:
    """The score of a query against one name and the method that gave it. The word alignment
    decides for a person (word order and letters overall cannot stand in for it) and whenever it
    found two different names; otherwise the best of the three counts. A comparison without
    spaces counts only when word breaks differ and the letters are all but the same."""
    compact = compact if not same_length and compact >= _COMPACT_MIN else 0.0
    if _alignment_decides(info):
        candidates = {"alignment": align}
    elif name.person:
        candidates = {"alignment": align, "compact": compact}
    else:
        candidates = {"token_sort": token_sort, "alignment": align, "compact": compact}
    method = max(candidates, key=candidates.get)
    score = candidates[method]
    return min(score, name.ceiling), method


def _quick_score(
    q_tokens: tuple[str, ...], q_glued, qn: str, q_compact: str, name: _Name
) -> float:
    token_sort = fuzz.token_sort_ratio(qn, name.norm)
    same_length = len(q_tokens) == len(name.tokens)
    if token_sort >= 99.5 and same_length:
        return min(token_sort, name.ceiling)
    compact = 0.0 if same_length else fuzz.ratio(q_compact, name.compact)
    align, info = _best_alignment(q_tokens, q_glued, name)
    return _combine(token_sort, compact, align, info, name, same_length)[0]


def _alignment_decides(info: dict) -> bool:
    """Whole-string similarity must not override a word-level verdict that two words
    name different people ("fang"/"fan", two patronymics)."""
    return bool(info.get("short_word_differs") or info.get("patronymic_differs"))


def score_names(q_tokens: tuple[str, ...], name: _Name) -> tuple[float, dict]:
    """Score a normalised query against one indexed name; returns (score, features)."""
    qn = " ".join(q_tokens)
    token_sort = fuzz.token_sort_ratio(qn, name.norm)
    token_set = fuzz.token_set_ratio(qn, name.norm)
    compact = fuzz.ratio("".join(q_tokens), name.compact)
    g = _glue(q_tokens)
    align, info = _best_alignment(q_tokens, g[0] if g else None, name)
    if token_sort >= 99.5 and len(q_tokens) == len(name.tokens):
        score, method = min(token_sort, name.ceiling), "token_sort"
    else:
        score, method = _combine(token_sort, compact, align, info, name, len(q_tokens) == len(name.tokens))
    features = {
        "token_sort": round(token_sort, 1),
        "token_set": round(token_set, 1),
        "alignment": round(align, 1),
        "compact": round(compact, 1),
        **info,
        "method": method,
    }
    return round(max(0.0, min(100.0, score)), 1), features


def _party_key(entry: ListEntry) -> str:
    """The OFAC ent_num an entry stands for: an SDN entry's own, or the CSL's ``entity_number`` on
    its SDN rows; "" for anything else."""
    if entry.uid.startswith("SDN-"):
        return entry.uid[4:]
    if entry.uid.startswith("CSL-") and "(SDN)" in entry.source:
        return entry.uid[4:].split("-", 1)[0]
    return ""


def _linked_names(entries: list[ListEntry]) -> dict[str, list[tuple[str, str]]]:
    """ent_num -> every (name, list source) the imported lists give for that party."""
    linked: dict[str, list[tuple[str, str]]] = {}
    for entry in entries:
        key = _party_key(entry)
        if key:
            linked.setdefault(key, []).extend((n, entry.source) for n in entry.names)
    return linked


def _without_location(name: str, addresses: tuple[str, ...]) -> str:
    """The CSL appends a place to some names ("..., Ltd., Guiyang, Guizhou"): the name up to the
    first comma-separated part that the entry's addresses also name; "" when there is none."""
    places = {normalize_name(p) for a in addresses for p in a.split(",") if p.strip()}
    parts = name.split(",")
    for i in range(1, len(parts)):
        if normalize_name(parts[i]) in places and normalize_name(parts[i]):
            return ",".join(parts[:i]).strip()
    return ""


def _names_to_index(entry: ListEntry, linked: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """(name, origin) pairs for one entry: its own names (origin ""), each without an appended
    location, then the names other lists give for the same party (origin = that list)."""
    out = [(n, "") for n in entry.names]
    out += [(short, "") for n in entry.names if (short := _without_location(n, entry.addresses))]
    key = _party_key(entry)
    out += [(n, src) for n, src in linked.get(key, ()) if src != entry.source] if key else []
    return out


class Matcher:
    """Screens names against a fixed set of list entries. Build once, query often."""

    def __init__(
        self,
        entries: Iterable[ListEntry],
        threshold: float = DEFAULT_THRESHOLD,
        kinds: Iterable[str] | None = None,
    ):
        if not 0 <= threshold <= 100:
            raise ValueError("threshold must be between 0 and 100")
        self.threshold = float(threshold)
        kinds_set = set(kinds) if kinds is not None else None
        self.entries: list[ListEntry] = [
            e for e in entries if kinds_set is None or e.kind in kinds_set
        ]
        self._names: list[_Name] = []
        self._vocab: dict[str, int] = {}
        self._postings_build: list[list[int]] = []
        self._owners_seen: dict[str, set[int]] = {}
        linked = _linked_names(self.entries)
        for ei, entry in enumerate(self.entries):
            seen: set[str] = set()
            for display, origin in _names_to_index(entry, linked):
                toks = name_tokens(display)
                norm = " ".join(toks)
                if toks and norm not in seen:
                    seen.add(norm)
                    self._add_name(_Name(ei, display, toks, entry.kind, origin))
        self._add_short_forms()
        self._add_later_given_names()
        self._add_names_without_family_name()
        self._relax_rare_person_names()
        self._mark_lone_words()
        postings = self._postings_build
        del self._postings_build, self._owners_seen
        self._postings: list[frozenset[int]] = [frozenset(p) for p in postings]
        n = max(1, len(self._names))
        self._idf = [math.log(1 + n / len(p)) for p in postings]
        self._name_idf = [
            sum(self._idf[self._vocab[t]] for t in set(nm.tokens)) or 1.0 for nm in self._names
        ]
        keys: dict[str, list[int]] = {}
        for tok, tid in self._vocab.items():
            for k in _token_keys(tok):
                keys.setdefault(k, []).append(tid)
        self._keys = keys
        self._lookup_cache: dict[str, dict[int, float]] = {}

    def _add_name(self, name: _Name) -> None:
        self._owners_seen.clear()
        nid = len(self._names)
        self._names.append(name)
        toks = name.tokens
        terms = set(toks)
        if name.glued:
            terms.update(name.glued)  # so "alhaq" finds "al haq"
        if 1 < len(toks) <= 4:
            terms.add("".join(toks))  # so "marshalglobal" finds "marshal global"
        for t in terms:
            tid = self._vocab.get(t)
            if tid is None:
                tid = self._vocab[t] = len(self._postings_build)
                self._postings_build.append([])
            self._postings_build[tid].append(nid)

    def _add_short_forms(self) -> None:
        """An organisation is often written by the one word only it carries ("TOCHMASH" for "JOINT
        STOCK COMPANY VLADIMIR PRODUCTION AMALGAMATION TOCHMASH"): such a word of a long listed
        name, found in no other entry, becomes a name of that entry, scored at most 92."""
        postings = self._postings_build
        for name in list(self._names):
            if name.person or name.origin or len(name.tokens) < 3:
                continue
            for tok in name.tokens:
                if len(tok) < _SHORT_FORM_MIN or _is_legalish(tok) or not tok.isalpha():
                    continue
                if self._owners(tok) == {name.entry_idx} and not any(
                    nm.tokens == (tok,) for nm in (self._names[nid] for nid in postings[self._vocab[tok]])
                ):
                    self._add_name(_Name(name.entry_idx, tok.upper(), (tok,), "entity", derived_from=name.display,
                                         derivation=_DISTINCTIVE_WORD))

    def _add_later_given_names(self) -> None:
        """A person listed by several given names is often written by a later one ("SUAZA BARCO,
        Carmen" for "SUAZA BARCO, Maria del Carmen", "MATANGA, Godwin" for "MATANGA, Tandabantu
        Godwin"): the listed name without its first given name becomes a name of that entry,
        scored at most 97, what a missing given name costs."""
        for name in list(self._names):
            if not name.person or name.derived_from or "," not in name.display:
                continue
            last, _, given = name.display.partition(",")
            words, given_tokens = given.split(), name_tokens(given)
            # "'Abd al-Rahman Muhammad": a compound first name is not dropped by halves
            if len(words) < 2 or sum(t not in _PARTICLES for t in given_tokens) < 2 or given_tokens[0] in _GLUE \
                    or given_tokens[0] in _PARTICLES:
                continue
            display = f"{last.strip()}, {' '.join(words[1:])}"
            toks = name_tokens(display)
            rest = [t for t in name_tokens(" ".join(words[1:])) if t not in _PARTICLES]
            # "Vladimir Yuryevich": the patronymic is not a given name to be known by
            if toks and toks != name.tokens and rest and not _is_patronymic(rest[0]):
                later = _Name(name.entry_idx, display, toks, "person", name.origin,
                              derived_from=name.display, derivation=_LATER_GIVEN_NAME)
                # a query word the shortened name lacks is most likely another first given name
                later.extra_penalty = _MISSING_CORE_PENALTY + _EXTRA_SHORT_LISTING_PENALTY
                self._add_name(later)

    def _add_names_without_family_name(self) -> None:
        """An Arabic name is listed under a family or place name ("AL-TIKRITI, Uday Saddam Hussein")
        that other publishers leave out, putting the last of the name chain first ("HUSSEIN, Udai
        Saddam"): a chain of three names or more after an al-/el- surname becomes a name of that
        entry on its own, scored at most 97. Two names ("AL-HAMUD, 'Ali Hussain") fit too many people."""
        for name in list(self._names):
            if not name.person or name.derived_from or "," not in name.display:
                continue
            last, _, given = name.display.partition(",")
            last_tokens, given_tokens = name_tokens(last), name_tokens(given)
            if not last_tokens or last_tokens[0] not in ("al", "el") or \
                    sum(t not in _PARTICLES for t in given_tokens) < 3:
                continue
            self._add_name(_Name(name.entry_idx, given.strip(), given_tokens, "person", name.origin,
                                 derived_from=name.display, derivation=_WITHOUT_FAMILY_NAME))

    def _owners(self, tok: str) -> set[int]:
        """The entries whose indexed names carry ``tok`` (while the index is being built; remembered
        until the next name is added)."""
        owners = self._owners_seen.get(tok)
        if owners is None:
            owners = self._owners_seen[tok] = {self._names[nid].entry_idx
                                               for nid in self._postings_build[self._vocab[tok]]}
        return owners

    def _mark_lone_words(self) -> None:
        """An organisation listed by one word of five letters or more that at most three listed
        parties carry ("BELNEFTEKHIM", "SYRIATEL") is screened by longer names that hold the word
        (see _kind_words_only); a vessel's name ("LINDA") is not, nor a common word."""
        for name in self._names:
            core = [name.tokens[i] for i in name.core]
            if name.person or name.derived_from or len(core) != 1 or self.entries[name.entry_idx].kind != "entity":
                continue
            tok = core[0]
            if len(tok) < _LONE_WORD_MIN or not tok.isalpha() or _is_legalish(tok):
                continue
            owners = self._owners(tok)
            if len(owners) <= _RARE_OWNERS:
                name.lone_word = _UNIQUE_WORD if owners == {name.entry_idx} else _RARE_WORD

    def _relax_rare_person_names(self) -> None:
        """A person listed by few names is often screened by a fuller one ("NKUNDA MAHORO BATWARE,
        Laurent" for "NKUNDA, Laurent"). The extra names count as evidence of someone else only when
        the listed name is a common one ("AZIZ, Tariq"): a listing whose core words include one that
        at most three listed parties carry costs what an unlisted middle name does."""
        for name in self._names:
            if not name.person or name.derived_from or name.extra_penalty <= _EXTRA_RARE_NAME_PENALTY:
                continue
            for i in name.core:
                tok = name.tokens[i]
                if len(tok) >= 4 and len(self._owners(tok)) <= _RARE_OWNERS:
                    name.extra_penalty = _EXTRA_RARE_NAME_PENALTY
                    break

    # ------------------------------------------------------------------ blocking
    def _lookup(self, token: str) -> dict[int, float]:
        """Vocabulary tokens reachable from a query token, with their IDF (memoised)."""
        hit = self._lookup_cache.get(token)
        if hit is None:
            tids: set[int] = set()
            for k in _token_keys(token):
                tids.update(self._keys.get(k, ()))
            hit = {t: self._idf[t] for t in sorted(tids, key=self._idf.__getitem__, reverse=True)}
            if len(self._lookup_cache) > 50000:
                self._lookup_cache.clear()
            self._lookup_cache[token] = hit
        return hit

    def _candidates(self, q_tokens: tuple[str, ...]) -> list[int]:
        postings = self._postings
        per_token: list[tuple[int, dict[int, float]]] = []
        terms = set(q_tokens)
        g = _glue(q_tokens)
        if g:
            terms.update(g[0])  # so "al haq" finds "alhaq"
        if len(q_tokens) > 1:
            terms.add("".join(q_tokens))  # the name written without spaces
        for qt in terms:
            tids = self._lookup(qt)
            if tids:
                per_token.append((sum(len(postings[t]) for t in tids), tids))
        if not per_token:
            return []
        per_token.sort(key=lambda x: x[0])
        weights: dict[int, float] = {}
        for rank, (size, tids) in enumerate(per_token):
            # the two rarest query words are always expanded (one may be an extra
            # middle name that the list does not have); very common ones only
            # re-weight names already found
            expand = rank <= 1 or size <= _COMMON_POSTINGS
            contrib: dict[int, float] = {}
            for tid, w in tids.items():  # highest IDF first: first assignment is the max
                post = postings[tid]
                if not expand:
                    post = weights.keys() & post
                new = post.difference(contrib) if contrib else post
                if new:
                    contrib.update(dict.fromkeys(new, w))
            if not weights:
                weights = contrib
            else:
                get = weights.get
                for nid, w in contrib.items():
                    weights[nid] = get(nid, 0.0) + w
        if len(weights) <= CANDIDATES:
            return list(weights)
        # rank by shared rarity, then by how much of the listed name is covered
        floor = 0.35 * max(weights.values())
        name_idf = self._name_idf
        ranked = [
            (w + 3.0 * min(1.0, w / name_idf[nid]), nid) for nid, w in weights.items() if w >= floor
        ]
        return [nid for _, nid in heapq.nlargest(CANDIDATES, ranked)]

    # ------------------------------------------------------------------ screening
    def screen(
        self,
        name: str,
        *,
        kind: str | None = None,
        limit: int = 5,
        cleared: Iterable[tuple[str, str, str]] | None = None,
        threshold: float | None = None,
        country: str | None = None,
        birth_year: int | None = None,
    ) -> list[Hit]:
        """Hits at or above the threshold, best first, at most ``limit`` (one per entry).
        ``kind`` ("person", "entity", ...) skips entries of an incompatible kind;
        ``cleared`` is a set of :func:`clearance_key` triples to suppress; ``country`` (ISO code
        or name) and ``birth_year`` demote a listing that says otherwise."""
        thr = self.threshold if threshold is None else float(threshold)
        q_tokens = name_tokens(name or "")
        if not q_tokens:
            return []
        attrs = {"country": country, "birth_year": birth_year}
        best = self._best_per_entry(q_tokens, _KIND_COMPAT.get(kind) if kind else None, thr, attrs)
        cleared_set = set(cleared) if cleared else None
        hits: list[Hit] = []
        for ei, (_, nm) in sorted(best.items(), key=lambda kv: (-kv[1][0], self.entries[kv[0]].uid)):
            hit = self._hit(name, q_tokens, self.entries[ei], nm, attrs)
            if hit.score < thr or (cleared_set and is_cleared(hit, cleared_set)):
                continue
            hits.append(hit)
            if len(hits) >= limit:
                break
        return hits

    def _best_per_entry(self, q_tokens, allowed, thr: float, attrs: dict) -> dict[int, tuple[float, _Name]]:
        """entry index -> (quick score, best name) for the blocked candidates at or above ``thr``."""
        qn = " ".join(q_tokens)
        q_compact = "".join(q_tokens)
        g = _glue(q_tokens)
        q_glued = g[0] if g else None
        best: dict[int, tuple[float, _Name]] = {}
        for nid in self._candidates(q_tokens):
            nm = self._names[nid]
            entry = self.entries[nm.entry_idx]
            if allowed is not None and entry.kind not in allowed:
                continue
            score = round(min(100.0, _quick_score(q_tokens, q_glued, qn, q_compact, nm)), 1)
            if score >= thr and (attrs["country"] or attrs["birth_year"]):
                score -= attribute_penalty(entry, **attrs)[0]
            prev = best.get(nm.entry_idx)
            if score >= thr and (prev is None or score > prev[0]):
                best[nm.entry_idx] = (score, nm)
        return best

    def _hit(self, query: str, q_tokens, entry: ListEntry, nm: _Name, attrs: dict) -> Hit:
        score, feats = score_names(q_tokens, nm)  # full features for the few hits
        penalty, notes = attribute_penalty(entry, **attrs) if (attrs["country"] or attrs["birth_year"]) else (0.0, [])
        score = round(max(0.0, score - penalty), 1)
        explanation = {**feats, "normalized_query": " ".join(q_tokens), "normalized_match": nm.norm,
                       "attribute_penalty": penalty, "attribute_notes": notes}
        # a derived name (a distinctive word, a shortened name) is not on the list: the hit names the
        # listed name it stands for, and the why text says how it was derived
        return Hit(query=query, entry=entry, matched_name=nm.derived_from or nm.display, score=score,
                   is_match=score >= self.threshold, explanation=explanation,
                   why=_why(query, entry, nm, score, explanation))

    def screen_many(self, names: Iterable[str], **kwargs) -> dict[str, list[Hit]]:
        return {n: self.screen(n, **kwargs) for n in names}


def _describe_pair(q: str, c: str, sim: float) -> str:
    """How one query word relates to the listed word it was paired with, in plain words."""
    if len(q) == 1:
        return f"{q!r} is the initial of {c!r}"
    if phonetic(q) == phonetic(c) and (russian_form(q) != q or russian_form(c) != c):
        ukrainian, russian = (q, c) if russian_form(q) != q else (c, q)
        return f"{ukrainian!r} is the Ukrainian form of the name {russian!r}"
    if phonetic(q) == phonetic(c):
        return f"{q!r} and {c!r} are transliterations of the same sounds"
    if skeleton(q) == skeleton(c):
        return f"{q!r} and {c!r} have the same consonants and differ in vowels"
    distance = Levenshtein.distance(q, c)
    if distance == 1:
        return f"{q!r} and {c!r} differ by one letter"
    return f"{q!r} and {c!r} differ by {distance} letters"


def _how(feats: dict) -> str:
    """The reason, from the features that decided the score (never a vaguer one)."""
    pairs = feats.get("pairs") or []
    if feats.get("token_sort", 0) >= 99.5 and feats.get("method") == "token_sort":
        return "the same words after normalising case, accents, punctuation, word order and legal-form words"
    if feats.get("method") == "compact":
        return "the same letters with different word breaks"
    parts = [_describe_pair(q, c, sim) for q, c, sim in pairs if q != c]
    same = [c for q, c, sim in pairs if q == c]
    if same:
        parts.insert(0, "the words " + ", ".join(repr(w) for w in same) + " agree")
    if feats.get("missing_listed_tokens"):
        parts.append(f"{feats['missing_listed_tokens']:.0f} listed word(s) not in the query")
    if feats.get("extra_query_tokens"):
        parts.append(f"{feats['extra_query_tokens']:.0f} query word(s) not in the listed name")
    if feats.get("type_words"):
        words = ", ".join(repr(w) for w in feats["type_words"])
        parts.append(f"{words} only say{'s' if len(feats['type_words']) == 1 else ''} what kind of organisation it is")
    if not parts:
        return f"similar letters overall (similarity {feats.get('token_sort', 0):.0f} of 100)"
    return "; ".join(parts)


def _why(query: str, entry: ListEntry, nm: _Name, score: float, feats: dict) -> str:
    matched = nm.display
    if nm.derivation == _DISTINCTIVE_WORD:
        as_what = f"{matched!r}, the distinctive word of the listed name {nm.derived_from!r}"
    elif nm.derivation == _LATER_GIVEN_NAME:
        as_what = f"{matched!r}, the listed name {nm.derived_from!r} without its first given name"
    elif nm.derivation == _WITHOUT_FAMILY_NAME:
        as_what = f"{matched!r}, the listed name {nm.derived_from!r} without its family name"
    elif nm.origin:
        as_what = f"{matched!r}, a name {nm.origin} gives for {entry.name!r}"
    elif matched == entry.name:
        as_what = f"the listed name {matched!r}"
    else:
        as_what = f"{matched!r}, an alias of {entry.name!r}"
    programs = f", programs {', '.join(entry.programs)}" if entry.programs else ""
    notes = feats.get("attribute_notes") or []
    demoted = f" Score lowered because {' and '.join(notes)}." if notes else ""
    return (
        f"{query!r} resembles {as_what} on {entry.source} ({entry.uid}{programs}) "
        f"with a score of {score:.0f} out of 100: {_how(feats)}.{demoted}"
    )
