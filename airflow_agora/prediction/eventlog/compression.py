"""Undo the compression Spark (and Databricks) put on event logs, as streams.

Spark names a compressed log after its codec (``.lz4``, ``.snappy``, ``.zstd``; Databricks uses
``.gz``) and each codec writes its own container:

* zstd: standard zstd frames (``ZstdOutputStream``), possibly several in a row;
* lz4: lz4-java's ``LZ4BlockOutputStream`` blocks: the magic ``LZ4Block``, a token byte, the
  compressed and the original length and a checksum (little endian), then the block; a block of
  length 0 ends a stream, and another stream may follow;
* snappy: snappy-java's ``SnappyOutputStream``: the magic ``\\x82SNAPPY\\x00`` with two version
  words, then chunks of a big-endian length and a raw snappy block;
* gzip: ordinary (possibly multi-member) gzip.

The codec is recognised by the first bytes, not only the name, so a renamed file still reads.
Every stream counts the bytes it expands to and refuses to go past ``max_bytes`` (a zip bomb or a
runaway log must not fill the memory or the disk of an Airflow worker).
"""

from __future__ import annotations

import gzip
import io
import struct
from typing import BinaryIO

from airflow_agora.prediction.eventlog.errors import EventLogError, ExpansionLimitError

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
LZ4_MAGIC = b"LZ4Block"
SNAPPY_MAGIC = b"\x82SNAPPY\x00"
ZIP_MAGIC = b"PK\x03\x04"

_LZ4_HEADER = struct.Struct("<8sBiii")  # magic, token, compressed length, original length, checksum
_LZ4_RAW, _LZ4_COMPRESSED = 0x10, 0x20
_SNAPPY_HEADER_BYTES = 16  # magic + version + compatible version


def sniff_codec(head: bytes, name: str) -> str:
    """``plain``, ``gzip``, ``zstd``, ``lz4``, ``snappy`` or ``zip`` from the first bytes (or name)."""
    for magic, codec in (
        (ZSTD_MAGIC, "zstd"),
        (GZIP_MAGIC, "gzip"),
        (LZ4_MAGIC, "lz4"),
        (SNAPPY_MAGIC, "snappy"),
        (ZIP_MAGIC, "zip"),
    ):
        if head.startswith(magic):
            return codec
    stripped = head.lstrip()
    if stripped.startswith(b"{") or (not stripped and not head):
        return "plain"
    lower = name.lower()
    if lower.endswith(".lzf"):
        raise EventLogError(
            "the lzf codec is not supported",
            where=name,
            fix="write event logs with spark.eventLog.compression.codec=zstd (Spark's default) or lz4",
        )
    raise EventLogError(
        f"not a Spark event log: unknown format (first bytes {head[:8]!r})",
        where=name,
        fix="point at a Spark event log: JSON lines, optionally .gz, .zstd, .lz4, .snappy or a .zip of them",
    )


def open_decompressed(raw: BinaryIO, codec: str, name: str, max_bytes: int) -> BinaryIO:
    """A readable binary stream of ``raw`` with ``codec`` undone, limited to ``max_bytes``."""
    if codec == "plain":
        stream: BinaryIO = raw
    elif codec == "gzip":
        stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    elif codec == "zstd":
        stream = _ChunkStream(_zstd_chunks(raw, name))  # type: ignore[assignment]
    elif codec == "lz4":
        stream = _ChunkStream(_lz4_blocks(raw, name))  # type: ignore[assignment]
    elif codec == "snappy":
        stream = _ChunkStream(_snappy_chunks(raw, name))  # type: ignore[assignment]
    else:
        raise EventLogError(f"cannot decompress codec {codec!r}", where=name)
    return _Limited(stream, name, max_bytes)  # type: ignore[return-value]


