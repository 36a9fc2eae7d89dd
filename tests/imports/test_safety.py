"""Hostile and broken input: every failure is an ImportFileError naming the file."""

import os
import time
import zipfile
from pathlib import Path

import pytest

from tests.imports import builders
from trellis.imports.safety import (
    MB,
    FolderSource,
    ImportFileError,
    ZipSource,
    count_xml_rows,
    decode_json,
    iter_xml_rows,
    open_export,
)


def rows(path: Path) -> list[dict[str, str]]:
    return [attrs for _line, attrs in iter_xml_rows(path, path.name)]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_error_message_names_file_and_line() -> None:
    e = ImportFileError("Posts.xml", "the file ends early", 12)
    assert str(e) == "Posts.xml, line 12: the file ends early"
    assert (e.path, e.line, e.reason) == ("Posts.xml", 12, "the file ends early")
    assert str(ImportFileError("users.json", "no id")) == "users.json: no id"


# XML -----------------------------------------------------------------------------------------


def test_rows_stream_with_lines_and_unescaped_values(tmp_path: Path) -> None:
    path = write(tmp_path, "Posts.xml", builders.xml_rows(builders.SE_POSTS, "posts"))
    found = list(iter_xml_rows(path, "Posts.xml"))
    assert [line for line, _ in found] == [3, 4, 5, 6, 7, 8]
    assert found[0][1]["Body"] == '<p>Grüße? <code>a < b && "c"</code></p>\n'
    assert count_xml_rows(path, "Posts.xml") == 6


def test_billion_laughs_is_refused_without_expanding(tmp_path: Path) -> None:
    path = write(tmp_path, "Posts.xml", builders.BILLION_LAUGHS)
    started = time.perf_counter()
    with pytest.raises(ImportFileError) as e:
        rows(path)
    assert time.perf_counter() - started < 1
    assert e.value.path == "Posts.xml"
    assert "entities" in e.value.reason and "DOCTYPE" in e.value.reason
    assert e.value.line == 2


def test_external_entity_is_refused_even_after_bom_and_comment(tmp_path: Path) -> None:
    path = write(tmp_path, "Users.xml", builders.XXE)
    with pytest.raises(ImportFileError, match=r"Users.xml, line 3: .*entities") as e:
        rows(path)
    assert "root:" not in str(e.value)  # nothing of /etc/passwd ever surfaces


def test_entity_in_utf16_doctype_is_refused(tmp_path: Path) -> None:
    text = builders.BILLION_LAUGHS.decode().replace(
        'version="1.0"', 'version="1.0" encoding="utf-16"'
    )
    path = write(tmp_path, "Posts.xml", text.encode("utf-16"))
    with pytest.raises(ImportFileError, match=r"entities"):
        rows(path)


ENTITY_FILES = [
    ("utf-16-le", "UTF-16LE"),
    ("utf-16-be", "UTF-16BE"),
    ("utf-16-le", "UTF-16"),
    ("utf-16-le", None),  # the parser tells UTF-16 from the first bytes (XML 1.0 Appendix F)
    ("utf-16-be", None),
    ("utf-32-le", "UTF-32LE"),
    ("utf-32-be", "UTF-32BE"),
    ("utf-32-le", "ISO-10646-UCS-4"),
    ("utf-32-be", "UCS-4"),
    ("utf-32-le", None),
    ("utf-32-be", None),
    ("utf-7", "UTF-7"),  # bytes that look like ASCII and hide "<!DOCTYPE"
]


@pytest.mark.parametrize(("codec", "encoding"), ENTITY_FILES)
def test_an_entity_in_any_encoding_without_bom_is_refused(
    tmp_path: Path, codec: str, encoding: str | None
) -> None:
    data = builders.entity_posts(codec, encoding)
    assert b"<!DOCTYPE" not in data and b"<!ENTITY" not in data
    path = write(tmp_path, "Posts.xml", data)
    found: list[dict[str, str]] = []
    with pytest.raises(ImportFileError) as e:
        for _line, attrs in iter_xml_rows(path, "Posts.xml"):
            found.append(attrs)
    assert found == []  # no row is ever handed over, expanded or not
    assert e.value.path == "Posts.xml"
    assert "DOCTYPE" in e.value.reason or "encoding" in e.value.reason
    assert builders.INJECTED not in str(e.value)


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?>\n<!DOCTYPE posts>\n<posts><row Id="1" /></posts>\n',
        b'<!DOCTYPE posts SYSTEM "http://example.org/posts.dtd">\n<posts><row Id="1" /></posts>',
        b'<!DOCTYPE posts [ <!ATTLIST row Body CDATA "injected"> ]><posts><row Id="1" /></posts>',
    ],
)
def test_any_doctype_is_refused(tmp_path: Path, data: bytes) -> None:
    """Dumps never have one; a DOCTYPE is how entities, default attributes and external DTDs
    get in, so none is read."""
    with pytest.raises(ImportFileError, match=r"Posts.xml, line \d+: .*DOCTYPE"):
        rows(write(tmp_path, "Posts.xml", data))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_a_dump_in_utf16_or_utf32_without_bom_is_read(tmp_path: Path, codec: str) -> None:
    text = builders.xml_rows(builders.SE_TAGS, "tags").decode("utf-8").removeprefix("\ufeff")
    data = text.replace('encoding="utf-8"', f'encoding="{codec.upper()}"').encode(codec)
    assert [r["TagName"] for r in rows(write(tmp_path, "Tags.xml", data))] == ["python", "c++"]


