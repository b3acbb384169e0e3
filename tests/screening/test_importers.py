"""List importers: the real files, the alternate layouts, malformed input."""

from __future__ import annotations

import hashlib
import json

import pytest

from riskdesk.engine.screening.importers import (
    ListEntry,
    ListFormatError,
    ParsedList,
    detect_format,
    parse_bytes,
    parse_file,
    sdn_bundle,
)

SDN_FILE = "ofac-sdn-2024-05-03.csv"
CSL_FILE = "csl-2019-12.csv"
OS_FILE = "opensanctions-simple-2025-05-23.csv"

# --------------------------------------------------------------------------- real files


def test_sdn_real_file(sdn, data_dir):
    assert isinstance(sdn, ParsedList)
    assert sdn.format == "sdn" and sdn.source == "OFAC SDN"
    assert sdn.record_count == 14965 and len(sdn.entries) == 14965
    assert sdn.sha256 == "210ca6b4a8187a34e0850be69ecc6e918f23ad7778b8b5b2f9c9d5fbbaf4e0cb"
    assert sdn.sha256 == hashlib.sha256((data_dir / SDN_FILE).read_bytes()).hexdigest()
    by_uid = {e.uid: e for e in sdn.entries}
    assert len(by_uid) == 14965
    first = sdn.entries[0]
    assert (first.uid, first.name, first.kind, first.programs) == ("SDN-36", "AEROCARIBBEAN AIRLINES", "entity", ("CUBA",))
    assert first.remarks == "" and first.aliases == ()
    assert by_uid["SDN-306"].aliases == ("BNC",)
    osama = by_uid["SDN-6365"]
    assert osama.kind == "person" and osama.name == "BIN LADIN, Usama bin Muhammad bin Awad"
    # multi-program column "A] [B"
    assert by_uid["SDN-17018"].programs == ("UKRAINE-EO13662", "RUSSIA-EO14024")
    # a.k.a. and f.k.a. aliases from the remarks; nationality as country
    vessel = next(e for e in sdn.entries if e.name == "EBANO")
    assert vessel.kind == "vessel" and vessel.aliases == ("ANA I", "SAND SWAN")
    assert "Saudi Arabia" in by_uid["SDN-20880"].countries
    kinds = {k: sum(e.kind == k for e in sdn.entries) for k in ("person", "entity", "vessel", "aircraft")}
    assert kinds == {"person": 6854, "entity": 6884, "vessel": 851, "aircraft": 376}
    assert sum(len(e.aliases) for e in sdn.entries) > 3500
    assert all(e.name == e.name.strip() and e.name for e in sdn.entries)


def test_sdn_multi_alias_and_truncated_remarks(sdn):
    thabit = next(e for e in sdn.entries if "a.k.a. 'THABIT, Shaykh Abu'" in e.remarks)
    assert thabit.aliases[:2] == ("THABIT, Shaykh Abu", "THABET, Shaykh")
    # the legacy file cuts remarks at 1,000 characters; the cut alias is kept
    cut = next(e for e in sdn.entries if e.remarks.endswith("'WHOIS HACKIN"))
    assert "HIDDEN COBRA" in cut.aliases and "WHOIS HACKIN" in cut.aliases


def test_csl_real_file(csl):
    assert csl.format == "csl" and csl.record_count == 115 and len(csl.entries) == 115
    assert csl.sha256 == "aa18b1d784f61dc86519a4481fa7326a9343c01d6bf39e2ac1cec92267247c0f"
    assert len({e.uid for e in csl.entries}) == 115
    first = csl.entries[0]
    assert first.name == "ADRIAN MANUEL HERNANDEZ"  # leading space in the file
    assert first.source == "CSL: Denied Persons List (DPL) - Bureau of Industry and Security"
    assert first.addresses == ("3037 S. 69TH DRIVE, PHONEIX, AZ, 85043",)
    assert first.uid.startswith("CSL-") and first.kind == "unknown"
    with_alt = next(e for e in csl.entries if "HAVANTUR CANADA INC." in e.aliases)
    assert with_alt.aliases == ("CARIBE SOL", "HAVANTUR CANADA INC.")
    assert any(e.programs == ("IFSR", "NPWMD") for e in csl.entries)
    assert {e.kind for e in csl.entries} == {"unknown", "entity", "person", "vessel"}
    assert all(e.source.startswith("CSL: ") for e in csl.entries)


