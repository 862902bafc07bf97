"""Where event-log bytes live: the local disk, a zip archive, S3, DBFS or a Unity Catalog volume.

A store answers two questions about a path, "what is in this folder" (``list_dir``, ``None`` when
the path is a file) and "give me this file's bytes" (``open``). ``sources`` builds on that alone, so
every layout (rolling folders, Databricks hourly parts, bundles) works the same on every store.
Remote clients are passed in, never built here from secrets: the Airflow side hands over its
provider hooks' clients; the CLI uses the default AWS credentials chain or a Databricks host/token.
"""

from __future__ import annotations

import base64
import os
import posixpath
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO, Protocol

from airflow_agora.prediction.eventlog.errors import EventLogError, ExpansionLimitError

JUNK_NAMES = {".DS_Store", "Thumbs.db"}


class Store(Protocol):
    def list_dir(self, path: str) -> list[str] | None:
        """Names directly inside folder ``path``; ``None`` when ``path`` is a file."""

    def open(self, path: str) -> BinaryIO:
        """The raw bytes of file ``path``."""


def is_junk(name: str) -> bool:
    """Files that travel with logs but are not logs (macOS metadata, Spark's checksums)."""
    base = posixpath.basename(name.rstrip("/"))
    return base in JUNK_NAMES or base.startswith("._") or base.endswith(".crc") or "__MACOSX" in name.split("/")


class LocalStore:
    def list_dir(self, path: str) -> list[str] | None:
        p = Path(path)
        if not p.exists():
            raise EventLogError("no such file or folder", where=path, fix="check the path of the event log")
        if p.is_dir():
            return sorted(c.name for c in p.iterdir())
        return None

    def open(self, path: str) -> BinaryIO:
        return open(path, "rb")


class ZipStore:
    """The members of one zip archive as a folder tree, checked before anything is expanded.

    Refused: a member whose path is absolute or climbs out with ``..`` (it would escape its folder
    when extracted) and an archive whose members add up to more than ``max_bytes``.
    """

    def __init__(self, fileobj: BinaryIO, name: str, max_bytes: int) -> None:
        try:
            self._zip = zipfile.ZipFile(fileobj)
        except zipfile.BadZipFile as exc:
            raise EventLogError(f"not a readable zip archive ({exc})", where=name) from exc
        self.name = name
        self._files: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in self._zip.infolist():
            member = info.filename
            parts = member.replace("\\", "/").split("/")
            if member.startswith(("/", "\\")) or ".." in parts or (len(parts[0]) == 2 and parts[0][1] == ":"):
                raise EventLogError(
                    f"archive member {member!r} escapes its folder",
                    where=name,
                    fix="rebuild the archive with relative member paths",
                )
            if info.is_dir() or is_junk(member):
                continue
            total += info.file_size
            self._files[member.replace("\\", "/")] = info
        if total > max_bytes:
            raise ExpansionLimitError(
                f"archive expands to {total:,} bytes, more than the limit of {max_bytes:,}",
                where=name,
                fix="raise [agora] eventlog_max_expanded_bytes if the archive is genuine",
            )

    def list_dir(self, path: str) -> list[str] | None:
        prefix = path.strip("/")
        if prefix in self._files:
            return None
        prefix = f"{prefix}/" if prefix else ""
        names = {m[len(prefix) :].split("/", 1)[0] for m in self._files if m.startswith(prefix)}
        if not names:
            raise EventLogError(f"no member {path!r} in the archive", where=self.name)
        return sorted(names)

    def open(self, path: str) -> BinaryIO:
        return self._zip.open(self._files[path.strip("/")])  # type: ignore[return-value]


class S3Store:
    """``s3://bucket/key`` through a boto3 S3 client (the Amazon provider's ``S3Hook().get_conn()``)."""

    def __init__(self, client=None) -> None:
        if client is None:
            import boto3

            client = boto3.client("s3")
        self._s3 = client

    @staticmethod
    def split(path: str) -> tuple[str, str]:
        bucket, _, key = path.removeprefix("s3://").partition("/")
        return bucket, key.strip("/")

    def list_dir(self, path: str) -> list[str] | None:
        bucket, key = self.split(path)
        names: set[str] = set()
        prefix = f"{key}/" if key else ""
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
            names.update(o["Key"][len(prefix) :] for o in page.get("Contents", []))
            names.update(p["Prefix"][len(prefix) :].rstrip("/") for p in page.get("CommonPrefixes", []))
        names.discard("")
        if names:
            return sorted(names)
        try:
            self._s3.head_object(Bucket=bucket, Key=key)
        except Exception as exc:  # botocore's ClientError; kept generic so botocore stays optional here
            raise EventLogError(f"no such S3 object or prefix ({exc})", where=path) from exc
        return None

    def open(self, path: str) -> BinaryIO:
        bucket, key = self.split(path)
        return self._s3.get_object(Bucket=bucket, Key=key)["Body"]


