"""Stream one application's events from all its parts, skipping what cannot be read, and say so.

Memory stays bounded by one line: the parts are decompressed as streams and each line is parsed and
handed on. Events the caller does not want are recognised from the line's first bytes
(Spark writes ``{"Event":"<name>"`` first) and skipped without parsing; the SQL plan events of a
Photon log are megabytes each, so this is most of the reading time saved.

What goes wrong is counted rather than raised: malformed lines (with the first few quoted), a
part whose compressed stream breaks off (truncation), a last line cut in half. Only a log with no
readable event at all is refused.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from airflow_agora.prediction.eventlog.compression import RawReader, open_decompressed, sniff_codec
from airflow_agora.prediction.eventlog.errors import EventLogError, ExpansionLimitError
from airflow_agora.prediction.eventlog.sources import DEFAULT_MAX_EXPANDED_BYTES, LogPart, find_parts
from airflow_agora.prediction.eventlog.stores import Store, store_for

_PREFIX = b'{"Event":"'
_MAX_EXAMPLES = 5


@dataclass
class ReadReport:
    """What reading found besides the events."""

    location: str
    parts: list[str] = field(default_factory=list)
    lines: int = 0
    events: int = 0
    malformed_lines: int = 0
    malformed_examples: list[str] = field(default_factory=list)
    broken_parts: list[str] = field(default_factory=list)
    expanded_bytes: int = 0

    def warnings(self) -> list[str]:
        out = []
        if self.malformed_lines:
            out.append(
                f"{self.malformed_lines} malformed line(s) skipped (first: {'; '.join(self.malformed_examples[:2])})"
            )
        out += self.broken_parts
        return out


class EventStream:
    """Iterate the events (dicts) of the log at ``location``; ``report`` fills in as it goes.

    ``wanted``: event names to parse (``None`` = all). ``store``: where the log lives (default: from
    the location's scheme). ``max_expanded_bytes``: refuse to decompress more than this.
    """

    def __init__(
        self,
        location: str,
        *,
        wanted: Iterable[str] | None = None,
        store: Store | None = None,
        max_expanded_bytes: int = DEFAULT_MAX_EXPANDED_BYTES,
        s3_client=None,
        databricks_api=None,
    ) -> None:
        self.location = location
        self._wanted = {w.encode() for w in wanted} if wanted is not None else None
        self._store = store or store_for(location, s3_client=s3_client, databricks_api=databricks_api)
        self._max = max_expanded_bytes
        self.report = ReadReport(location)

    def __iter__(self) -> Iterator[dict]:
        parts = find_parts(self.location, self._store, self._max)
        self.report.parts = [p.name for p in parts]
        for part in parts:
            yield from self._read_part(part)
        if self.report.events == 0:
            what = "is empty" if self.report.lines == 0 else "holds no readable Spark event"
            if self.report.broken_parts:
                what = f"could not be read ({self.report.broken_parts[0]})"
            raise EventLogError(
                f"the event log {what}",
                where=self.location,
                fix="point at a Spark event log (spark.eventLog.enabled=true writes one per application)",
            )

    def _read_part(self, part: LogPart) -> Iterator[dict]:
        report = self.report
        with part.open() as raw:
            buffered = raw if hasattr(raw, "peek") else io.BufferedReader(RawReader(raw), 1 << 16)
            head = buffered.peek(16)[:16]
            codec = sniff_codec(head, part.name)
            if codec == "zip":
                raise EventLogError("a zip inside a log folder is not supported", where=part.name)
            stream = open_decompressed(buffered, codec, part.name, self._max)
            # small reads: when a compressed stream breaks off, what decoded before the break survives
            lines = io.BufferedReader(stream, 1 << 16)
            line_no = 0
            try:
                for line in lines:
                    line_no += 1
                    report.lines += 1
                    event = self._parse(line, part.name, line_no)
                    if event is not None:
                        report.events += 1
                        yield event
            except ExpansionLimitError:
                raise
            except EventLogError as exc:
                report.broken_parts.append(f"{part.name}: {exc.problem}; events after line {line_no} are lost")
            except (OSError, EOFError, zlib.error, ValueError) as exc:  # truncated gzip/zstd/lz4 streams
                report.broken_parts.append(
                    f"{part.name}: stream breaks off after line {line_no} ({type(exc).__name__}: {exc}); "
                    "the rest of this part is lost (truncated or corrupt file)"
                )
            finally:
                report.expanded_bytes += getattr(stream, "bytes_read", 0)

    def _parse(self, line: bytes, part: str, line_no: int) -> dict | None:
        if line.startswith(_PREFIX) and self._wanted is not None:
            end = line.find(b'"', len(_PREFIX))
            if end > 0 and line[len(_PREFIX) : end] not in self._wanted:
                return None
        stripped = line.strip()
        if not stripped:
            return None
        try:
            event = json.loads(stripped)
        except ValueError:
            event = None
        if not isinstance(event, dict) or "Event" not in event:
            self.report.malformed_lines += 1
            if len(self.report.malformed_examples) < _MAX_EXAMPLES:
                excerpt = stripped[:60].decode("utf-8", "replace")
                self.report.malformed_examples.append(f"{part} line {line_no}: {excerpt!r}")
            return None
        if self._wanted is not None and event["Event"].encode() not in self._wanted:
            return None
        return event


def read_events(location: str, **kwargs) -> EventStream:
    """``EventStream(location, **kwargs)``: iterate it for the events, then look at ``.report``."""
    return EventStream(location, **kwargs)
