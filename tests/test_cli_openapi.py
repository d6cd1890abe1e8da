"""`cognitia openapi`: the spec the web UI's types are generated from (./dev web-types),
written without a server or a database, and the same as a running app serves."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cognitia import cli

# An operator's environment must not change the spec, nor stop the command: production
# with the default secret would not even validate.
OPERATOR = {"COGNITIA_ENVIRONMENT": "production", "COGNITIA_DATA_DIR": "/nonexistent/data"}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli.app, ["openapi", *args], env=OPERATOR)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.asyncio
async def test_the_file_is_the_spec_a_running_app_serves(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    target = tmp_path / "openapi.json"

    assert run("--output", str(target)) == ""

    spec = json.loads(target.read_text(encoding="utf-8"))
    assert spec == (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "Cognitia"
    assert "/api/v2/characters/{character_id}" in spec["paths"]
    schemas = spec["components"]["schemas"]
    assert {"CharacterRead", "ChatRead", "PersonaRead", "ErrorBody"} <= schemas.keys()
    # The described errors (http/openapi.py), not FastAPI's own 422 body.
    assert "HTTPValidationError" not in schemas


def test_without_output_it_prints_the_same_spec(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    run("--output", str(target))

    printed = run()

    assert printed == target.read_text(encoding="utf-8")
    assert printed.endswith("}\n")
