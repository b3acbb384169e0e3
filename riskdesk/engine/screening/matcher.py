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

from .importers import ListEntry
from .normalize import (
    LEGAL_FORMS,
    LEGAL_WORDS,
    name_tokens,
    normalize_name,
    phonetic,
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
_MISSING_CORE_PENALTY = 10.0  # a core word of the listed name that the query lacks
_MISSING_NAME_PENALTY = 3.0  # per non-core listed token absent from a query for a person
_PATRONYMIC_ENDINGS = ("ovich", "evich", "ovna", "evna", "ovych", "evych", "ivna", "ichna", "ovic", "evic")
_SKELETON_SIM = 90.0  # similarity credited to tokens that share a transliteration skeleton
_MISSING_TOKEN_PENALTY = 4.0  # per non-core listed token absent from the query
_EXTRA_TOKEN_PENALTY = 5.0  # per query token absent from a listed person name
_EXTRA_ENTITY_PENALTY = 8.0  # per query token absent from a listed organisation name
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

    @property
    def normalized_query(self) -> str:
        return str(self.explanation.get("normalized_query", normalize_name(self.query)))

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
    keys = {tok}
    if len(tok) >= 4:
        keys.update(tok[:i] + tok[i + 1 :] for i in range(len(tok)))
        sk = skeleton(tok)
        if len(sk) >= 3:
            keys.add("#" + sk)
        ph = phonetic(tok)
        if ph != tok:
            keys.add("=" + ph)
    elif len(tok) == 3:
        keys.add("=" + phonetic(tok))
    return keys


def _core_tokens(name: str, tokens: tuple[str, ...], kind: str) -> frozenset[int]:
    """Indexes of the tokens that must be present for a partial (subset) match:
    for "LAST, First Middle" person names the surname tokens and the first given
    name; for other person names the first and last token; for everything else
    every token that is not a particle."""
    if not tokens:
        return frozenset()
    if kind == "person" or (kind == "unknown" and "," in name):
        if "," in name:
            last, _, first = name.partition(",")
            n_last = len(name_tokens(last))
            given = [i for i in range(n_last, len(tokens)) if tokens[i] not in _PARTICLES]
            core = {i for i in range(min(n_last, len(tokens))) if tokens[i] not in _PARTICLES}
            if given:
                core.add(given[0])
            if core:
                return frozenset(core)
        idx = [i for i, t in enumerate(tokens) if t not in _PARTICLES] or list(range(len(tokens)))
        return frozenset({idx[0], idx[-1]})
    core = {i for i, t in enumerate(tokens) if t not in _PARTICLES and t not in LEGAL_FORMS}
    return frozenset(core or range(len(tokens)))


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
    if s < _SKELETON_SIM and abs(len(a) - len(b)) <= 2:
        sa, sb = skeleton(a), skeleton(b)
        if len(sa) >= 3 and sa == sb:
            # same consonant skeleton; a three-letter skeleton is weaker evidence
            s = max(s, _SKELETON_SIM if len(sa) >= 4 else _TOKEN_MATCH + 5.0)
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
    if s >= 90.0 or (s < 40.0 and a[0] != b[0]):
        return s  # already close, or nothing below can lift two unrelated words to a match
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
        return 2 <= len(tok) <= 4 and tok not in _PARTICLES and not _is_legalish(tok)

    return any(short(c[i]) for i in range(len(c)) if i not in sims) and any(
        short(q[i]) for i in range(len(q)) if i not in used)


def _patronymics_differ(q, c, left_q, left_c) -> bool:
    """Both names carry a patronymic that found no partner, and the two are not even
    loosely alike (a transliteration such as "yurievna"/"iuriivna" is not a clash)."""
    pc = [c[i] for i in left_c if _is_patronymic(c[i])]
    pq = [q[i] for i in left_q if _is_patronymic(q[i])]
    return bool(pc and pq) and all(_token_sim(a, b) < 65.0 for a in pq for b in pc)


def _leftover_penalty(q, c, sims, partner, extra_penalty: float, person: bool) -> tuple[float, list, list]:
    """Cost of the listed words the query lacks and the query words the list lacks."""
    left_c = [i for i in range(len(c)) if i not in sims]
    used_q = set(partner.values())
    left_q = [i for i in range(len(q)) if i not in used_q]
    # leftover words of a spelled-out legal form ("closed joint stock") cost little
    legal_c = [i for i in left_c if _is_legalish(c[i])]
    legal_q = [i for i in left_q if _is_legalish(q[i])]
    # listed particles ("bin", "al", "de") cost 1; a person's unlisted middle names cost less
    # than an organisation's missing words
    soft_c = [i for i in left_c if c[i] in _PARTICLES and i not in legal_c]
    missing = _MISSING_NAME_PENALTY if person else _MISSING_TOKEN_PENALTY
    pen_c = len(legal_c) + len(soft_c) + missing * (len(left_c) - len(legal_c) - len(soft_c))
    # a person's extra particle ("de" in "ARELLANO FELIX DE TOLEDO") is cheap; an organisation's is not
    n_extra = len([i for i in left_q if i not in legal_q and not (person and q[i] in _PARTICLES)])
    soft_q = len(left_q) - len(legal_q) - n_extra
    # one extra query word (a middle name) is normal; each further one costs more
    pen_q = len(legal_q) + soft_q + extra_penalty * n_extra + 3.0 * max(0, n_extra - 1)
    return pen_c + pen_q, [i for i in left_c if i not in legal_c], [i for i in left_q if i not in legal_q]


def _align(
    q: tuple[str, ...],
    c: tuple[str, ...],
    core: frozenset[int],
    extra_penalty: float = _EXTRA_TOKEN_PENALTY,
    person: bool = False,
) -> tuple[float, dict]:
    """Graded pairing of listed tokens with query tokens: the length-weighted similarity
    of the paired words, less a cost for each listed word missing (more for a core word)
    and each query word the list lacks."""
    # cheap rejection first: every core word but one needs a counterpart in the query
    absent = 0
    for ci in core:
        if not any(_token_sim(qt, c[ci]) >= _PARTIAL_TOKEN for qt in q):
            absent += 1
            if absent > 1 or len(core) < 3:
                return 0.0, {"tokens_matched": 0.0, "initials": 0.0}
    if len(c) == 1 and len(c[0]) <= 4 and c[0] not in q:
        return 0.0, {"tokens_matched": 0.0, "initials": 0.0, "short_name": 1.0}  # "BID" is not "BYD"
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
        return 0.0, info
    weight = sum(len(c[ci]) for ci in sims)
    avg = sum(sims[ci] * len(c[ci]) for ci in sims) / weight
    penalty, left_c, left_q = _leftover_penalty(q, c, sims, partner, extra_penalty, person)
    score = avg - penalty - _MISSING_CORE_PENALTY * missing_core
    # a partial match needs two agreeing words (initials do not count):
    # "Linda Wood" is not the vessel "LINDA", "Maria E. Weaver" not the vessel "MARIA E"
    if full < 2 and (left_c or left_q):
        score = min(score, 70.0)
    # two different patronymics name two different people (Ivan Petrovich, Ivan Pavlovich)
    if _patronymics_differ(q, c, left_q, left_c):
        score = min(score, 70.0)
        info["patronymic_differs"] = 1.0
    info["missing_listed_tokens"] = float(len(c) - len(sims))
    info["extra_query_tokens"] = float(len(q) - len(partner))
    info["missing_core_tokens"] = float(missing_core)
    info["pairs"] = [(q[partner[ci]], c[ci], round(sims[ci], 1)) for ci in sorted(sims)]
    return score, info


# particles often written joined to the next word: "AL-HAQ" / "Alhaq", "Bin-Sulayman" / "Binsulayman"
_GLUE = frozenset({"al", "el", "ul", "bin", "ibn", "abu", "abd"})


def _glue(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], list[int]] | None:
    """Tokens with each gluing particle joined to the following word, and the map from
    old to new token positions; None when there is nothing to join."""
    if not any(t in _GLUE for t in tokens[:-1]):
        return None
    out: list[str] = []
    pos: list[int] = []
    i = 0
    while i < len(tokens):
        if tokens[i] in _GLUE and i + 1 < len(tokens):
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
                 "person")

    def __init__(self, entry_idx: int, display: str, tokens: tuple[str, ...], kind: str):
        self.entry_idx = entry_idx
        self.display = display
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
        self.extra_penalty = _EXTRA_TOKEN_PENALTY if self.person else _EXTRA_ENTITY_PENALTY


