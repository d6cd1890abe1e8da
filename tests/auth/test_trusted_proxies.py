"""X-Forwarded-For is believed only from COGNITIA_HTTP__TRUSTED_PROXIES, by uvicorn and app alike.

The per-IP login limit is the probe: a client that reached it and then claims another
address in X-Forwarded-For must still be refused, unless its peer is a trusted proxy.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from cognitia.config import HttpSettings, Settings
from tests.conftest import make_settings
from tests.support.apps import running_app
from tests.support.factories import api_client, unique_email
from tests.support.net import free_port
from tests.support.processes import COGNITIA, process_env, stop
from tests.support.waiting import eventually_sync

LOGIN = "/api/v2/auth/login"
SPOOFED = {"X-Forwarded-For": "10.9.8.6"}

Serve = Callable[[str], str]


def _attempt(http: httpx.Client, headers: dict[str, str] | None = None) -> int:
    # An unknown address: a 401 that still counts against the per-IP limit.
    body = {"email": unique_email("probe"), "password": "WrongPass123"}
    return http.post(LOGIN, json=body, headers=headers).status_code


def _alive(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start `cognitia serve` (uvicorn as operators run it) with the given proxies setting."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(trusted_proxies: str) -> str:
        port, cwd = free_port(), tmp_path / str(len(processes))
        env = process_env(
            COGNITIA_DATA_DIR=str(cwd / "data"),
            COGNITIA_AUTH__ARGON2_MEMORY_KIB="1024",
            COGNITIA_AUTH__ARGON2_TIME_COST="1",
            COGNITIA_AUTH__LOGIN_ATTEMPTS_PER_IP="2",
            COGNITIA_LLM__RUNNER__START_AT_BOOT="false",
            COGNITIA_HTTP__TRUSTED_PROXIES=trusted_proxies,
        )
        cwd.mkdir()
        log = cwd / "stderr.log"
        with log.open("wb") as err:
            process = subprocess.Popen(
                [COGNITIA, "serve", "--port", str(port)],
                cwd=cwd,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        eventually_sync(lambda: process.poll() is not None or _alive(base), timeout=60)
        assert process.poll() is None, log.read_text()
        return base

    yield start
    for process in processes:
        stop(process)


@pytest.mark.slow
def test_serve_ignores_x_forwarded_for_without_trusted_proxies(serve: Serve) -> None:
    base = serve("0")
    with httpx.Client(base_url=base, timeout=30) as http:
        statuses = [_attempt(http) for _ in range(3)]
        spoofed = _attempt(http, SPOOFED)

    assert statuses == [401, 401, 429]
    assert spoofed == 429


@pytest.mark.slow
def test_serve_believes_a_trusted_proxy(serve: Serve) -> None:
    base = serve('["127.0.0.1"]')
    with httpx.Client(base_url=base, timeout=30) as http:
        statuses = [_attempt(http, SPOOFED) for _ in range(3)]
        other_client = _attempt(http, {"X-Forwarded-For": "10.9.8.7"})

    assert statuses == [401, 401, 429]
    assert other_client == 401


def _settings(settings: Settings, tmp_path: Path, proxies: list[str]) -> Settings:
    assert settings.database_url is not None
    return make_settings(
        settings.database_url,
        tmp_path,
        auth={"login_attempts_per_ip": 2},
        http={"web_ui": False, "trusted_proxies": proxies},
    )


async def _async_attempt(http: httpx.AsyncClient, forwarded_for: str | None = None) -> int:
    body = {"email": unique_email("probe"), "password": "WrongPass123"}
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    return (await http.post(LOGIN, json=body, headers=headers)).status_code


@pytest.mark.asyncio
async def test_only_a_listed_peer_may_forward(settings: Settings, tmp_path: Path) -> None:
    trusting = _settings(settings, tmp_path, ["10.0.0.0/24"])
    async with (
        running_app(trusting) as (app, _),
        api_client(app, ip="10.0.0.5") as proxy,
        api_client(app, ip="203.0.113.50") as stranger,
    ):
        through_proxy = [await _async_attempt(proxy, "198.51.100.1") for _ in range(3)]
        next_client = await _async_attempt(proxy, "198.51.100.2, 10.0.0.7")
        direct = [await _async_attempt(stranger, f"198.51.100.{n}") for n in (3, 4, 5)]

    assert through_proxy == [401, 401, 429]
    # The right-most address that is not a trusted proxy is the client.
    assert next_client == 401
    # A peer outside the list claims any address in vain: its own address is counted.
    assert direct == [401, 401, 429]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", []), ('["127.0.0.1", "10.0.0.0/8", "::1"]', ["127.0.0.1", "10.0.0.0/8", "::1"])],
)
def test_the_setting_takes_addresses(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("COGNITIA_HTTP__TRUSTED_PROXIES", value)

    assert Settings().http.trusted_proxies == expected


def test_the_default_trusts_no_proxy() -> None:
    assert HttpSettings().trusted_proxies == []


@pytest.mark.parametrize("value", [1, ["not-an-address"], ["10.0.0.300"]])
def test_a_count_or_a_typo_is_refused_at_start(value: object) -> None:
    with pytest.raises(ValidationError):
        HttpSettings(trusted_proxies=value)  # type: ignore[arg-type]
