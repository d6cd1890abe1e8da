"""The PaymentGateway on Stripe's official SDK, async calls only (docs/plans.md).

`api_base` points the SDK at another address (a local stand-in in the tests). Stripe's
errors become PaymentProviderError; its messages are logged, never shown to the user.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import stripe

from cognitia.billing.payments.errors import (
    InvalidPayload,
    InvalidSignature,
    PaymentProviderError,
)
from cognitia.billing.payments.events import PaymentEvent, event_from
from cognitia.billing.payments.ports import CheckoutRequest
from cognitia.billing.providers.stripe_http import StripeHttpClient
from cognitia.config import StripeSettings
from cognitia.kit.tls import client_context

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@asynccontextmanager
async def _provider_errors(call: str) -> AsyncIterator[None]:
    try:
        yield
    except stripe.StripeError as exc:
        log.warning(
            "stripe call failed",
            extra={"call": call, "status": exc.http_status, "code": exc.code},
        )
        raise PaymentProviderError() from exc


class StripeGateway:
    def __init__(self, settings: StripeSettings) -> None:
        assert settings.secret_key is not None  # built only when payments are on
        assert settings.webhook_secret is not None  # required with a key (StripeSettings)
        self._webhook_secret = settings.webhook_secret.get_secret_value()
        self._tolerance = settings.webhook_tolerance_seconds
        # Off: a self-hosted server tells Stripe nothing about itself, and the SDK would
        # otherwise read and write ~/.config/stripe/telemetry_id on the event loop.
        stripe.enable_telemetry = False
        self._http = httpx.AsyncClient(timeout=TIMEOUT, verify=client_context())
        self._client = stripe.StripeClient(
            settings.secret_key.get_secret_value(),
            base_addresses={"api": settings.api_base.rstrip("/")},
            http_client=StripeHttpClient(self._http),
            max_network_retries=2,
        )

    async def create_customer(self, *, user_id: str, email: str) -> str:
        async with _provider_errors("customers.create"):
            customer = await self._client.v1.customers.create_async(
                {"email": email, "metadata": {"user_id": user_id}}
            )
        return customer.id

    async def checkout_url(self, request: CheckoutRequest) -> str:
        metadata = {"user_id": request.user_id}
        async with _provider_errors("checkout.sessions.create"):
            session = await self._client.v1.checkout.sessions.create_async(
                {
                    "mode": "subscription",
                    "customer": request.customer_id,
                    "client_reference_id": request.user_id,
                    "line_items": [{"price": request.price_id, "quantity": 1}],
                    "success_url": request.success_url,
                    "cancel_url": request.cancel_url,
                    "metadata": metadata,
                    "subscription_data": {"metadata": metadata},
                }
            )
        if not session.url:
            raise PaymentProviderError("Stripe returned a Checkout session without a URL.")
        return session.url

    async def portal_url(self, *, customer_id: str, return_url: str) -> str:
        async with _provider_errors("billing_portal.sessions.create"):
            session = await self._client.v1.billing_portal.sessions.create_async(
                {"customer": customer_id, "return_url": return_url}
            )
        return session.url

    async def change_price(self, *, subscription_id: str, price_id: str) -> None:
        async with _provider_errors("subscriptions.update"):
            subscription = await self._client.v1.subscriptions.retrieve_async(subscription_id)
            item = subscription["items"].data[0]
            await self._client.v1.subscriptions.update_async(
                subscription_id,
                {
                    "items": [{"id": item.id, "price": price_id}],
                    "proration_behavior": "create_prorations",
                    "cancel_at_period_end": False,
                },
            )

    def verify(self, payload: bytes, signature: str | None) -> PaymentEvent:
        try:
            self._client.construct_event(
                payload, signature, self._webhook_secret, tolerance=self._tolerance
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidSignature() from exc
        except (ValueError, AttributeError, TypeError) as exc:  # not a JSON event
            raise InvalidPayload() from exc
        body = json.loads(payload)  # verified and parsed once already: cannot fail
        if not isinstance(body, dict):
            raise InvalidPayload()
        return event_from(body)

    async def close(self) -> None:
        await self._http.aclose()
