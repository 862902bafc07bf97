"""Reading event logs in every layout and codec Spark and Databricks write, and refusing bad ones."""

from __future__ import annotations

import gzip
import struct
import zipfile
from pathlib import Path

import cramjam
import lz4.block
import pytest
import zstandard

from airflow_agora.prediction.eventlog import EventLogError, read_events
from airflow_agora.prediction.eventlog.sources import find_parts
from airflow_agora.prediction.eventlog.stores import LocalStore

FIXTURE = Path(__file__).parent / "fixtures" / "eventlogs" / "pyspark-4.3.0-local"
RAW = FIXTURE.read_bytes()
LINES = RAW.splitlines(keepends=True)


def events_of(location, **kw):
    stream = read_events(str(location), **kw)
    return [e["Event"] for e in stream], stream.report


def lz4_block_stream(data: bytes, block: int = 4096) -> bytes:
    """lz4-java's LZ4BlockOutputStream framing (magic, token, lengths, checksum, block), end block."""
    out = b""
    for i in range(0, len(data), block):
        chunk = data[i : i + block]
        packed = lz4.block.compress(chunk, store_size=False)
        out += struct.pack("<8sBiii", b"LZ4Block", 0x20 | 4, len(packed), len(chunk), 0) + packed
    return out + struct.pack("<8sBiii", b"LZ4Block", 0x10, 0, 0, 0)


def snappy_java_stream(data: bytes, block: int = 4096) -> bytes:
    """snappy-java's SnappyOutputStream framing: header, then big-endian length + raw block."""
    out = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
    for i in range(0, len(data), block):
        packed = bytes(cramjam.snappy.compress_raw(data[i : i + block]))
        out += struct.pack(">i", len(packed)) + packed
    return out