def test_opensanctions_real_file(opensanctions, data_dir):
    raw = (data_dir / OS_FILE).read_bytes()
    assert raw.count(b"\n") > 6562  # embedded newlines: more lines than records
    assert opensanctions.record_count == 6561 and len(opensanctions.entries) == 6561
    assert opensanctions.source == "OpenSanctions: INTERPOL Red Notices"
    assert opensanctions.sha256 == "775a1460bed17a1c3e45b693dccc863c286f69d4619d30946315dea22b4d80b4"
    by_name = {e.name: e for e in opensanctions.entries}
    jian = by_name["JIAN XIA"]
    # the published value itself is wrapped in (doubled) quotes and spans three lines
    assert jian.remarks == '"Red Notice - 1) Murder\n2) Manslaughter\n3) Aggravated theft"'
    assert jian.kind == "person" and jian.countries == ("cn",)
    assert by_name["SANAVBARI NIKITENKO"].countries == ("ru", "tj")
    assert sum(1 for e in opensanctions.entries if e.aliases) == 2
    assert any(e.aliases == ("KHUSEYN AKTAMIROV",) or "KHUSEYN AKTAMIROV" in e.aliases for e in opensanctions.entries)
    assert by_name["SANAVBARI NIKITENKO"].remarks.startswith('"Red Notice')  # doubled quotes unescaped


def test_content_hash_tracks_listing_changes():
    e = ListEntry(uid="SDN-1", source="OFAC SDN", name="ACME", aliases=("A",), kind="entity")
    same = ListEntry(uid="SDN-1", source="OFAC SDN", name="ACME", aliases=("A",), kind="entity")
    assert e.content_hash() == same.content_hash() and len(e.content_hash()) == 64
    assert e.content_hash() != ListEntry(uid="SDN-1", source="OFAC SDN", name="ACME", aliases=("A", "B"), kind="entity").content_hash()
    assert e.content_hash() != ListEntry(uid="SDN-1", source="OFAC SDN", name="ACME", aliases=("A",), kind="entity", programs=("X",)).content_hash()
    assert e.to_dict()["content_hash"] == e.content_hash()


# --------------------------------------------------------------------------- alternate layouts

CSL_2024_HEADER = (
    "_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,"
    "standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,"
    "gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,"
    "dates_of_birth,nationalities,places_of_birth,source_information_url,ids"
)


def _quoted(fields):
    return ",".join('"' + f.replace('"', '""') + '"' for f in fields)


def _csl_2024_row(**values):
    cols = CSL_2024_HEADER.split(",")
    return _quoted([values.get(c, "") for c in cols])


