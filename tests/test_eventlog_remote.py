"""Event logs read over the network: S3 (moto's server on loopback, through boto3 and the Amazon
provider's S3Hook) and a Databricks workspace (a loopback server speaking the DBFS and Files API
subset we use; the Databricks cloud itself cannot run here)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from moto.server import ThreadedMotoServer

from airflow_agora.prediction.eventlog.errors import EventLogError
from airflow_agora.prediction.eventlog.reader import read_events
from airflow_agora.prediction.eventlog.stores import DatabricksRestApi
from airflow_agora.prediction.profile import build_profile

FIXTURE = Path(__file__).parent / "fixtures" / "eventlogs" / "pyspark-4.3.0-local"
TOKEN = "dapi-secret-token-123"


def _fixture_files() -> dict[str, bytes]:
    """The committed PySpark 4.3 log as Spark 4 writes it by default: a rolling folder of zstd parts."""
    import zstandard

    lines = FIXTURE.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    folder = "eventlog_v2_local-1"
    return {
        f"{folder}/appstatus_local-1": b"",
        f"{folder}/events_1_local-1.zstd": zstandard.compress(b"".join(lines[:half])),
        f"{folder}/events_2_local-1.zstd": zstandard.compress(b"".join(lines[half:])),
    }


def _local_summary() -> dict:
    return build_profile(str(FIXTURE)).summary()


# --- S3 -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _s3_client(endpoint: str):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


def test_rolling_zstd_log_in_s3_reads_like_the_local_copy(s3_endpoint):
    s3 = _s3_client(s3_endpoint)
    s3.create_bucket(Bucket="logs")
    for rel, data in _fixture_files().items():
        s3.put_object(Bucket="logs", Key=f"spark/{rel}", Body=data)
    profile = build_profile("s3://logs/spark/eventlog_v2_local-1", s3_client=s3)
    assert profile.summary() == _local_summary()
    with pytest.raises(EventLogError, match="no such S3 object"):
        list(read_events("s3://logs/nothing/here", s3_client=s3))


def test_s3_through_the_amazon_provider_hook(s3_endpoint, monkeypatch):
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    extra = json.dumps({"endpoint_url": s3_endpoint, "region_name": "us-east-1"})
    monkeypatch.setenv(
        "AIRFLOW_CONN_AGORA_S3",
        json.dumps({"conn_type": "aws", "login": "x", "password": "y", "extra": json.loads(extra)}),
    )
    client = S3Hook(aws_conn_id="agora_s3").get_conn()
    client.create_bucket(Bucket="hooked")
    data = _fixture_files()["eventlog_v2_local-1/events_1_local-1.zstd"]
    client.put_object(Bucket="hooked", Key="one/events.zstd", Body=data)
    events = list(read_events("s3://hooked/one/events.zstd", s3_client=client))
    assert events and events[0]["Event"] == "SparkListenerLogStart"


# --- Databricks workspace -------------------------------------------------------------------------
class _Workspace(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    requests: ClassVar[list[str]] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, code: int, body: dict | bytes | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _children(self, folder: str) -> list[str]:
        prefix = folder.rstrip("/") + "/"
        return sorted({k[len(prefix) :].split("/")[0] for k in self.files if k.startswith(prefix)})

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.requests.append(self.command + " " + self.path)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"error_code": "UNAUTHENTICATED"})
        if url.path == "/api/2.0/dbfs/get-status":
            p = q["path"]
            if p in self.files:
                return self._send(200, {"path": p, "is_dir": False, "file_size": len(self.files[p])})
            if self._children(p):
                return self._send(200, {"path": p, "is_dir": True})
            return self._send(404, {"error_code": "RESOURCE_DOES_NOT_EXIST"})
        if url.path == "/api/2.0/dbfs/list":
            p = q["path"].rstrip("/")
            return self._send(200, {"files": [{"path": f"{p}/{n}"} for n in self._children(p)]})
        if url.path == "/api/2.0/dbfs/read":
            data = self.files[q["path"]]
            offset, length = int(q["offset"]), int(q["length"])
            chunk = data[offset : offset + length]
            return self._send(200, {"bytes_read": len(chunk), "data": base64.b64encode(chunk).decode()})
        if url.path.startswith("/api/2.0/fs/directories"):
            folder = url.path.removeprefix("/api/2.0/fs/directories")
            names = self._children(folder)
            if not names:
                return self._send(404)
            page = int(q.get("page_token", 0))  # two entries per page, to exercise paging
            body = {"contents": [{"name": n} for n in names[page : page + 2]]}
            if page + 2 < len(names):
                body["next_page_token"] = str(page + 2)
            return self._send(200, body)
        if url.path.startswith("/api/2.0/fs/files"):
            p = url.path.removeprefix("/api/2.0/fs/files")
            return self._send(200, self.files[p]) if p in self.files else self._send(404)
        return self._send(404)


@pytest.fixture
def workspace():
    files = {}
    for rel, data in _fixture_files().items():
        files[f"/cluster-logs/0101-abc/eventlog/{rel}"] = data
        files[f"/Volumes/main/ops/logs/{rel}"] = data
    big = FIXTURE.read_bytes() * 12  # several 1 MiB slices
    files["/single/app.zstd"] = big
    _Workspace.files, _Workspace.requests = files, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Workspace)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_dbfs_and_volumes_read_like_the_local_copy(workspace):
    api = DatabricksRestApi(workspace, TOKEN)
    local = _local_summary()
    assert build_profile("dbfs:/cluster-logs/0101-abc/eventlog", databricks_api=api).summary() == local
    assert build_profile("/Volumes/main/ops/logs/eventlog_v2_local-1", databricks_api=api).summary() == local
    assert TOKEN not in repr(api)


def test_a_single_dbfs_file_is_downloaded_once(workspace):
    api = DatabricksRestApi(workspace, TOKEN)
    list(read_events("dbfs:/single/app.zstd", databricks_api=api))
    reads = [r for r in _Workspace.requests if "/dbfs/read" in r]
    size = len(_Workspace.files["/single/app.zstd"])
    assert len(reads) == size // (1 << 20) + 1


def test_workspace_errors_name_the_problem_without_the_token(workspace):
    with pytest.raises(EventLogError, match="no such file") as missing:
        list(read_events("dbfs:/nope", databricks_api=DatabricksRestApi(workspace, TOKEN)))
    with pytest.raises(EventLogError, match="HTTP 401") as denied:
        list(read_events("dbfs:/single/app.zstd", databricks_api=DatabricksRestApi(workspace, "wrong-" + TOKEN)))
    assert TOKEN not in str(missing.value) + str(denied.value)
