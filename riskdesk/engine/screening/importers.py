"""Readers for restricted-party list files.

Formats (``fmt``):

``sdn``
    OFAC legacy ``sdn.csv``: no header, 12 columns (ent_num, SDN_Name, SDN_Type,
    Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner,
    Remarks); ``-0-`` means empty; aliases sit in the remarks as ``a.k.a. '...'``
    (also ``f.k.a.``/``n.k.a.``); Latin-1 bytes (UTF-8 accepted); a final DOS
    end-of-file ``\\x1a`` line.
``csl``
    ITA Consolidated Screening List, CSV (2019 layout, and the current one with
    ``_id`` first; a repeated header row is ignored) or JSON (API ``{"results": [...]}``
    or a bare list). Columns are read by header name.
``opensanctions``
    OpenSanctions ``targets.simple.csv`` (15 columns, or 16 with ``program_ids``).

Everything here is pure: bytes in, dataclasses out. A malformed file raises
:class:`ListFormatError` naming the line (or record) and the reason.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from riskdesk.engine import inputlimits

__all__ = [
    "FORMATS",
    "ListEntry",
    "ListFormatError",
    "ParsedList",
    "detect_format",
    "parse_bytes",
    "parse_file",
    "sdn_bundle",
]

FORMATS = ("sdn", "csl", "opensanctions")

csv.field_size_limit(10 * 1024 * 1024)


class ListFormatError(ValueError):
    """A list file could not be read. ``line`` is the 1-based physical line where the
    offending record starts (or the record number for JSON), or None for whole-file
    problems; ``reason`` says what is wrong."""

    def __init__(self, reason: str, line: int | None = None):
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line is not None else reason)


@dataclass(frozen=True)
class ListEntry:
    uid: str
    source: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "unknown"
    programs: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    remarks: str = ""
    addresses: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The primary name followed by the aliases."""
        return (self.name, *self.aliases)

    def _fields(self) -> dict:
        return {
            "uid": self.uid,
            "source": self.source,
            "name": self.name,
            "aliases": list(self.aliases),
            "kind": self.kind,
            "programs": list(self.programs),
            "countries": list(self.countries),
            "remarks": self.remarks,
            "addresses": list(self.addresses),
        }

    def content_hash(self) -> str:
        """sha256 over every field; changes whenever the published listing changes."""
        payload = json.dumps(self._fields(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        return {**self._fields(), "content_hash": self.content_hash()}


@dataclass(frozen=True)
class ParsedList:
    format: str
    source: str
    sha256: str
    entries: tuple[ListEntry, ...]
    record_count: int
    filename: str = field(default="")


# --------------------------------------------------------------------------- helpers


_C1_CONTROLS = re.compile("[\x80-\x9f]")


def _cp1252(match: re.Match) -> str:
    """A C1 control character is a Windows-1252 byte read as Latin-1 ("Gui\x92an" is "Gui’an")."""
    try:
        return match.group(0).encode("latin-1").decode("cp1252")
    except UnicodeDecodeError:
        return ""  # 0x81, 0x8d, 0x8f, 0x90, 0x9d are unassigned in Windows-1252


def _decode(data: bytes, *, fallback_latin1: bool) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if fallback_latin1:
            text = data.decode("latin-1")
        else:
            line = data[: exc.start].count(b"\n") + 1
            raise ListFormatError(
                f"undecodable bytes (not UTF-8) at byte {exc.start}", line
            ) from None
    text = _C1_CONTROLS.sub(_cp1252, text)
    if "\x00" in text:
        pos = text.index("\x00")
        raise ListFormatError("NUL byte in file (binary data?)", text.count("\n", 0, pos) + 1)
    return text


def _records(text: str):
    """Yield (start_line, row) for each CSV record; start_line is 1-based physical."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    prev = 0
    try:
        for row in reader:
            start = prev + 1
            prev = reader.line_num
            yield start, row
    except csv.Error as exc:
        raise ListFormatError(f"malformed CSV: {exc}", prev + 1) from None


def _split(value: str, sep: str = ";") -> tuple[str, ...]:
    return tuple(p.strip() for p in (value or "").split(sep) if p.strip())


def _dedupe(items) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for it in items:
        it = (it or "").strip()
        if it and it not in seen:
            seen[it] = None
    return tuple(seen)


# --------------------------------------------------------------------------- SDN

_SDN_COLUMNS = 12
_SDN_KIND = {"individual": "person", "vessel": "vessel", "aircraft": "aircraft", "": "entity"}
_AKA = re.compile(r"\b[afn]\.k\.a\.,?\s+'(.*?)'(?=\s*[;.]|\s*$)")
_AKA_TRUNCATED = re.compile(r"\b[afn]\.k\.a\.,?\s+'([^']*)$")
_NATIONALITY = re.compile(r"\b(?:nationality|citizen)\s+([^;.]+)")


def _sdn_field(value: str) -> str:
    value = value.strip()
    return "" if value == "-0-" else value


def _sdn_aliases(remarks: str) -> tuple[str, ...]:
    found = _AKA.findall(remarks)
    tail = _AKA_TRUNCATED.search(remarks)
    # the legacy file cuts remarks at 1,000 characters: keep a cut-off final alias
    if tail and len(tail.group(1).strip()) >= 4 and not remarks.rstrip().endswith("'"):
        found.append(tail.group(1))
    return _dedupe(found)


_ALT_COLUMNS = 5  # ent_num, alt_num, alt_type, alt_name, alt_remarks
_ADD_COLUMNS = 6  # ent_num, add_num, address, city/state/postal code, country, add_remarks
SDN_MEMBERS = ("sdn.csv", "alt.csv", "add.csv")


def _companion_rows(text: str, columns: int, member: str):
    """(ent_num, fields) of an OFAC companion file (alt.csv, add.csv): same conventions as sdn.csv."""
    for line, row in _records(text):
        if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
            continue
        if len(row) != columns:
            raise ListFormatError(f"{member}: expected {columns} columns, found {len(row)}", line)
        f = [_sdn_field(v) for v in row]
        if not f[0].isdigit():
            raise ListFormatError(f"{member}: ent_num {row[0]!r} is not a number", line)
        yield f[0], f


def _sdn_companions(alt_text: str, add_text: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """ent_num -> aliases from alt.csv, ent_num -> addresses ("street, city, country") from add.csv."""
    aliases: dict[str, list[str]] = {}
    addresses: dict[str, list[str]] = {}
    for ent_num, f in _companion_rows(alt_text, _ALT_COLUMNS, "alt.csv"):
        if f[3]:
            aliases.setdefault(ent_num, []).append(f[3])
    for ent_num, f in _companion_rows(add_text, _ADD_COLUMNS, "add.csv"):
        text = ", ".join(p for p in (f[2], f[3], f[4]) if p)
        if text:
            addresses.setdefault(ent_num, []).append(text)
    return aliases, addresses


def sdn_bundle(sdn: bytes, alt: bytes | None = None, add: bytes | None = None) -> bytes:
    """OFAC's sdn.csv with its companion files in one archive, so that a snapshot keeps all three
    (fixed timestamps: the same files give the same bytes and the same sha256)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in zip(SDN_MEMBERS, (sdn, alt, add)):
            if data is not None:
                info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
    return buffer.getvalue()


def _unbundle(data: bytes) -> tuple[bytes, bytes, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "sdn.csv" not in names:
                raise ListFormatError("archive has no sdn.csv")
            return tuple(archive.read(m) if m in names else b"" for m in SDN_MEMBERS)  # type: ignore[return-value]
    except zipfile.BadZipFile as exc:
        raise ListFormatError(f"damaged archive: {exc}") from None


def _parse_sdn(text: str, aliases_by_ent: dict | None = None,
               addresses_by_ent: dict | None = None) -> tuple[str, list[ListEntry], int]:
    entries: list[ListEntry] = []
    seen: set[str] = set()
    records = 0
    for line, row in _records(text):
        if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
            continue  # blank line or the DOS end-of-file marker
        if len(row) != _SDN_COLUMNS:
            raise ListFormatError(
                f"expected {_SDN_COLUMNS} columns, found {len(row)}", line
            )
        records += 1
        f = [_sdn_field(v) for v in row]
        ent_num = f[0]
        if not ent_num.isdigit():
            raise ListFormatError(f"ent_num {row[0]!r} is not a number", line)
        uid = f"SDN-{ent_num}"
        if uid in seen:
            raise ListFormatError(f"duplicate ent_num {ent_num}", line)
        seen.add(uid)
        name = f[1]
        if not name:
            raise ListFormatError("empty name", line)
        sdn_type = f[2].lower()
        if sdn_type not in _SDN_KIND:
            raise ListFormatError(f"unknown SDN_Type {f[2]!r}", line)
        programs = _dedupe(p.strip(" []") for p in f[3].split("] ["))
        remarks = f[11]
        countries = _dedupe(m.strip() for m in _NATIONALITY.findall(remarks))
        aliases = tuple(a for a in _dedupe([*(aliases_by_ent or {}).get(ent_num, ()), *_sdn_aliases(remarks)])
                        if a != name)
        entries.append(
            ListEntry(
                uid=uid,
                source="OFAC SDN",
                name=name,
                aliases=aliases,
                kind=_SDN_KIND[sdn_type],
                programs=programs,
                countries=countries,
                remarks=remarks,
                addresses=tuple((addresses_by_ent or {}).get(ent_num, ())),
            )
        )
    return "OFAC SDN", entries, records


# --------------------------------------------------------------------------- CSL

CSL_REQUIRED = ("source", "name", "type", "programs", "alt_names", "addresses")
_CSL_KIND = {"individual": "person", "entity": "entity", "vessel": "vessel", "aircraft": "aircraft"}


def _alt_name_text(alt) -> str:
    """One CSL JSON alias: a string, or an object such as ``{"name": "...", "type": "a.k.a."}``."""
    if isinstance(alt, dict):
        return str(alt.get("name") or alt.get("alt_name") or "").strip()
    return "" if alt is None else str(alt).strip()


def _csl_uid(identifier: str, source: str, name: str, uids: dict[str, int]) -> str:
    """The CSL's own id (entity number, else record id, else a digest of source and name), made unique."""
    base = f"CSL-{identifier or hashlib.sha1(f'{source}|{name}'.encode('utf-8')).hexdigest()[:16]}"
    uids[base] = uids.get(base, 0) + 1
    return base if uids[base] == 1 else f"{base}-{uids[base]}"


def _csl_entry(rec: dict, line: int, uids: dict[str, int]) -> ListEntry:
    def get(key: str) -> str:
        v = rec.get(key)
        if v is None:
            return ""
        if isinstance(v, list):
            return "; ".join(str(x) for x in v if x not in (None, ""))
        return str(v).strip()

    name = get("name")
    if not name:
        raise ListFormatError("empty name", line)
    source_col = get("source")
    if not source_col:
        raise ListFormatError("empty source", line)
    uid = _csl_uid(get("entity_number") or get("_id") or get("id"), source_col, name, uids)

    alt = rec.get("alt_names")
    aliases = _dedupe(_alt_name_text(a) for a in alt) if isinstance(alt, list) else _split(get("alt_names"))
    addresses_raw = rec.get("addresses")
    if isinstance(addresses_raw, list):
        addresses = _dedupe(
            ", ".join(str(a.get(k)) for k in ("address", "city", "state", "postal_code", "country") if a.get(k))
            if isinstance(a, dict)
            else str(a)
            for a in addresses_raw
        )
    else:
        addresses = _split(get("addresses"))
    countries = _dedupe(
        [*_split(get("citizenships")), *_split(get("nationalities"))]
        + (
            [a.get("country") for a in addresses_raw if isinstance(a, dict) and a.get("country")]
            if isinstance(addresses_raw, list)
            else []
        )
    )
    kind = _CSL_KIND.get(get("type").lower(), "unknown")
    return ListEntry(
        uid=uid,
        source=f"CSL: {source_col}",
        name=name,
        aliases=tuple(a for a in aliases if a != name),
        kind=kind,
        programs=_split(get("programs")),
        countries=countries,
        remarks=get("remarks"),
        addresses=addresses,
    )


def _header(rows, required, kind: str) -> list[str]:
    """The lower-cased column names of the first non-empty row; every required column must be there."""
    header_line, header = next(((ln, r) for ln, r in rows if r), (None, None))
    if header is None:
        raise ListFormatError("file is empty")
    cols = [h.strip().lstrip("\ufeff").lower() for h in header]
    missing = [c for c in required if c not in cols]
    if missing:
        raise ListFormatError(f"missing required column(s): {', '.join(missing)} (is this {kind}?)", header_line)
    return cols


def _parse_csl_csv(text: str) -> tuple[str, list[ListEntry], int]:
    rows = _records(text)
    cols = _header(rows, CSL_REQUIRED, "a CSL CSV file")
    entries: list[ListEntry] = []
    uids: dict[str, int] = {}
    records = 0
    for line, row in rows:
        if not row or all(not v.strip() for v in row):
            continue
        if [v.strip().lower() for v in row] == cols:
            continue  # header repeated as the first data row (seen in live downloads)
        if len(row) != len(cols):
            raise ListFormatError(f"expected {len(cols)} columns, found {len(row)}", line)
        records += 1
        entries.append(_csl_entry(dict(zip(cols, row)), line, uids))
    return "Consolidated Screening List", entries, records


def _parse_csl_json(text: str) -> tuple[str, list[ListEntry], int]:
    try:
        doc = inputlimits.loads_json(text)
    except inputlimits.InputLimitError as exc:
        where = f" ({exc.path})" if exc.path else ""
        raise ListFormatError(f"not accepted{where}: {exc.reason}", exc.line) from None
    except json.JSONDecodeError as exc:
        raise ListFormatError(f"invalid JSON: {exc.msg}", exc.lineno) from None
    if isinstance(doc, dict):
        results = doc.get("results")
        if not isinstance(results, list):
            raise ListFormatError('JSON object has no "results" list')
    elif isinstance(doc, list):
        results = doc
    else:
        raise ListFormatError("JSON is neither a list nor an object with results")
    entries: list[ListEntry] = []
    uids: dict[str, int] = {}
    for i, rec in enumerate(results, start=1):
        if not isinstance(rec, dict):
            raise ListFormatError("record is not an object", i)
        missing = [c for c in ("source", "name") if c not in rec]
        if missing:
            raise ListFormatError(f"record lacks {', '.join(missing)}", i)
        entries.append(_csl_entry(rec, i, uids))
    return "Consolidated Screening List", entries, len(results)


# --------------------------------------------------------------------------- OpenSanctions

OS_REQUIRED = ("id", "schema", "name", "aliases", "countries", "sanctions", "dataset")
_OS_KIND = {
    "person": "person",
    "company": "entity",
    "organization": "entity",
    "legalentity": "entity",
    "publicbody": "entity",
    "vessel": "vessel",
    "airplane": "aircraft",
}


def _parse_opensanctions(text: str) -> tuple[str, list[ListEntry], int]:
    rows = _records(text)
    cols = _header(rows, OS_REQUIRED, "a targets.simple.csv file")
    entries: list[ListEntry] = []
    datasets: dict[str, None] = {}
    seen: set[str] = set()
    records = 0
    for line, row in rows:
        if not row or all(not v.strip() for v in row):
            continue
        if len(row) != len(cols):
            raise ListFormatError(f"expected {len(cols)} columns, found {len(row)}", line)
        records += 1
        rec = dict(zip(cols, row))
        uid = rec["id"].strip()
        if not uid:
            raise ListFormatError("empty id", line)
        if uid in seen:
            raise ListFormatError(f"duplicate id {uid}", line)
        seen.add(uid)
        name = rec["name"].strip()
        if not name:
            raise ListFormatError("empty name", line)
        dataset = rec["dataset"].strip()
        for d in _split(dataset):
            datasets[d] = None
        entries.append(
            ListEntry(
                uid=uid,
                source=f"OpenSanctions: {dataset}" if dataset else "OpenSanctions",
                name=name,
                aliases=tuple(a for a in _dedupe(_split(rec["aliases"])) if a != name),
                kind=_OS_KIND.get(rec["schema"].strip().lower(), "unknown"),
                programs=_split(rec.get("program_ids", "")),
                countries=_dedupe(_split(rec["countries"])),
                remarks=rec["sanctions"].strip(),
                addresses=_split(rec.get("addresses", "")),
            )
        )
    source = f"OpenSanctions: {next(iter(datasets))}" if len(datasets) == 1 else "OpenSanctions"
    return source, entries, records


# --------------------------------------------------------------------------- entry points


def parse_bytes(data: bytes, fmt: str, filename: str = "") -> ParsedList:
    """Parse a list file already in memory. Raises ListFormatError when malformed."""
    fmt = (fmt or "").strip().lower()
    if fmt not in FORMATS:
        raise ValueError(f"unknown list format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if not data or not data.strip(b" \t\r\n\x1a"):
        raise ListFormatError("file is empty")
    digest = hashlib.sha256(data).hexdigest()
    detected = detect_format(data)
    if detected and detected != fmt:
        raise ListFormatError(f"this looks like {FORMAT_LABELS[detected]}, not {FORMAT_LABELS[fmt]} "
                              f"(use --format {detected})", 1)
    if fmt == "sdn" and data[:2] == b"PK":
        sdn, alt, add = _unbundle(data)
        companions = _sdn_companions(_decode(alt, fallback_latin1=True), _decode(add, fallback_latin1=True))
        source, entries, count = _parse_sdn(_decode(sdn, fallback_latin1=True), *companions)
    elif fmt == "sdn":
        source, entries, count = _parse_sdn(_decode(data, fallback_latin1=True))
    elif fmt == "csl":
        text = _decode(data, fallback_latin1=False)
        if text.lstrip()[:1] in ("{", "["):
            source, entries, count = _parse_csl_json(text)
        else:
            source, entries, count = _parse_csl_csv(text)
    else:
        source, entries, count = _parse_opensanctions(_decode(data, fallback_latin1=False))
    if not entries:
        raise ListFormatError("no records found")
    return ParsedList(
        format=fmt,
        source=source,
        sha256=digest,
        entries=tuple(entries),
        record_count=count,
        filename=filename,
    )


FORMAT_LABELS = {"sdn": "an OFAC SDN file", "csl": "a CSL file", "opensanctions": "an OpenSanctions file"}


def detect_format(data: bytes) -> str | None:
    """The list format a file's first bytes show (an archive with sdn.csv, a CSL or OpenSanctions
    header, CSL JSON, or a headerless row starting with a numeric ent_num); None when unclear."""
    if data[:2] == b"PK":
        return "sdn"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "csl"
    first = head.split(b"\n", 1)[0].decode("latin-1").strip().lower()
    columns = {c.strip().strip('"') for c in first.split(",")}
    if {"source", "name", "alt_names"} <= columns:
        return "csl"
    if {"id", "schema", "dataset"} <= columns:
        return "opensanctions"
    if re.match(r'^"?\d+"?,"', first):
        return "sdn"
    return None


def parse_file(path, fmt: str) -> ParsedList:
    """Parse a list file from disk. Raises ListFormatError when malformed."""
    p = Path(path)
    return parse_bytes(p.read_bytes(), fmt, filename=p.name)
