"""The web UI in a real browser: each file in web/e2e/ is a node:test suite that drives
Debian's Chromium with playwright-core against one real `cognitia serve` process.

The server runs on embedded defaults (SQLite, in-process jobs, console mail into a log
the suites read links from); its models are the fake upstream, a separate process that
speaks OpenAI's protocol and answers "You said: <the last user message>", word by word
with a small delay, so a reply visibly streams and its text is predictable.

payments.test.mjs runs against a second server with payments on: Stripe's API is the
local stand-in (tests/support/fake_stripe.py), and the suite signs its own webhooks.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.fake_stripe import FakeStripe
from tests.support.net import free_port
from tests.support.processes import COGNITIA, process_env, stop
from tests.support.waiting import eventually_sync

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
SUITES = sorted((WEB / "e2e").glob("*.test.mjs"))
PAYMENTS_SUITE = WEB / "e2e" / "payments.test.mjs"  # its own server: payments on
WEBHOOK_SECRET = "whsec_e2e_not_a_real_secret"
CHROMIUM = os.environ.get("COGNITIA_E2E_CHROMIUM", "/usr/bin/chromium")
# A build elsewhere (`npx vite build --outDir DIR`), so parallel work can't clobber it.
BUILT_UI = Path(os.environ.get("COGNITIA_E2E_WEB_UI_DIR", ROOT / "src/cognitia/webui"))
# docs/screenshots/ is refreshed on request (COGNITIA_E2E_SCREENSHOTS=1 ./dev test
# tests/e2e/test_web_ui.py); a plain run writes them where git doesn't look.
SCREENSHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("COGNITIA_E2E_SCREENSHOTS") == "1"
    else WEB / "e2e" / "artifacts" / "screenshots"
)
SUITE_SECONDS = 300  # a hang guard, not a performance bound


@dataclass(frozen=True)
class Stack:
    base: str
    upstream: str
    server_log: Path
    suite_env: dict[str, str] = field(default_factory=dict)


def _alive(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.TransportError:
        return False


def _start(
    command: list[str], log: Path, cwd: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)


def _catalogue(upstream: str) -> str:
    return f"""
default_embedder = "fake"

[embedders.fake]
type = "openai"
provider = "fake"
upstream = "embed-fake"
dimensions = 384

[providers.fake]
type = "openai"
base_url = "{upstream}/v1"

[models.fake-chat]
provider = "fake"
upstream = "fake-chat"
context_window = 8192
# Tools are offered only to characters that name some (tools.test.mjs).
capabilities = ["chat", "tools"]

# Memory extraction and summaries run after replies: on a model of their own, a reply
# a suite scripts for fake-chat is never taken by them.
[models.fake-extract]
provider = "fake"
upstream = "fake-extract"
context_window = 8192

# The tasks suite's agents: a model of their own (scripted apart from fake-chat), priced so
# a task's steps cost something.
[models.fake-task]
provider = "fake"
upstream = "fake-task"
context_window = 8192
input_price = 1000.0
output_price = 2000.0

