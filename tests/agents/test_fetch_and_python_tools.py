"""http_fetch and run_python as the registry runs them for a model: the safe fetch's and the
sandbox's refusals become results the model reads, and run_python is offered only where the
sandbox works."""

from __future__ import annotations

import json
import shutil

import pytest

from cognitia.agents.tools.base import ToolContext
from cognitia.agents.tools.registry import ToolRegistry, default_registry, offer_python
from cognitia.config import SandboxSettings, ToolSettings
from tests.support.fake_dns import FakeDns
from tests.support.fetch_site import Site, settings_for

pytestmark = pytest.mark.asyncio

NOBODY = ToolContext(db=None, user_id=None, character_id="c1")  # type: ignore[arg-type]


async def call(registry: ToolRegistry, name: str, **args: str) -> tuple[bool, str]:
    # Both ask by default: here they run as if a member had approved.
    result = await registry.execute(name, json.dumps(args), NOBODY, approved=True)
    return result.ok, result.text


async def test_http_fetch_reads_an_allowed_page_and_refuses_a_private_one(
    site: Site, dns_server: FakeDns
) -> None:
    registry = default_registry(ToolSettings(fetch=settings_for(dns_server)))

    ok, page = await call(registry, "http_fetch", url=f"http://site.test:{site.port}/hello")
    refused, why = await call(registry, "http_fetch", url=f"http://127.0.0.1:{site.port}/hello")

    assert ok
    assert page.startswith("HTTP 200 text/plain")
    assert page.endswith(f"hello via site.test:{site.port}")
    assert not refused
    assert why.startswith("fetch_blocked_address")


async def test_run_python_is_offered_where_the_sandbox_works_and_runs_confined() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed (./dev installs it)")
    registry = default_registry()

    offered = await offer_python(registry, ToolSettings())
    ok, out = await call(registry, "run_python", code="import socket\nprint(2 ** 10)")
    _, no_network = await call(
        registry, "run_python", code="import socket\nsocket.create_connection(('1.1.1.1', 53))"
    )

    assert offered
    assert ok
    assert out == "exit code: 0\nstdout:\n1024\n"
    assert "exit code: 1" in no_network
    assert "OSError" in no_network or "unreachable" in no_network


async def test_run_python_is_not_offered_without_a_working_sandbox() -> None:
    registry = default_registry()
    missing = ToolSettings(sandbox=SandboxSettings(bwrap="/nonexistent/bwrap"))

    offered = await offer_python(registry, missing)

    assert not offered
    assert "run_python" not in registry.names()
    assert "http_fetch" in registry.names()
