"""Secrets: no output or log line carries a private key, a token or a signed assertion.

A service-account key file with a freshly generated private key points its `token_uri` at a
token server in this test, which hands out a recognisable access token. Commands then run
against the served engine with `--debug` and `-v`, on success and on error paths, and every
byte they print or log is searched for the key, the token and the assertion.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import traceback
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from eros_migrate import bigquery
from eros_migrate.local_engine import LocalEngine
from tests.conftest import Project, make_project
from tests.reliability.faults import FixedFault, job_inserts
from tests.reliability.targets import SERVED_PROJECT, new_dataset


class TokenServer:
    """Answers every token request with one access token and remembers the assertions."""

    def __init__(self) -> None:
        self.token = f"ya29.FAKE-ACCESS-TOKEN-{uuid.uuid4().hex}"
        self.assertions: list[str] = []
        token, assertions = self.token, self.assertions

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                assertions.extend(part.split("=", 1)[1] for part in body.split("&")
                                  if part.startswith("assertion="))
                answer = json.dumps(
                    {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def token_server() -> Iterator[TokenServer]:
    server = TokenServer()
    yield server
    server.close()


def private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def secret_project(
    root: Path, capsys: pytest.CaptureFixture[str], endpoint: str, dataset: str,
    token_uri: str,
) -> tuple[Project, list[str]]:
    """A project whose target uses a key file; and the texts that must never be shown."""
    project = make_project(root, capsys)
    pem = private_key_pem()
    key = {
        "type": "service_account",
        "project_id": SERVED_PROJECT,
        "private_key_id": uuid.uuid4().hex,
        "private_key": pem,
        "client_email": f"migrate@{SERVED_PROJECT}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    }
    (root / "key.json").write_text(json.dumps(key), encoding="utf-8")
    (root / "eros-migrate.toml").write_text(
        "[targets.remote]\n"
        'engine = "bigquery"\n'
        f'project = "{SERVED_PROJECT}"\n'
        f'dataset = "{dataset}"\n'
        f'endpoint = "{endpoint}"\n'
        'credentials = "key.json"\n',
        encoding="utf-8",
    )
    # Every line of the key's body, and the key as JSON escapes it.
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return project, [*body, json.dumps(pem)[1:40]]


def run_capturing_everything(project: Project, *args: str) -> tuple[int, str]:
    """Run the CLI in-process; return the exit code and all it printed, with any traceback."""
    try:
        result = project.run(*args)
    except Exception as error:  # --debug lets errors through, as the shell would see them
        printed = project.capsys.readouterr()
        shown = "".join(traceback.format_exception(error))
        return -1, printed.out + printed.err + shown
    return result.code, result.out + result.err


def assert_nothing_secret(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret was shown: {secret[:12]}..."


@pytest.mark.parametrize("flag", ["--debug", "-v"])
def test_no_secret_in_output_or_logs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    engine: LocalEngine,
    token_server: TokenServer,
    monkeypatch: pytest.MonkeyPatch,
    fast_retries: None,
    flag: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    dataset = new_dataset(engine.client())
    project, secrets = secret_project(
        tmp_path, capsys, engine.rest_url, dataset, token_server.url
    )
    shown: list[str] = []

    for args in (("up",), ("status",), ("history",), ("down", "--to", "0"), ("up",)):
        code, text = run_capturing_everything(project, flag, *args)
        assert code == 0, text
        shown.append(text)

    # Error paths: the target refuses (403), the token is rejected (401), the target is gone.
    for kind in ("forbidden", "unauthorized"):
        adapter = FixedFault(kind, job_inserts)
        monkeypatch.setattr(bigquery, "transport_adapter", lambda adapter=adapter: adapter)
        code, text = run_capturing_everything(project, flag, "down", "--to", "0")
        assert code in (1, -1), text
        shown.append(text)
    monkeypatch.setattr(bigquery, "transport_adapter", None)
    config = project.root / "eros-migrate.toml"
    config.write_text(config.read_text().replace(engine.rest_url, "http://127.0.0.1:9"))
    code, text = run_capturing_everything(project, flag, "status")
    assert code in (1, -1), text
    shown.append(text)

    assert token_server.assertions, "the key was never used"
    secrets += [token_server.token, *token_server.assertions]
    assert_nothing_secret("\n".join(shown) + caplog.text, secrets)


def test_no_secret_in_a_real_process_with_debug(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    engine: LocalEngine,
    token_server: TokenServer,
) -> None:
    """The CLI as a user runs it: its own logging set-up, tracebacks on stderr."""
    dataset = new_dataset(engine.client())
    project, secrets = secret_project(
        tmp_path, capsys, engine.rest_url, dataset, token_server.url
    )
    env = {**os.environ, "EROS_MIGRATE_ACTOR": "secrets-test"}
    command = [sys.executable, "-m", "eros_migrate.cli", "--project-dir", str(project.root),
               "--debug"]

    success = subprocess.run([*command, "up"], capture_output=True, text=True, env=env,
                             timeout=120)
    assert success.returncode == 0, success.stderr
    # A dataset that does not exist: an error raised with --debug shows its traceback.
    config = project.root / "eros-migrate.toml"
    config.write_text(config.read_text().replace(dataset, "no_such_dataset"))
    failure = subprocess.run([*command, "up"], capture_output=True, text=True, env=env,
                             timeout=120)
    assert failure.returncode != 0
    assert "Traceback" in failure.stderr

    secrets += [token_server.token, *token_server.assertions]
    assert "DEBUG" in success.stderr, "debug logging was not on"
    assert_nothing_secret(success.stdout + success.stderr + failure.stdout + failure.stderr,
                          secrets)