def _best_alignment(
    q_tokens: tuple[str, ...], q_glued: tuple[str, ...] | None, name: _Name
) -> tuple[float, dict]:
    best = _align(q_tokens, name.tokens, name.core, name.extra_penalty, name.person)
    if q_glued is None and name.glued is None:
        return best
    c, core = (name.glued, name.glued_core) if name.glued is not None else (name.tokens, name.core)
    other = _align(q_glued or q_tokens, c, core, name.extra_penalty, name.person)
    if other[0] > best[0]:
        other[1]["joined_particles"] = 1.0
        return other
    return best


def _quick_score(
    q_tokens: tuple[str, ...], q_glued, qn: str, q_compact: str, name: _Name
) -> float:
    score = fuzz.token_sort_ratio(qn, name.norm)
    if score >= 99.5:
        return score
    if len(q_tokens) != len(name.tokens):
        score = max(score, fuzz.ratio(q_compact, name.compact))
    align, info = _best_alignment(q_tokens, q_glued, name)
    return align if _alignment_decides(info) else max(score, align)


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
    # compact comparison only helps when word boundaries differ (e.g. "abdal aziz")
    compact_used = compact if len(q_tokens) != len(name.tokens) else 0.0
    score = align if _alignment_decides(info) else max(token_sort, align, compact_used)
    method = (
        "token_sort" if score == token_sort else "alignment" if score == align else "compact"
    )
    features = {
        "token_sort": round(token_sort, 1),
        "token_set": round(token_set, 1),
        "alignment": round(align, 1),
        "compact": round(compact, 1),
        **info,
        "method": method,
    }
    return round(max(0.0, min(100.0, score)), 1), features


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
        vocab: dict[str, int] = {}
        postings: list[list[int]] = []
        for ei, entry in enumerate(self.entries):
            seen: set[str] = set()
            for display in entry.names:
                toks = name_tokens(display)
                norm = " ".join(toks)
                if not toks or norm in seen:
                    continue
                seen.add(norm)
                nid = len(self._names)
                self._names.append(_Name(ei, display, toks, entry.kind))
                terms = set(toks)
                g = _glue(toks)
                if g:
                    terms.update(g[0])  # so "alhaq" finds "al haq"
                if len(toks) > 1 and len(toks) <= 4:
                    terms.add("".join(toks))  # so "marshalglobal" finds "marshal global"
                for t in terms:
                    tid = vocab.get(t)
                    if tid is None:
                        tid = vocab[t] = len(postings)
                        postings.append([])
                    postings[tid].append(nid)
        self._vocab = vocab
        self._postings: list[frozenset[int]] = [frozenset(p) for p in postings]
        n = max(1, len(self._names))
        self._idf = [math.log(1 + n / len(p)) for p in postings]
        self._name_idf = [
            sum(self._idf[vocab[t]] for t in set(nm.tokens)) or 1.0 for nm in self._names
        ]
        keys: dict[str, list[int]] = {}
        for tok, tid in vocab.items():
            for k in _token_keys(tok):
                keys.setdefault(k, []).append(tid)
        self._keys = keys
        self._lookup_cache: dict[str, dict[int, float]] = {}

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
    ) -> list[Hit]:
        """Hits at or above the threshold, best first, at most ``limit`` (one per entry).
        ``kind`` ("person", "entity", ...) skips entries of an incompatible kind;
        ``cleared`` is a set of :func:`clearance_key` triples to suppress."""
        thr = self.threshold if threshold is None else float(threshold)
        q_tokens = name_tokens(name or "")
        if not q_tokens:
            return []
        allowed = _KIND_COMPAT.get(kind) if kind else None
        qn = " ".join(q_tokens)
        q_compact = "".join(q_tokens)
        g = _glue(q_tokens)
        q_glued = g[0] if g else None
        best: dict[int, tuple[float, _Name]] = {}
        for nid in self._candidates(q_tokens):
            nm = self._names[nid]
            if allowed is not None and self.entries[nm.entry_idx].kind not in allowed:
                continue
            score = round(min(100.0, _quick_score(q_tokens, q_glued, qn, q_compact, nm)), 1)
            if score < thr:
                continue
            prev = best.get(nm.entry_idx)
            if prev is None or score > prev[0]:
                best[nm.entry_idx] = (score, nm)
        cleared_set = set(cleared) if cleared else None
        norm_q = " ".join(q_tokens)
        hits: list[Hit] = []
        for ei, (score, nm) in sorted(
            best.items(), key=lambda kv: (-kv[1][0], self.entries[kv[0]].uid)
        ):
            entry = self.entries[ei]
            score, feats = score_names(q_tokens, nm)  # full features for the few hits
            explanation = {**feats, "normalized_query": norm_q, "normalized_match": nm.norm}
            hit = Hit(
                query=name,
                entry=entry,
                matched_name=nm.display,
                score=score,
                is_match=score >= self.threshold,
                explanation=explanation,
                why=_why(name, entry, nm.display, score, feats),
            )
            if cleared_set and is_cleared(hit, cleared_set):
                continue
            hits.append(hit)
            if len(hits) >= limit:
                break
        return hits

    def screen_many(self, names: Iterable[str], **kwargs) -> dict[str, list[Hit]]:
        return {n: self.screen(n, **kwargs) for n in names}


def _why(query: str, entry: ListEntry, matched: str, score: float, feats: dict) -> str:
    as_what = "the listed name" if matched == entry.name else f"an alias of {entry.name!r}"
    if feats.get("method") == "alignment" and (
        feats.get("missing_listed_tokens") or feats.get("extra_query_tokens")
    ):
        how = "most words agree, with some name parts missing or added"
    elif feats.get("token_sort", 0) >= 99.5:
        how = "the same words after normalising case, accents, punctuation, word order and legal-form words"
    elif feats.get("method") == "compact":
        how = "the same letters with different word breaks"
    else:
        how = "close spelling (typos or transliteration differences)"
    programs = f", programs {', '.join(entry.programs)}" if entry.programs else ""
    return (
        f"{query!r} resembles {as_what} {matched!r} on {entry.source} ({entry.uid}{programs}) "
        f"with a score of {score:.0f} out of 100: {how}."
    )