def test_csl_current_layout_with_id_and_repeated_header(tmp_path):
    cols = CSL_2024_HEADER.split(",")
    assert len(cols) == 29
    text = "\r\n".join(
        [
            _quoted(cols),
            _quoted(cols),  # the header repeated as the first data row
            _csl_2024_row(
                _id="e7f0a1", source="Entity List (EL) - Bureau of Industry and Security", type="Entity",
                programs="EAR; NS", name="Huawei Technologies Co., Ltd.",
                addresses="Bantian, Longgang District, Shenzhen, CN; 1 Some Road, Hong Kong, HK",
                alt_names="Huawei; Huawei Tech", citizenships="", remarks='Says "hello"',
            ),
            _csl_2024_row(
                _id="b2", source="Specially Designated Nationals (SDN) - Treasury Department", entity_number="6365",
                type="Individual", programs="SDGT", name="BIN LADIN, Usama", citizenships="SA", nationalities="SA",
            ),
        ]
    )
    path = tmp_path / "csl-2024.csv"
    path.write_text(text + "\r\n", encoding="utf-8-sig")
    parsed = parse_file(path, "csl")
    assert parsed.record_count == 2 and len(parsed.entries) == 2
    huawei, osama = parsed.entries
    assert huawei.uid == "CSL-e7f0a1" and huawei.kind == "entity"
    assert huawei.aliases == ("Huawei", "Huawei Tech") and huawei.programs == ("EAR", "NS")
    assert huawei.addresses == ("Bantian, Longgang District, Shenzhen, CN", "1 Some Road, Hong Kong, HK")
    assert huawei.remarks == 'Says "hello"'
    assert osama.uid == "CSL-6365" and osama.kind == "person" and osama.countries == ("SA",)


def test_csl_json(tmp_path):
    doc = {
        "total": 1,
        "results": [
            {
                "id": "abc", "source": "Entity List (EL) - Bureau of Industry and Security", "name": "ACME Ltd",
                "alt_names": ["ACME", "A.C.M.E."], "programs": ["EAR"], "type": "Entity",
                "addresses": [{"address": "1 Road", "city": "Minsk", "country": "BY", "postal_code": None}],
            }
        ],
    }
    parsed = parse_bytes(json.dumps(doc).encode(), "csl", "csl.json")
    (e,) = parsed.entries
    assert (e.uid, e.name, e.aliases, e.programs, e.countries) == ("CSL-abc", "ACME Ltd", ("ACME", "A.C.M.E."), ("EAR",), ("BY",))
    assert e.addresses == ("1 Road, Minsk, BY",)
    with pytest.raises(ListFormatError) as err:
        parse_bytes(b'{"results": [{"source": "X"}]}', "csl")
    assert err.value.line == 1 and "name" in err.value.reason
    with pytest.raises(ListFormatError, match="invalid JSON"):
        parse_bytes(b'{"results": [', "csl")


OS16_HEADER = [
    "id", "schema", "name", "aliases", "birth_date", "countries", "addresses", "identifiers", "sanctions",
    "phones", "emails", "program_ids", "dataset", "first_seen", "last_seen", "last_change",
]


def test_opensanctions_16_columns(tmp_path):
    rows = [
        OS16_HEADER,
        ["NK-1", "Company", "Rosoboronexport", "Rosoboronexport JSC;ROE", "", "ru", "Moscow", "", "US sanctions\nsecond line",
         "", "", "US-OFAC-SDN;EU-FSF", "US OFAC SDN;EU FSF", "2024-01-01", "2025-01-01", "2025-01-01"],
        ["NK-2", "Vessel", "ANA I", "", "", "", "", "", "", "", "", "", "US OFAC SDN", "", "", ""],
    ]
    path = tmp_path / "targets.simple.csv"
    path.write_text("\n".join(_quoted(r) for r in rows) + "\n", encoding="utf-8")
    parsed = parse_file(path, "opensanctions")
    assert parsed.record_count == 2 and parsed.source == "OpenSanctions"
    roe, ana = parsed.entries
    assert roe.kind == "entity" and roe.aliases == ("Rosoboronexport JSC", "ROE")
    assert roe.programs == ("US-OFAC-SDN", "EU-FSF") and roe.countries == ("ru",)
    assert roe.source == "OpenSanctions: US OFAC SDN;EU FSF" and roe.remarks == "US sanctions\nsecond line"
    assert ana.kind == "vessel" and ana.uid == "NK-2"


# --------------------------------------------------------------------------- malformed files


def _err(data: bytes, fmt: str) -> ListFormatError:
    with pytest.raises(ListFormatError) as info:
        parse_bytes(data, fmt)
    return info.value