def test_an_encoding_dumps_never_use_is_refused(tmp_path: Path) -> None:
    data = b'<?xml version="1.0" encoding="IBM037"?>\n<posts></posts>\n'
    with pytest.raises(ImportFileError, match=r"Posts.xml: .*IBM037"):
        rows(write(tmp_path, "Posts.xml", data))


def test_undeclared_entity_is_an_error(tmp_path: Path) -> None:
    data = b'<?xml version="1.0"?>\n<posts>\n<row Id="1" Body="&secret;" />\n</posts>\n'
    with pytest.raises(ImportFileError, match=r"Posts.xml"):
        rows(write(tmp_path, "Posts.xml", data))


def test_truncated_xml(tmp_path: Path) -> None:
    path = write(tmp_path, "Posts.xml", builders.truncated_posts())
    with pytest.raises(ImportFileError) as e:
        rows(path)
    assert str(e.value) == (
        "Posts.xml, line 5: the file ends before the XML is complete (truncated?)"
    )


def test_truncated_between_rows(tmp_path: Path) -> None:
    data = builders.xml_rows(builders.SE_VOTES, "votes").replace(b"</votes>\n", b"")
    with pytest.raises(ImportFileError, match=r"Votes.xml, line \d+: .*truncated"):
        rows(write(tmp_path, "Votes.xml", data))


def test_latin1_bytes_in_utf8_file(tmp_path: Path) -> None:
    path = write(tmp_path, "Posts.xml", builders.latin1_posts())
    with pytest.raises(ImportFileError) as e:
        rows(path)
    assert e.value.line == 3
    assert "not valid in its declared encoding" in str(e.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'<posts>\n<row Id="1" Body="a<b" />\n</posts>\n', "malformed"),
        (b"<posts><row></posts>\n", "malformed"),
        (b"", "empty"),
        (b"hello\n", "not XML"),
    ],
)
def test_malformed_xml(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(ImportFileError, match=reason) as e:
        rows(write(tmp_path, "Comments.xml", data))
    assert e.value.path == "Comments.xml"


def test_missing_xml_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"Tags.xml: the file is missing"):
        rows(tmp_path / "Tags.xml")


def test_count_rows_across_chunk_boundaries(tmp_path: Path) -> None:
    row = b'  <row Id="1" Body="&lt;row x" />\n'
    data = b"<posts>\n" + row * 700_000 + b"</posts>\n"  # > 16 MB: several chunks
    path = write(tmp_path, "Posts.xml", data)
    assert count_xml_rows(path, "Posts.xml") == 700_000


# JSON ----------------------------------------------------------------------------------------


def test_json_tolerates_bom() -> None:
    assert decode_json(b'\xef\xbb\xbf[{"a": "\xc3\xa9"}]', "users.json") == [{"a": "é"}]


def test_json_invalid_utf8_names_file() -> None:
    with pytest.raises(ImportFileError) as e:
        decode_json(b'[\n{"text": "Gr\xfc\xdfe"}]', "general/2024-01-02.json")
    assert str(e.value) == "general/2024-01-02.json, line 2: the file is not valid UTF-8 text"


def test_json_syntax_error_names_file_and_line() -> None:
    with pytest.raises(ImportFileError, match=r"^users.json, line 3: the JSON is malformed"):
        decode_json(b'[\n{"id": "U1"},\n{"id": }\n]', "users.json")


def test_json_too_deep() -> None:
    with pytest.raises(ImportFileError, match=r"users.json"):
        decode_json(b"[" * 100_000 + b"]" * 100_000, "users.json")


def test_json_size_limit(tmp_path: Path) -> None:
    (tmp_path / "users.json").write_bytes(b"[" + b" " * 2000 + b"]")
    source = FolderSource(tmp_path, max_file_bytes=1000)
    with pytest.raises(ImportFileError, match=r"users.json: the file is larger"):
        source.read_json("users.json")
    assert FolderSource(tmp_path).read_json("users.json") == []


# Folders -------------------------------------------------------------------------------------


