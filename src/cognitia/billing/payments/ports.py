"""The PaymentGateway port: what the project asks of a payment provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cognitia.billing.payments.events import PaymentEvent


@dataclass(frozen=True)
class CheckoutRequest:
    """A Checkout session that subscribes `user_id` (their customer) to `price_id`."""

    user_id: str
    customer_id: str
    price_id: str
    success_url: str
    cancel_url: str


class PaymentGateway(Protocol):
    """Stripe, through its SDK (billing/providers/stripe_gateway.py).

    Calls raise PaymentProviderError (502) when the provider fails or cannot be reached;
    `verify` raises InvalidSignature or InvalidPayload (400) for a webhook that is not
    the provider's.
    """

    async def create_customer(self, *, user_id: str, email: str) -> str:
        """A new customer for the user; its id."""
        ...

    async def checkout_url(self, request: CheckoutRequest) -> str: ...

    async def portal_url(self, *, customer_id: str, return_url: str) -> str: ...

    async def change_price(self, *, subscription_id: str, price_id: str) -> None:
        """Move a subscription to another price; the provider prorates."""
        ...

    def verify(self, payload: bytes, signature: str | None) -> PaymentEvent:
        """A webhook's event, once its signature and timestamp are checked."""
        ...

    async def close(self) -> None: ...