def test_sdn_wrong_column_count_names_line(data_dir, tmp_path):
    lines = (data_dir / SDN_FILE).read_bytes().split(b"\r\n")[:5]
    lines[3] = b'424,"BOUTIQUE LA MAISON",-0- ,"CUBA"'
    bad = tmp_path / "sdn.csv"
    bad.write_bytes(b"\r\n".join(lines) + b"\r\n\x1a")
    with pytest.raises(ListFormatError) as info:
        parse_file(bad, "sdn")
    assert info.value.line == 4
    assert info.value.reason == "expected 12 columns, found 4"
    assert str(info.value) == "line 4: expected 12 columns, found 4"
    assert isinstance(info.value, ValueError)


def test_sdn_empty_name_and_bad_ent_num(data_dir):
    good = (data_dir / SDN_FILE).read_bytes().split(b"\r\n")[:3]
    e = _err(b"\r\n".join([good[0], b'99,"",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ']), "sdn")
    assert (e.line, e.reason) == (2, "empty name")
    e = _err(b"ent_num,name,a,b,c,d,e,f,g,h,i,j\r\n" + good[0], "sdn")
    assert e.line == 1 and "not a number" in e.reason
    e = _err(good[0] + b"\r\n" + good[0], "sdn")
    assert e.line == 2 and "duplicate" in e.reason


def test_sdn_small_copy_parses_with_eof_marker(data_dir):
    lines = (data_dir / SDN_FILE).read_bytes().split(b"\r\n")[:10]
    parsed = parse_bytes(b"\r\n".join(lines) + b"\r\n\x1a", "sdn")
    assert parsed.record_count == 10


def test_csl_missing_required_column(data_dir, tmp_path):
    text = (data_dir / CSL_FILE).read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    bad = tmp_path / "csl.csv"
    bad.write_text(header.replace("alt_names", "other_names") + "\n" + rest, encoding="utf-8")
    with pytest.raises(ListFormatError) as info:
        parse_file(bad, "csl")
    assert info.value.line == 1 and "alt_names" in info.value.reason
    # an SDN file given as CSL is rejected, not half-read, and the message says what it looks like
    e = _err((data_dir / SDN_FILE).read_bytes()[:2000], "csl")
    assert e.line == 1 and e.reason == "this looks like an OFAC SDN file, not a CSL file (use --format sdn)"


def test_csl_wrong_column_count_and_empty_name(data_dir):
    lines = (data_dir / CSL_FILE).read_bytes().split(b"\n")
    e = _err(b"\n".join(lines[:4] + [b"just,three,fields"]), "csl")
    assert (e.line, e.reason) == (5, "expected 28 columns, found 3")
    e = _err(b"\n".join([lines[0], b"Denied Persons List," + b"," * 26]), "csl")
    assert (e.line, e.reason) == (2, "empty name")


def test_undecodable_bytes(data_dir):
    lines = (data_dir / CSL_FILE).read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b"INKSNA", b"INK\xffSNA")
    e = _err(b"\n".join(lines[:6]), "csl")
    assert e.line == 4 and "undecodable" in e.reason
    os_lines = (data_dir / OS_FILE).read_bytes().split(b"\n")[:4]
    os_lines[2] = os_lines[2].replace(b"GALIMOV", b"GAL\xc3IMOV")
    e = _err(b"\n".join(os_lines), "opensanctions")
    assert e.line == 3 and "undecodable" in e.reason
    e = _err(b"36,\"A\x00B\"", "sdn")
    assert "NUL" in e.reason


