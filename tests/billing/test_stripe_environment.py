"""Stripe's own variable names (STRIPE_WEBHOOK_SECRET, STRIPE_SECRET_KEY, STRIPE_API_KEY)
set the Stripe settings too; the COGNITIA_BILLING__STRIPE__ names win when both are set."""

from __future__ import annotations

import pytest

from cognitia.config import Settings

NAMES = (
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_SECRET_KEY",
    "STRIPE_API_KEY",
    "COGNITIA_BILLING__STRIPE__WEBHOOK_SECRET",
    "COGNITIA_BILLING__STRIPE__SECRET_KEY",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)


def _secrets(settings: Settings) -> tuple[str | None, str | None]:
    stripe = settings.billing.stripe
    key = stripe.secret_key.get_secret_value() if stripe.secret_key else None
    webhook = stripe.webhook_secret.get_secret_value() if stripe.webhook_secret else None
    return key, webhook


def test_the_plain_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_plain")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_plain")

    settings = Settings()

    assert _secrets(settings) == ("sk_test_plain", "whsec_plain")
    assert settings.billing.stripe.enabled


def test_stripe_api_key_is_read_when_stripe_secret_key_is_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_plain")
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_api")
    assert _secrets(Settings()) == ("sk_test_api", "whsec_plain")

    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_secret")
    assert _secrets(Settings()) == ("sk_test_secret", "whsec_plain")


def test_the_prefixed_names_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_plain")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_plain")
    monkeypatch.setenv("COGNITIA_BILLING__STRIPE__WEBHOOK_SECRET", "whsec_prefixed")
    monkeypatch.setenv("COGNITIA_BILLING__STRIPE__SECRET_KEY", "sk_test_prefixed")

    assert _secrets(Settings()) == ("sk_test_prefixed", "whsec_prefixed")


def test_one_of_each_mixes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A prefixed key with Stripe's plain webhook secret: both are used."""
    monkeypatch.setenv("COGNITIA_BILLING__STRIPE__SECRET_KEY", "sk_test_prefixed")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_plain")

    assert _secrets(Settings()) == ("sk_test_prefixed", "whsec_plain")


def test_nothing_set_leaves_payments_off() -> None:
    assert _secrets(Settings()) == (None, None)
    assert not Settings().billing.stripe.enabled


def test_a_plain_key_without_any_webhook_secret_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_plain")
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        Settings()