@pytest.mark.parametrize(
    "suffix, encode",
    [
        ("", lambda b: b),
        (".gz", gzip.compress),
        (
            ".zstd",
            lambda b: (
                zstandard.ZstdCompressor().compress(b[: len(b) // 2])
                + zstandard.ZstdCompressor().compress(b[len(b) // 2 :])
            ),
        ),
        (".lz4", lz4_block_stream),
        (".snappy", snappy_java_stream),
    ],
)
def test_every_codec_gives_the_same_events(tmp_path, suffix, encode):
    plain, _ = events_of(FIXTURE)
    path = tmp_path / f"app-1{suffix}"
    path.write_bytes(encode(RAW))
    got, report = events_of(path)
    assert got == plain
    assert report.malformed_lines == 0 and report.expanded_bytes == len(RAW)


def test_codec_is_recognised_by_content_not_name(tmp_path):
    path = tmp_path / "renamed.log"
    path.write_bytes(zstandard.ZstdCompressor().compress(RAW))
    assert events_of(path)[0] == events_of(FIXTURE)[0]


def test_rolling_v2_folder_is_read_in_part_order(tmp_path):
    folder = tmp_path / "eventlog_v2_local-1"
    folder.mkdir()
    half = len(LINES) // 2
    # written out of order on purpose, and with part 10 to catch a text sort
    (folder / "events_10_local-1.zstd").write_bytes(zstandard.ZstdCompressor().compress(b"".join(LINES[half + 2 :])))
    (folder / "events_2_local-1.zstd").write_bytes(
        zstandard.ZstdCompressor().compress(b"".join(LINES[half : half + 2]))
    )
    (folder / "events_1_local-1.zstd").write_bytes(zstandard.ZstdCompressor().compress(b"".join(LINES[:half])))
    (folder / "appstatus_local-1").write_bytes(b"")
    (folder / ".events_1_local-1.zstd.crc").write_bytes(b"junk")
    got, report = events_of(folder)
    assert got == events_of(FIXTURE)[0]
    assert [Path(p).name for p in report.parts] == [
        "events_1_local-1.zstd",
        "events_2_local-1.zstd",
        "events_10_local-1.zstd",
    ]


def test_databricks_hourly_parts_come_before_the_live_eventlog(tmp_path):
    folder = tmp_path / "eventlog"
    folder.mkdir()
    a, b = len(LINES) // 3, 2 * len(LINES) // 3
    (folder / "eventlog").write_bytes(b"".join(LINES[b:]))
    (folder / "eventlog-2022-01-14--18-00.gz").write_bytes(gzip.compress(b"".join(LINES[a:b])))
    (folder / "eventlog-2022-01-14--17-00.gz").write_bytes(gzip.compress(b"".join(LINES[:a])))
    got, report = events_of(folder)
    assert got == events_of(FIXTURE)[0]
    assert [Path(p).name for p in report.parts] == [
        "eventlog-2022-01-14--17-00.gz",
        "eventlog-2022-01-14--18-00.gz",
        "eventlog",
    ]


def test_zip_bundle_skips_macos_junk_and_finds_the_nested_log(tmp_path):
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__MACOSX/._databricks_example_1", b"\x00\x05junk")
        z.writestr("databricks_example_1/.DS_Store", b"junk")
        z.writestr("databricks_example_1/eventlog-2022-01-14--17-00.gz", gzip.compress(b"".join(LINES[:20])))
        z.writestr("databricks_example_1/eventlog", b"".join(LINES[20:]))
        z.writestr("databricks_example_1/databricks_pricing.json", b'{"plan_type": "Standard"}')
    got, report = events_of(path)
    assert got == events_of(FIXTURE)[0]
    assert report.parts[0].endswith("bundle.zip!databricks_example_1/eventlog-2022-01-14--17-00.gz")


def test_zip_member_escaping_its_folder_is_refused(tmp_path):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("../../etc/eventlog", RAW)
    with pytest.raises(EventLogError, match="escapes its folder"):
        events_of(path)


def test_expansion_beyond_the_limit_is_refused(tmp_path):
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("eventlog", RAW)
    with pytest.raises(EventLogError, match="more than the limit"):
        events_of(path, max_expanded_bytes=len(RAW) // 2)
    bomb = tmp_path / "bomb.zstd"
    bomb.write_bytes(zstandard.ZstdCompressor().compress(RAW))
    with pytest.raises(EventLogError, match="expands to more than"):
        events_of(bomb, max_expanded_bytes=len(RAW) // 2)


def test_malformed_lines_are_counted_and_skipped(tmp_path):
    path = tmp_path / "bad"
    broken = [*LINES[:5], b'{"Event":"SparkListenerJobStart",_oops\n', b"not json at all\n", *LINES[5:]]
    path.write_bytes(b"".join(broken))
    got, report = events_of(path)
    assert got == events_of(FIXTURE)[0]
    assert report.malformed_lines == 2
    assert "line 6" in report.malformed_examples[0]
    assert "2 malformed line(s)" in report.warnings()[0]


def test_a_compressed_stream_cut_short_keeps_what_came_before(tmp_path):
    # two frames, as Spark's stream writes several: the first survives whole, the second is cut
    data = zstandard.ZstdCompressor().compress(RAW[:100_000]) + zstandard.ZstdCompressor().compress(RAW[100_000:])
    path = tmp_path / "cut.zstd"
    path.write_bytes(data[: int(len(data) * 0.8)])
    got, report = events_of(path)
    assert 0 < len(got) < len(events_of(FIXTURE)[0])
    assert report.broken_parts and "lost" in report.broken_parts[0]


def test_text_log_cut_mid_line_loses_only_that_line(tmp_path):
    path = tmp_path / "cut"
    path.write_bytes(RAW[: len(RAW) - len(LINES[-1]) // 2])
    got, report = events_of(path)
    assert len(got) == len(LINES) - 1 and report.malformed_lines == 1


@pytest.mark.parametrize(
    "content, message",
    [(b"", "is empty"), (b"hello world\n", "unknown format"), (b"{}\n{}\n", "no readable Spark event")],
)
def test_empty_or_unknown_input_is_refused_clearly(tmp_path, content, message):
    path = tmp_path / "x"
    path.write_bytes(content)
    with pytest.raises(EventLogError, match=message) as exc:
        events_of(path)
    assert str(path) in str(exc.value)


def test_folder_with_several_applications_names_them(tmp_path):
    for name in ("app-1", "app-2"):
        (tmp_path / name).write_bytes(RAW)
    with pytest.raises(EventLogError, match=r"2 candidate logs .*app-1, app-2"):
        find_parts(str(tmp_path), LocalStore())


def test_missing_path_says_so(tmp_path):
    with pytest.raises(EventLogError, match="no such file"):
        events_of(tmp_path / "nope")