def test_folder_refuses_climbing_and_absolute_names(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    (tmp_path / "secret.json").write_text("[]")
    source = FolderSource(tmp_path / "export")
    with pytest.raises(ImportFileError, match=r"\.\."):
        source.open_bytes("../secret.json")
    with pytest.raises(ImportFileError, match=r"absolute"):
        source.open_bytes(str(tmp_path / "secret.json"))


def test_folder_refuses_symlink_outside(tmp_path: Path) -> None:
    export = tmp_path / "export"
    (export / "general").mkdir(parents=True)
    (tmp_path / "secret.json").write_text('["secret"]')
    os.symlink(tmp_path / "secret.json", export / "users.json")
    os.symlink(tmp_path, export / "general" / "up")
    (export / "inside.json").write_text("[1]")
    os.symlink(export / "inside.json", export / "alias.json")
    source = FolderSource(export)
    with pytest.raises(ImportFileError, match=r"users.json: the path leads outside"):
        source.read_json("users.json")
    with pytest.raises(ImportFileError, match=r"outside"):
        source.read_json("general/up/secret.json")
    assert source.read_json("alias.json") == [1]  # a link that stays inside is fine
    assert "general/up/secret.json" not in source.names()


# Zip archives --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        ("../evil.json", r"\.\."),
        ("general/../../evil.json", r"\.\."),
        ("..\\evil.json", r"\.\."),
        ("/etc/evil.json", "absolute"),
        ("C:/evil.json", "absolute"),
    ],
)
def test_zip_refuses_escaping_names(tmp_path: Path, member: str, reason: str) -> None:
    path = builders.zip_with(tmp_path / "x.zip", {"channels.json": b"[]", member: b"[]"})
    with pytest.raises(ImportFileError, match=reason) as e:
        ZipSource(path)
    assert e.value.path == member


def test_zip_refuses_symlink_member(tmp_path: Path) -> None:
    path = builders.zip_with(
        tmp_path / "x.zip",
        {"channels.json": b"[]", "users.json": b"/etc/passwd"},
        symlinks=("users.json",),
    )
    with pytest.raises(ImportFileError, match=r"users.json: the member is a symbolic link"):
        ZipSource(path)


def test_zip_bomb_is_refused_by_ratio(tmp_path: Path) -> None:
    path = builders.zip_bomb(tmp_path / "bomb.zip")
    assert path.stat().st_size < MB
    with pytest.raises(ImportFileError, match=r"general/2024-01-01.json: .*100:1 \(a zip bomb\?\)"):
        ZipSource(path)


def test_zip_total_size_limit(tmp_path: Path) -> None:
    members = {f"general/2024-01-{d:02}.json": os.urandom(300_000) for d in range(1, 5)}
    path = builders.zip_with(tmp_path / "big.zip", members)
    with pytest.raises(ImportFileError, match=r"big.zip: the archive expands to .* limit"):
        ZipSource(path, max_total_bytes=MB)
    assert len(ZipSource(path).names()) == 4


def test_zip_member_count_limit(tmp_path: Path) -> None:
    path = builders.zip_with(tmp_path / "many.zip", {f"f{i}.json": b"[]" for i in range(20)})
    with pytest.raises(ImportFileError, match=r"20 members, over the 10 limit"):
        ZipSource(path, max_members=10)


def test_zip_member_lying_about_its_size(tmp_path: Path) -> None:
    path = builders.zip_lying_about_size(tmp_path / "liar.zip")
    source = ZipSource(path)
    with pytest.raises(ImportFileError) as e:
        source.read_json("channels.json")
    assert e.value.path == "channels.json"


def test_zip_member_over_file_limit(tmp_path: Path) -> None:
    path = builders.zip_with(tmp_path / "x.zip", {"users.json": b"[" + b" " * 5000 + b"]"})
    with pytest.raises(ImportFileError, match=r"users.json: the file is larger"):
        ZipSource(path, max_file_bytes=1000).read_json("users.json")


def test_not_a_zip(tmp_path: Path) -> None:
    path = write(tmp_path, "export.zip", b"this is not a zip file at all")
    with pytest.raises(ImportFileError, match=r"export.zip: the file is not a zip archive"):
        open_export(path)


def test_zip_reads_members_in_place(tmp_path: Path) -> None:
    folder = builders.write_slack_export(tmp_path / "export")
    path = builders.zip_folder(folder, tmp_path / "export.zip")
    source = open_export(path)
    assert isinstance(source, ZipSource)
    assert "general/2024-01-02.json" in source.names()
    assert source.read_json("channels.json")[0]["name"] == "general"
    with pytest.raises(ImportFileError, match=r"missing"):
        source.open_bytes("nope.json")
    source.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export", "export.zip"]


def test_zip_corrupt_member(tmp_path: Path) -> None:
    path = builders.zip_with(tmp_path / "x.zip", {"users.json": b"[" + b"1," * 1000 + b"1]"})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("users.json")
    start = info.header_offset + 30 + len(b"users.json") + 5
    data[start : start + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError, match=r"users.json: the member is corrupt"):
        ZipSource(path).read_json("users.json")