def test_opensanctions_malformed(data_dir):
    raw = (data_dir / OS_FILE).read_bytes()
    head = raw.split(b"\n")
    # record 5 spans physical lines 5-7; a short record after it is on line 8
    e = _err(b"\n".join(head[:8] + [b'"NK-x","Person","Only three"']), "opensanctions")
    assert (e.line, e.reason) == (9, "expected 15 columns, found 3")
    e = _err(b'"id","schema","name"\n"a","Person","X"\n', "opensanctions")
    assert e.line == 1 and "aliases" in e.reason
    e = _err(head[0] + b'\n"NK-1","Person","","","","","","","","","","INTERPOL Red Notices","","",""\n', "opensanctions")
    assert (e.line, e.reason) == (2, "empty name")
    e = _err(head[0] + b'\n"NK-1","Person","unterminated\n', "opensanctions")
    assert e.line == 2


def test_whole_file_problems():
    assert _err(b"", "sdn").line is None
    assert str(_err(b"  \r\n\x1a", "sdn")) == "file is empty"
    assert _err(b"source,name,type,programs,alt_names,addresses\n", "csl").reason == "no records found"
    with pytest.raises(ValueError, match="unknown list format"):
        parse_bytes(b"x", "xml")


ALT = (b'306,10,"aka","NATIONAL BANK OF CUBA",-0- \r\n'
       b'306,11,"fka","BANCO NACIONAL",-0- \r\n'
       b'173,12,"aka","ANGLO CARIBBEAN SHIPPING",-0- \r\n\x1a')
ADD = (b'306,20,"Calle 1, Esq. 3","Havana","Cuba",-0- \r\n'
       b'306,21,-0- ,-0- ,"Spain",-0- \r\n')


def test_sdn_with_alt_and_add_companions(data_dir):
    sdn = (data_dir / SDN_FILE).read_bytes()
    bundle = sdn_bundle(sdn, ALT, ADD)
    assert bundle == sdn_bundle(sdn, ALT, ADD)  # same files, same bytes, same sha256
    parsed = parse_bytes(bundle, "sdn")
    assert parsed.record_count == 14965
    by_uid = {e.uid: e for e in parsed.entries}
    # alt.csv aliases first, then the remarks' a.k.a.s, without repeats
    assert by_uid["SDN-306"].aliases == ("NATIONAL BANK OF CUBA", "BANCO NACIONAL", "BNC")
    assert by_uid["SDN-306"].addresses == ("Calle 1, Esq. 3, Havana, Cuba", "Spain")
    assert by_uid["SDN-173"].aliases == ("ANGLO CARIBBEAN SHIPPING",)
    assert parse_bytes(sdn_bundle(sdn), "sdn").entries == parse_bytes(sdn, "sdn").entries


def test_sdn_companion_errors_name_the_file_and_line(data_dir):
    sdn = b"\r\n".join((data_dir / SDN_FILE).read_bytes().split(b"\r\n")[:10])
    e = _err(sdn_bundle(sdn, b'306,10,"aka"\r\n'), "sdn")
    assert (e.line, e.reason) == (1, "alt.csv: expected 5 columns, found 3")
    e = _err(sdn_bundle(sdn, None, b'36,1,"a","b","c",-0- \r\nx,2,"a","b","c",-0- \r\n'), "sdn")
    assert (e.line, e.reason) == (2, "add.csv: ent_num 'x' is not a number")
    assert "damaged archive" in _err(b"PK\x03\x04broken", "sdn").reason


def test_format_is_told_from_the_header(data_dir):
    assert detect_format((data_dir / SDN_FILE).read_bytes()) == "sdn"
    assert detect_format((data_dir / CSL_FILE).read_bytes()) == "csl"
    assert detect_format((data_dir / OS_FILE).read_bytes()) == "opensanctions"
    assert detect_format(sdn_bundle(b"36,x")) == "sdn"
    assert detect_format(b'{"results": []}') == "csl"
    assert detect_format(b"name,kind\nX,person\n") is None
    e = _err((data_dir / CSL_FILE).read_bytes(), "sdn")
    assert e.reason == "this looks like a CSL file, not an OFAC SDN file (use --format csl)"
