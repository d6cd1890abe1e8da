"""Settings: environment names, and production refusing a default or short JWT secret."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cognitia.config import DEFAULT_JWT_SECRET, Settings

GOOD_SECRET = "k7Qm2vX9pL4rT8wZ1nB6cF3hJ5dG0sYa"  # 32 characters


def test_development_runs_on_the_default_secret() -> None:
    settings = Settings(environment="development")

    assert settings.jwt_secret.get_secret_value() == DEFAULT_JWT_SECRET


@pytest.mark.parametrize("secret", [None, DEFAULT_JWT_SECRET, "x" * 31])
def test_production_refuses_a_default_or_short_secret(secret: str | None) -> None:
    values = {} if secret is None else {"jwt_secret": secret}

    with pytest.raises(ValidationError, match="COGNITIA_JWT_SECRET must be set"):
        Settings(environment="production", **values)  # type: ignore[arg-type]


def test_production_accepts_a_32_character_secret() -> None:
    settings = Settings(environment="production", jwt_secret=GOOD_SECRET)  # type: ignore[arg-type]

    assert settings.jwt_secret.get_secret_value() == GOOD_SECRET
    assert GOOD_SECRET not in repr(settings)


def test_production_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COGNITIA_ENVIRONMENT", "production")
    with pytest.raises(ValidationError):
        Settings()

    monkeypatch.setenv("COGNITIA_JWT_SECRET", GOOD_SECRET)
    assert Settings().environment == "production"


def test_nested_settings_use_a_double_underscore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COGNITIA_AUTH__ACCESS_TOKEN_MINUTES", "15")
    monkeypatch.setenv("COGNITIA_HTTP__CORS_ORIGINS", '["https://app.example"]')
    monkeypatch.setenv("COGNITIA_MAIL__SMTP_STARTTLS", "false")

    settings = Settings()

    assert settings.auth.access_token_minutes == 15
    assert settings.http.cors_origins == ["https://app.example"]
    assert settings.mail.smtp_starttls is False