[lanes]
chat = ["fake-chat"]
roleplay = ["fake-chat"]
summarize = ["fake-extract"]
extract = ["fake-extract"]
plan = ["fake-extract"]
"""


def _take_the_first_account(base: str) -> str:
    """The first account of this instance is an admin verified at once (auth/first_user.py):
    taken here, every suite signs people up as all later accounts do, in whatever order or
    selection the suites run."""
    body = {"email": "owner@example.com", "password": "SecurePass123", "first_name": "Owner"}
    response = httpx.post(f"{base}/api/v2/auth/register", json=body, timeout=30)
    assert response.status_code == 201, response.text
    assert response.json()["is_verified"] is True
    owner_id: str = response.json()["id"]
    return owner_id


# Days long past, so the daily job (yesterday's usage, 00:05 UTC) never writes beside them.
DAILY_USAGE = [  # day, model, requests, prompt and completion tokens, cost_nanousd, audio s
    ("2026-01-10", "fake-chat", 3, 1200, 300, 4_500_000, 0.0),
    ("2026-01-10", "", 0, 0, 0, 0, 90.0),  # the day's audio: a row without a model
    ("2026-01-11", "fake-chat", 2, 800, 200, 2_500_000, 0.0),
]


def _seed_daily_usage(database: Path, owner_id: str) -> None:
    """usage_daily rows for the admin page's table, as the billing.daily_metrics job
    writes them (there is no way to run it for a chosen day from outside)."""
    with closing(sqlite3.connect(database)) as db, db:
        db.executemany(
            "INSERT INTO usage_daily (day, user_id, model, plan_id, requests, prompt_tokens,"
            " completion_tokens, cost_nanousd, audio_seconds) VALUES (?, ?, ?, 'unlimited',"
            " ?, ?, ?, ?, ?)",
            [(day, owner_id, *rest) for day, *rest in DAILY_USAGE],
        )


@contextmanager
def _running_stack(cwd: Path, **settings: str) -> Iterator[Stack]:
    """The fake upstream and `cognitia serve` (with these extra settings), its first
    account taken; its data in `cwd`."""
    if not (BUILT_UI / "index.html").is_file():
        pytest.fail("the web UI is not built: ./dev test builds it (npm run build in web/)")
    upstream_port, port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{upstream_port}"
    fake = _start(
        [
            sys.executable,
            "-m",
            "tests.support.fake_upstream",
            "--port",
            str(upstream_port),
            "--token-delay",
            "0.04",
        ],
        cwd / "upstream.log",
        ROOT,
        process_env(),
    )
    catalogue = cwd / "models.toml"
    catalogue.write_text(_catalogue(upstream))
    server_log = cwd / "serve.log"
    env = process_env(
        COGNITIA_DATA_DIR=str(cwd / "data"),
        COGNITIA_PUBLIC_URL=f"http://127.0.0.1:{port}",
        COGNITIA_HTTP__WEB_UI_DIR=str(BUILT_UI),
        COGNITIA_LLM__CATALOGUE_PATH=str(catalogue),
        COGNITIA_AUTH__ARGON2_MEMORY_KIB="1024",
        COGNITIA_AUTH__ARGON2_TIME_COST="1",
        # Every suite signs people in from 127.0.0.1: more than one IP's usual share.
        COGNITIA_AUTH__LOGIN_ATTEMPTS_PER_IP="10000",
        **settings,
    )
    server = _start([COGNITIA, "serve", "--port", str(port)], server_log, cwd, env)
    try:
        base = f"http://127.0.0.1:{port}"
        eventually_sync(
            lambda: fake.poll() is not None or _alive(f"{upstream}/v1/models"), timeout=30
        )
        eventually_sync(lambda: server.poll() is not None or _alive(f"{base}/healthz"), timeout=60)
        assert server.poll() is None, server_log.read_text()
        owner_id = _take_the_first_account(base)
        yield Stack(base, upstream, server_log, {"E2E_OWNER_ID": owner_id})
    finally:
        stop(server)
        stop(fake)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    cwd = tmp_path_factory.mktemp("webui")
    with _running_stack(cwd) as running:
        _seed_daily_usage(cwd / "data" / "cognitia.db", running.suite_env["E2E_OWNER_ID"])
        yield running


@pytest.fixture(scope="module")
def payments_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    cwd = tmp_path_factory.mktemp("webui-payments")
    with (
        FakeStripe() as stripe,
        _running_stack(
            cwd,
            COGNITIA_BILLING__STRIPE__SECRET_KEY="sk_test_e2e_not_a_real_key",
            COGNITIA_BILLING__STRIPE__WEBHOOK_SECRET=WEBHOOK_SECRET,
            COGNITIA_BILLING__STRIPE__API_BASE=stripe.url,
        ) as running,
    ):
        yield Stack(
            running.base,
            running.upstream,
            running.server_log,
            {**running.suite_env, "E2E_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET},
        )


BROWSER_SUITES = [s for s in SUITES if s != PAYMENTS_SUITE]


@pytest.mark.parametrize(
    "suite", BROWSER_SUITES, ids=[s.name.removesuffix(".test.mjs") for s in BROWSER_SUITES]
)
def test_browser_suite(stack: Stack, suite: Path) -> None:
    _run_suite(stack, suite)


def test_payments_suite(payments_stack: Stack) -> None:
    _run_suite(payments_stack, PAYMENTS_SUITE)


def _run_suite(stack: Stack, suite: Path) -> None:
    node = shutil.which("node")
    assert node, "Node.js is required for the browser tests (./dev test installs it)"
    env = process_env(
        E2E_BASE_URL=stack.base,
        E2E_UPSTREAM_URL=stack.upstream,
        E2E_SERVER_LOG=str(stack.server_log),
        E2E_CHROMIUM=CHROMIUM,
        E2E_SCREENSHOTS=str(SCREENSHOTS),
        E2E_ARTIFACTS=str(WEB / "e2e" / "artifacts"),
        **stack.suite_env,
    )
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", str(suite)],
        cwd=WEB,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUITE_SECONDS,
    )
    output = f"{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, output
    passed = re.search(r"^\S* ?pass (\d+)$", result.stdout, re.MULTILINE)
    assert passed, f"no test count in the output:\n{output}"
    assert int(passed.group(1)) > 0, f"the suite ran no test:\n{output}"


def test_there_are_browser_suites() -> None:
    assert {s.name for s in SUITES} >= {"auth.test.mjs", PAYMENTS_SUITE.name}