class DatabricksFilesStore:
    """``dbfs:/...`` through the DBFS API and ``/Volumes/...`` through the Files API.

    ``api`` performs one HTTP GET against the workspace: ``api.get(path, params) -> (status, headers,
    body bytes)``; ``DatabricksRestApi`` does it with ``requests``, the Airflow side with its hook's
    connection. DBFS reads come in 1 MiB base64 slices (the API's maximum).
    """

    DBFS_SLICE = 1 << 20

    def __init__(self, api) -> None:
        self._api = api

    def list_dir(self, path: str) -> list[str] | None:
        if path.startswith("dbfs:"):
            dbfs = path.removeprefix("dbfs:") or "/"
            status = self._json("/api/2.0/dbfs/get-status", {"path": dbfs}, path)
            if not status.get("is_dir"):
                return None
            listing = self._json("/api/2.0/dbfs/list", {"path": dbfs}, path)
            return sorted(posixpath.basename(f["path"].rstrip("/")) for f in listing.get("files", []))
        code, _, _ = self._api.get(f"/api/2.0/fs/directories{path}", None, method="HEAD")
        if code != 200:
            return None
        names, token = [], None
        while True:
            page = self._json(f"/api/2.0/fs/directories{path}", {"page_token": token} if token else None, path)
            names += [e["name"] for e in page.get("contents", [])]
            token = page.get("next_page_token")
            if not token:
                return sorted(names)

    def open(self, path: str) -> BinaryIO:
        spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 - returned open
        if path.startswith("dbfs:"):
            offset = 0
            while True:
                part = self._json(
                    "/api/2.0/dbfs/read",
                    {"path": path.removeprefix("dbfs:"), "offset": offset, "length": self.DBFS_SLICE},
                    path,
                )
                data = base64.b64decode(part.get("data", ""))
                spool.write(data)
                offset += len(data)
                if int(part.get("bytes_read", 0)) < self.DBFS_SLICE or not data:
                    break
        else:
            code, _, body = self._api.get(f"/api/2.0/fs/files{path}", None)
            if code != 200:
                raise EventLogError(f"the Files API answered HTTP {code}", where=path)
            spool.write(body)
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def _json(self, endpoint: str, params, where: str) -> dict:
        import json

        code, _, body = self._api.get(endpoint, params)
        if code == 404:
            raise EventLogError("no such file or folder in the workspace", where=where)
        if code != 200:
            raise EventLogError(f"the Databricks API answered HTTP {code} for {endpoint}", where=where)
        return json.loads(body or b"{}")


class DatabricksRestApi:
    """The one place the CLI talks to a Databricks workspace: GET (or HEAD) with a bearer token."""

    def __init__(self, host: str, token: str, timeout_s: float = 60.0) -> None:
        self.host = host.rstrip("/")
        if not self.host.startswith(("http://", "https://")):
            self.host = f"https://{self.host}"
        self._token = token
        self.timeout_s = timeout_s

    def get(self, endpoint: str, params, method: str = "GET") -> tuple[int, dict, bytes]:
        import requests

        resp = requests.request(
            method,
            f"{self.host}{endpoint}",
            params=params,
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=self.timeout_s,
        )
        return resp.status_code, dict(resp.headers), resp.content

    def __repr__(self) -> str:  # never print the token
        return f"DatabricksRestApi({self.host!r})"


def store_for(location: str, *, s3_client=None, databricks_api=None) -> Store:
    """The store a location string belongs to (``s3://``, ``dbfs:/``, ``/Volumes/``, else local)."""
    if location.startswith(("s3://", "s3a://")):
        return S3Store(s3_client)
    if location.startswith("dbfs:") or (location.startswith("/Volumes/") and not os.path.exists(location)):
        if databricks_api is None:
            host, token = os.environ.get("DATABRICKS_HOST"), os.environ.get("DATABRICKS_TOKEN")
            if not host or not token:
                raise EventLogError(
                    "reading from a Databricks workspace needs its host and a token",
                    where=location,
                    fix="set DATABRICKS_HOST and DATABRICKS_TOKEN (or run inside Airflow with a Databricks connection)",
                )
            databricks_api = DatabricksRestApi(host, token)
        return DatabricksFilesStore(databricks_api)
    return LocalStore()


def spool(stream: BinaryIO, max_bytes: int, where: str) -> BinaryIO:
    """Copy a non-seekable stream (S3, HTTP) to a temporary file so that zipfile can seek in it."""
    out = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 - returned open
    copied = 0
    while chunk := stream.read(1 << 20):
        copied += len(chunk)
        if copied > max_bytes:
            raise ExpansionLimitError(f"larger than {max_bytes:,} bytes", where=where)
        out.write(chunk)
    out.seek(0)
    return out  # type: ignore[return-value]
