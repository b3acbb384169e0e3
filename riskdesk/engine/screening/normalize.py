"""Name normalisation for screening.

Pure functions, no I/O. The pipeline for one name is::

    NFKC -> transliterate to ASCII (unidecode) -> casefold -> dotted initialisms
    joined ("S.A." -> "sa") -> apostrophes dropped, other punctuation -> space
    -> tokens -> legal-form words and honorifics removed

``normalize_name`` returns the tokens joined by single spaces; ``name_tokens``
returns them as a tuple. ``skeleton`` gives a coarse phonetic key for a token so
that transliteration variants (Mohammed / Muhammad, Youssef / Yusuf) meet.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from unidecode import unidecode

__all__ = [
    "fold",
    "tokenize",
    "name_tokens",
    "normalize_name",
    "strip_legal_forms",
    "skeleton",
    "phonetic",
    "LEGAL_FORMS",
]

# Legal-form words removed wherever they occur (they never identify a party).
_STRONG_FORMS = frozenset(
    """
    ltd ltda limited llc inc incorporated corp corporation company gmbh mbh jsc ojsc pjsc cjsc
    ooo plc llp sarl srl sprl pte pty bhd fze fzco fzc fzllc kft sro doo
    dooel ead eood sae saog saoc pjs pllc lllp gmbhco kgaa ltee ulc sagl sapi zrt nyrt
    """.split()
)
# Short legal-form abbreviations that can also be ordinary name tokens: removed only
# as the last token (or as the first token for the ones Russian/Ukrainian/Indonesian
# names put in front), and only when something else remains.
_WEAK_TRAILING = frozenset(
    "co sa ag ab as ao bv nv oy kg lp se sl pt cv sas sc spa ou oyj asa aps kk ltd pvt".split()
)
_WEAK_LEADING = frozenset("ao pao oao zao pt tov chp ip".split())
# Multi-word legal forms (matched as whole token sequences, longest first).
_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    sorted(
        (
            tuple(p.split())
            for p in (
                "limited liability company",
                "limited liability partnership",
                "limited partnership",
                "limited company",
                "joint stock company",
                "closed joint stock company",
                "open joint stock company",
                "public joint stock company",
                "private joint stock company",
                "private limited company",
                "public limited company",
                "private limited",
                "company limited",
                "co ltd",
                "co limited",
                "pvt ltd",
                "pte ltd",
                "pty ltd",
                "sdn bhd",
                "sa de cv",
                "s de rl de cv",
                "s de rl",
                "sapi de cv",
                "s a",
                "s l",
                "s r l",
                "s a s",
                "s p a",
                "l l c",
                "societe anonyme",
                "aktiengesellschaft",
                "sociedad anonima",
                "obshchestvo s ogranichennoi otvetstvennostiu",
                "obshchestvo s ogranichennoy otvetstvennostyu",
                "obshchestvo s ogranichennoi otvetstvennost'iu",
                "aktsionernoe obshchestvo",
                "aktsionernoye obshchestvo",
                "zakrytoe aktsionernoe obshchestvo",
                "otkrytoe aktsionernoe obshchestvo",
                "publichnoe aktsionernoe obshchestvo",
                "tovarystvo z obmezhenoiu vidpovidalnistiu",
            )
        ),
        key=len,
        reverse=True,
    )
)
# "... company" phrases are also written "... co" ("JOINT STOCK CO.")
_PHRASES = tuple(
    sorted(
        set(_PHRASES) | {p[:-1] + ("co",) for p in _PHRASES if p[-1] == "company"},
        key=lambda p: (-len(p), p),
    )
)
# words that appear inside spelled-out legal forms; cheap when unmatched
LEGAL_WORDS = frozenset(
    "fz joint stock closed open public private limited liability company co holding partnership "
    "obshchestvo aktsionernoe aktsionernoye otvetstvennostiu otvetstvennostyu ogranichennoi "
    "ogranichennoy "
    # Russian organisation-type abbreviations written before the name ("NPO NAUKASOFT", "PO UOMZ")
    "npo npp npk nii tsnii gosnii okb fgup fgbu gup epc po".split()
)
# words that say what kind of body an organisation is, not which one: "AL-AQSA MARTYRS BRIGADE" and
# "... BATTALION", "BELNEFTEKHIM" and "BELNEFTEKHIM CONCERN" name one party. English, and the Russian,
# Spanish and French words that list publishers leave untranslated.
ORG_TYPE_WORDS = frozenset(
    "agency association authority battalion board brigade brigades branch bureau center centre channel "
    "club combine committee concern consortium corporation council department division enterprise "
    "establishment facility factory faction federation firm foundation front fund group house institute "
    "institution league mill ministry movement network office organization organisation party plant "
    "regiment service shop society station studio union unit works workshop "
    "zavod kombinat obyedinenie obedinenie ob'edinenie predpriyatie kontsern "
    "empresa sociedad asociacion fundacion comite compania corporacion grupo "
    "societe association comite groupe "
    # the descriptive words of Russian and Soviet-style organisation names, which list publishers
    # spell out, abbreviate (NPO, NPP, GNPP, OKB) or leave out ("NPO KVANT" is "RESEARCH AND
    # PRODUCTION ASSOCIATION KVANT")
    "research production scientific science state federal unitary budgetary machine building design "
    "experimental engineering manufacturing technology technological technical named after nauchno "
    "proizvodstvennoe proizvodstvennoye "
    "gosudarstvennoe gosudarstvennoye".split()
)
_PHRASES_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {}
for _p in _PHRASES:
    if len(_p) > 1:
        _PHRASES_BY_FIRST[_p[0]] = _PHRASES_BY_FIRST.get(_p[0], ()) + (_p,)
_HONORIFICS = frozenset("mr mrs ms miss dr prof sir".split())

LEGAL_FORMS = frozenset(_STRONG_FORMS | _WEAK_TRAILING | _WEAK_LEADING)

_DOTTED = re.compile(r"\b(?:[a-z0-9]\.)+[a-z0-9]\b\.?|\b(?:[a-z0-9]\.){2,}")
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc\u02bb]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def fold(text: str) -> str:
    """NFKC, transliterate to ASCII, casefold."""
    text = unicodedata.normalize("NFKC", text or "")
    return unidecode(text).casefold()


def tokenize(text: str) -> list[str]:
    """Fold and split into alphanumeric tokens; keeps legal forms."""
    s = fold(text)
    s = _DOTTED.sub(lambda m: m.group(0).replace(".", "") + " ", s)
    s = _APOSTROPHES.sub("", s).replace("&", " and ")  # "H & H" is "H AND H"
    return _NON_ALNUM.sub(" ", s).split()


def strip_legal_forms(tokens: list[str] | tuple[str, ...], edges: bool = True) -> list[str]:
    """Remove legal-form words/phrases and honorifics; never returns an empty list
    for a non-empty input (a name that is *only* a legal form keeps its tokens)."""
    toks = list(tokens)
    if not toks:
        return toks
    out: list[str] = []
    i = 0
    n = len(toks)
    while i < n:
        for phrase in _PHRASES_BY_FIRST.get(toks[i], ()):  # longest first
            k = len(phrase)
            if tuple(toks[i : i + k]) == phrase:
                i += k
                break
        else:
            t = toks[i]
            if t not in _STRONG_FORMS and t not in _HONORIFICS:
                out.append(t)
            i += 1
    # weak forms only at the edges
    while edges and len(out) > 1 and out[-1] in _WEAK_TRAILING:
        out.pop()
    # leading short forms (AO, PAO, ZAO, PT, TOV) are also surnames ("PAO, Yu Yi"): kept;
    # the matcher treats an unmatched legal-form word as nearly free
    return out or toks


@lru_cache(maxsize=65536)
def name_tokens(text: str, drop_legal: bool = True) -> tuple[str, ...]:
    toks = tokenize(text)
    if drop_legal:
        # "PAO, Yu Yi" / "SA, Kim": a one-word surname before the comma is not a legal form
        head = text.split(",", 1)[0] if "," in text else ""
        keep_edges = bool(head) and len(tokenize(head)) == 1 and tokenize(head)[0] in _WEAK_LEADING | _WEAK_TRAILING
        toks = strip_legal_forms(toks, edges=not keep_edges)
    return tuple(toks)


def normalize_name(text: str, drop_legal: bool = True) -> str:
    """The comparison form of a name: ``"Anglo-Caribbean Co., Ltd."`` -> ``"anglo caribbean"``."""
    return " ".join(name_tokens(text, drop_legal))


_SKEL_SUBS = (
    ("dzh", "j"),
    ("tch", "c"),
    ("sch", "s"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("sh", "s"),
    ("ch", "c"),
    ("zh", "j"),
    ("dj", "j"),
    ("ck", "k"),
    ("ts", "c"),
    ("tz", "c"),
    ("q", "k"),
    ("w", "v"),
    ("x", "ks"),
    ("y", "i"),
    ("z", "s"),
    # long vowels written doubled in South Asian and Arabic transliterations (Cheema/Chima,
    # Rasheed/Rashid, Masood/Masud)
    ("ee", "i"),
    ("oo", "u"),
)
_VOWELS = re.compile(r"[aeiou]+")
# Ukrainian and Belarusian spellings of Russian name endings: -ovych/-ovich, -iovych/-yevich
# (Mykolaiovych, Nikolayevich), -iivna/-ievna, -ii/-iy/-yi/-y (Hennadii, Gennadiy, Gennady)
_SLAVIC_ENDINGS = re.compile(r"(iovych|yovych|iovich|yovich|ovych|evych|iivna|iyivna|yivna|ii|iy|yi|ij|yj)$")
_SLAVIC_MAP = {"ovych": "ovich", "evych": "evich", "iovych": "ievich", "yovych": "ievich", "iovich": "ievich",
               "yovich": "ievich",
               "iivna": "ievna", "iyivna": "ievna", "yivna": "ievna"}


def _slavic_ending(m: re.Match) -> str:
    return _SLAVIC_MAP.get(m.group(1), "i")
_REPEATS = re.compile(r"(.)\1+")


# Ukrainian forms of given names and the Russian forms OFAC lists them by (Mykola/Nikolai,
# Hanna/Anna), romanised as officially and as unidecode writes Ukrainian letters (Г -> g: "Ganna")
_UKRAINIAN_FORMS = {
    "mykola": "nikolai", "mikola": "nikolai", "hanna": "anna", "ganna": "anna", "olena": "elena",
    "oleksii": "aleksei", "oleksiy": "aleksei", "serhii": "sergei", "serhiy": "sergei", "sergii": "sergei",
    "andrii": "andrei", "andriy": "andrei", "volodymyr": "vladimir", "volodimir": "vladimir",
    "mykhailo": "mikhail", "mikhailo": "mikhail", "mykhaylo": "mikhail", "petro": "petr", "ihor": "igor",
    "dmytro": "dmitrii", "dmitro": "dmitrii", "vasyl": "vasilii", "vasil": "vasilii", "hryhorii": "grigorii",
    "halyna": "galina", "nataliia": "natalia", "iryna": "irina", "tetiana": "tatiana", "tetyana": "tatiana",
    "kateryna": "ekaterina", "katerina": "ekaterina", "liudmyla": "liudmila",
}
# and the stems of the patronymics formed from them (Oleksandrovych/Aleksandrovich)
_UKRAINIAN_STEMS = (("oleksandr", "aleksandr"), ("oleksiio", "alekseev"), ("mykhail", "mikhail"),
                    ("mykhayl", "mikhail"), ("volodymyr", "vladimir"))


def russian_form(token: str) -> str:
    """The Russian form of a Ukrainian given name or patronymic (``mykola`` -> ``nikolai``), else the token."""
    form = _UKRAINIAN_FORMS.get(token)
    if form:
        return form
    for stem, russian in _UKRAINIAN_STEMS:
        if token.startswith(stem):
            return russian + token[len(stem):]
    return token


@lru_cache(maxsize=131072)
def phonetic(token: str) -> str:
    """Digraphs and letters that vary between transliterations folded, repeated letters
    collapsed; vowels kept. ``dzhalal`` -> ``jalal``, ``khadzhdzhlu`` -> ``hajlu``."""
    s = russian_form(token)
    if len(s) > 4 and s.endswith(("off", "eff", "iff")):
        s = s[:-2] + "v"  # Russian -ov/-ev written -off/-eff (Smirnoff)
    elif len(s) > 5 and s.endswith(("ou", "eu")):
        s = s[:-1] + "v"  # Belarusian -ou/-eu for Russian -ov/-ev (Radzkou, Radkov)
    if len(s) > 7 and s.endswith(("avich", "avna")):
        s = s.replace("avich", "ovich").replace("avna", "ovna")  # Belarusian akanye (Mikhailavich)
    s = _SLAVIC_ENDINGS.sub(_slavic_ending, s) if len(s) > 5 else s
    for a, b in _SKEL_SUBS:
        s = s.replace(a, b)
    return _REPEATS.sub(r"\1", s)


@lru_cache(maxsize=131072)
def skeleton(token: str) -> str:
    """A coarse transliteration-insensitive key: :func:`phonetic`, then vowels after the
    first letter dropped. ``mohammed``/``muhammad`` -> ``mhmd``."""
    s = phonetic(token)
    if not s:
        return s
    head, tail = s[0], s[1:]
    if head in "aeiou":
        head = "a"  # initial vowels vary across transliterations (Usama/Osama)
    tail = _VOWELS.sub("", tail)
    return _REPEATS.sub(r"\1", head + tail)
