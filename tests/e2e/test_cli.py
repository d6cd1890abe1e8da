"""`cognitia` refuses bad settings with one readable line and exit status 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.support.processes import COGNITIA, process_env

pytestmark = pytest.mark.slow


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COGNITIA, *args],
        cwd=tmp_path,
        env=process_env(COGNITIA_DATA_DIR=str(tmp_path / "data"), **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_in_production_without_a_secret_exits_with_a_message(tmp_path: Path) -> None:
    result = _run(tmp_path, "serve", "--port", str(free_port()), COGNITIA_ENVIRONMENT="production")

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cognitia: invalid settings: COGNITIA_JWT_SECRET must be set to a random value of"
        " 32+ characters in production"
    ]
    assert not (tmp_path / "data").exists()  # refused before touching anything


def test_a_short_secret_is_refused_without_echoing_it(tmp_path: Path) -> None:
    short_secret = "short-secret-value"
    result = _run(
        tmp_path, "migrate", COGNITIA_ENVIRONMENT="production", COGNITIA_JWT_SECRET=short_secret
    )

    assert result.returncode == 2
    assert "COGNITIA_JWT_SECRET must be set" in result.stderr
    assert short_secret not in result.stderr + result.stdout


def test_a_malformed_value_names_its_variable(tmp_path: Path) -> None:
    result = _run(tmp_path, "migrate", COGNITIA_AUTH__ACCESS_TOKEN_MINUTES="soon")

    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "cognitia: invalid settings: COGNITIA_AUTH__ACCESS_TOKEN_MINUTES: Input should be"
    )
    assert "Traceback" not in result.stderr