def _read_exact(raw: BinaryIO, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = raw.read(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def _zstd_chunks(raw: BinaryIO, name: str):
    """Frame after frame; a frame cut off before its end is reported, not silently dropped."""
    import zstandard

    dctx = zstandard.ZstdDecompressor()
    frame = dctx.decompressobj()
    mid_frame = False
    while data := raw.read(1 << 16):
        while data:
            try:
                out = frame.decompress(data)
            except zstandard.ZstdError as exc:
                raise EventLogError(f"corrupt zstd data ({exc})", where=name) from exc
            mid_frame = True
            if out:
                yield out
            if not frame.eof:
                break
            data = frame.unused_data
            frame = dctx.decompressobj()
            mid_frame = False
    if mid_frame:
        raise _Truncated(name)


def _lz4_blocks(raw: BinaryIO, name: str):
    import lz4.block

    while True:
        header = _read_exact(raw, _LZ4_HEADER.size)
        if not header:
            return
        if len(header) < _LZ4_HEADER.size:
            raise _Truncated(name)
        magic, token, compressed_len, original_len, _checksum = _LZ4_HEADER.unpack(header)
        if magic != LZ4_MAGIC or compressed_len < 0 or original_len < 0:
            raise EventLogError("corrupt lz4 block header", where=name, fix="re-copy the log; it is damaged")
        if original_len == 0:
            continue  # end of one stream; another may follow
        data = _read_exact(raw, compressed_len)
        if len(data) < compressed_len:
            raise _Truncated(name)
        method = token & 0xF0
        if method == _LZ4_RAW:
            yield data
        elif method == _LZ4_COMPRESSED:
            yield lz4.block.decompress(data, uncompressed_size=original_len)
        else:
            raise EventLogError(f"unknown lz4 block method {method:#x}", where=name)


def _snappy_chunks(raw: BinaryIO, name: str):
    import cramjam

    pending = _read_exact(raw, _SNAPPY_HEADER_BYTES)
    if not pending.startswith(SNAPPY_MAGIC):
        raise EventLogError("corrupt snappy stream header", where=name, fix="re-copy the log; it is damaged")
    while True:
        head = _read_exact(raw, 4)
        if not head:
            return
        if head == SNAPPY_MAGIC[:4]:  # a concatenated stream starts again with its header
            _read_exact(raw, _SNAPPY_HEADER_BYTES - 4)
            continue
        if len(head) < 4:
            raise _Truncated(name)
        (length,) = struct.unpack(">i", head)
        data = _read_exact(raw, length)
        if len(data) < length:
            raise _Truncated(name)
        yield bytes(cramjam.snappy.decompress_raw(data))


class _Truncated(EventLogError):
    def __init__(self, name: str) -> None:
        super().__init__("the compressed stream ends mid-block (truncated log)", where=name)


class _ChunkStream(io.RawIOBase):
    """A readable stream over an iterator of byte chunks."""

    def __init__(self, chunks) -> None:
        self._chunks = chunks
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._buf:
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


class RawReader(io.RawIOBase):
    """Any object with ``read(n)`` (a file, an HTTP body) as a raw stream that stays open until it is
    closed itself. botocore's body reports itself closed once its last byte is read, and a
    BufferedReader straight over it would then refuse to hand out what it still holds."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        data = self._inner.read(len(b))
        n = len(data)
        b[:n] = data
        return n

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
        super().close()


class _Limited(RawReader):
    """Counts the bytes read through it and refuses to pass ``max_bytes``."""

    def __init__(self, inner, name: str, max_bytes: int) -> None:
        super().__init__(inner)
        self._name = name
        self._max = max_bytes
        self.bytes_read = 0

    def readinto(self, b) -> int:
        n = super().readinto(b)
        self.bytes_read += n
        if self.bytes_read > self._max:
            raise ExpansionLimitError(
                f"expands to more than {self._max:,} bytes",
                where=self._name,
                fix="raise max_expanded_bytes ([agora] eventlog_max_expanded_bytes) if this log is genuine",
            )
        return n
