"""The `cognitia` command: serve, worker, migrate, openapi, admin."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from cognitia.config import Settings

app = typer.Typer(
    help="Cognitia: a self-hostable platform for AI characters.", no_args_is_help=True
)
admin = typer.Typer(help="Account administration.", no_args_is_help=True)
app.add_typer(admin, name="admin")


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValidationError as exc:
        # One line naming the variables, not a traceback (and never the values: secrets).
        typer.echo(f"cognitia: invalid settings: {_describe(exc)}", err=True)
        raise typer.Exit(2) from None
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            name = "COGNITIA_" + "__".join(str(part).upper() for part in error["loc"])
            message = f"{name}: {message}"
        problems.append(message)
    return "; ".join(problems)


@app.command()
def migrate(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Bring the database schema up to date."""
    from cognitia.migrations import runner

    settings = _settings()
    runner.upgrade(settings.resolved_database_url, revision)
    typer.echo(f"database at {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="API processes (PostgreSQL + Redis only).")] = 1,
) -> None:
    """Run the API server. On SQLite it migrates the database first."""
    import uvicorn

    from cognitia.chats.shutdown import server_timeout_seconds
    from cognitia.migrations import runner

    settings = _settings()
    # Links in e-mail should point at this server unless the operator says otherwise;
    # the app (built in the uvicorn process from the environment) reads it from there.
    link_host = "localhost" if host in {"127.0.0.1", "0.0.0.0", "::"} else host
    os.environ.setdefault("COGNITIA_PUBLIC_URL", f"http://{link_host}:{port}")
    if settings.is_sqlite:
        runner.upgrade(settings.resolved_database_url)
        if workers > 1:
            raise typer.BadParameter(
                "several API processes need PostgreSQL and Redis", param_hint="--workers"
            )
    uvicorn.run(
        "cognitia.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_config=None,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 by default; the app decides
        # from COGNITIA_HTTP__TRUSTED_PROXIES alone (create_app).
        proxy_headers=False,
        # SIGTERM: replies in flight finish within the grace, then streams get their last
        # event (chats/shutdown.py); uvicorn waits that long for open connections.
        timeout_graceful_shutdown=server_timeout_seconds(settings),
    )


class _DefaultSettings(Settings):
    """Settings from their defaults alone: the spec must not depend on who runs the command
    (an operator's production variables would otherwise be read, and could fail to validate)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def openapi_spec() -> dict[str, Any]:
    """The app's OpenAPI spec as /openapi.json serves it, built without a server or database."""
    from cognitia.app import create_app

    # create_app only builds routes (the lifespan, never started here, opens the database);
    # the temporary data dir keeps anything that might look at it away from ./data.
    with tempfile.TemporaryDirectory(prefix="cognitia-openapi-") as data_dir:
        settings = _DefaultSettings(data_dir=Path(data_dir), log_level="WARNING")
        return create_app(settings).openapi()


@app.command()
def openapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Print the API's OpenAPI spec (JSON), as the web UI's types are generated from it."""
    text = json.dumps(openapi_spec(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@app.command()
def worker() -> None:
    """Run background jobs (taskiq on Redis, or the embedded runner against the database)."""
    from cognitia.worker import run_worker

    asyncio.run(run_worker(_settings()))


@app.command("model-runner")
def model_runner(
    host: Annotated[str, typer.Option(help="Interface to bind (shared runner).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (shared runner).")] = 8001,
    uds: Annotated[str | None, typer.Option(help="Unix socket instead of a port.")] = None,
    watch_parent: Annotated[
        bool, typer.Option(help="Exit when standard input closes (a supervised child).")
    ] = False,
) -> None:
    """Run the local models (llama.cpp, the embedder) as a service: several API processes
    share one with COGNITIA_LLM__RUNNER__MODE=external and __URL=http://HOST:PORT."""
    from cognitia.llm.runner.main import run

    run(_settings(), uds=uds, host=host, port=port, watch_parent=watch_parent)


@app.command("voice-runner")
def voice_runner(
    host: Annotated[str, typer.Option(help="Interface to bind (shared runner).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (shared runner).")] = 8002,
    uds: Annotated[str | None, typer.Option(help="Unix socket instead of a port.")] = None,
    watch_parent: Annotated[
        bool, typer.Option(help="Exit when standard input closes (a supervised child).")
    ] = False,
) -> None:
    """Run the local voice engines (piper, Whisper) as a service: several API processes
    share one with COGNITIA_VOICE__RUNNER__MODE=external and __URL=http://HOST:PORT."""
    from cognitia.voice.runner.main import run

    run(_settings(), uds=uds, host=host, port=port, watch_parent=watch_parent)


@app.command()
def reindex(
    batch_size: Annotated[int, typer.Option(help="Chunks embedded per batch.", min=1)] = 64,
) -> None:
    """Re-embed every chunk with the current embedder (after changing the embedding model)."""
    from cognitia.admin_commands import reindex as run

    def progress(done: int, total: int) -> None:
        typer.echo(f"reindexed {done}/{total}")

    count = asyncio.run(run(_settings(), batch_size=batch_size, progress=progress))
    typer.echo(f"reindexed {count} chunks")


@admin.command("create-user")
def create_user(
    email: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    first_name: str = "",
    is_admin: Annotated[
        bool, typer.Option("--admin", help="Give the user the admin role.")
    ] = False,
) -> None:
    """Create a verified account."""
    from cognitia.admin_commands import create_user as create

    user_id = asyncio.run(
        create(
            _settings(), email=email, password=password, first_name=first_name, is_admin=is_admin
        )
    )
    typer.echo(f"created {user_id}")


@admin.command("verify-email")
def verify_email(email: str) -> None:
    """Mark an account's e-mail address as verified."""
    from cognitia.admin_commands import verify_email as verify

    if not asyncio.run(verify(_settings(), email=email)):
        typer.echo(f"no account for {email}", err=True)
        raise typer.Exit(1)
    typer.echo(f"verified {email}")


def main() -> None:
    app()
