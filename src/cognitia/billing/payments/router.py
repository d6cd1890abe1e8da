"""Payments: /api/v2/subscription/{payments,checkout,portal} and Stripe's webhook."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request

from cognitia.auth.dependencies import Caller
from cognitia.billing.payments import service, webhooks
from cognitia.billing.payments.errors import PaymentsDisabled
from cognitia.billing.payments.schemas import (
    CheckoutCreate,
    CheckoutRead,
    PaymentsRead,
    PortalRead,
    WebhookRead,
)
from cognitia.billing.payments.service import Payments
from cognitia.http.deps import DbDep, SessionDep

router = APIRouter(prefix="/api/v2/subscription", tags=["subscription"])
webhook_router = APIRouter(prefix="/api/v2/billing/stripe", tags=["billing"])

_OFF: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not authenticated"},
    502: {"description": "payment_provider_error"},
}


def get_payments(request: Request) -> Payments | None:
    payments: Payments | None = request.app.state.runtime.payments
    return payments


def require_payments(payments: Annotated[Payments | None, Depends(get_payments)]) -> Payments:
    """404 payments_disabled while no Stripe key is set."""
    if payments is None:
        raise PaymentsDisabled()
    return payments


PaymentsDep = Annotated[Payments, Depends(require_payments)]


@router.get("/payments")
async def payments_state(
    payments: Annotated[Payments | None, Depends(get_payments)],
) -> PaymentsRead:
    """Whether plans can be bought here; no sign-in needed."""
    return PaymentsRead(enabled=payments is not None)


@router.post(
    "/checkout",
    responses={
        **_OFF,
        404: {"description": "payments_disabled, plan_not_found"},
        409: {"description": "plan_not_purchasable, already_on_plan"},
    },
)
async def checkout(
    data: CheckoutCreate, caller: Caller, db: DbDep, payments: PaymentsDep
) -> CheckoutRead:
    """Stripe Checkout for a plan; a paying user's subscription is moved to it instead."""
    # Caller, not CurrentUser: no transaction stays open while Stripe is called.
    return await service.checkout(db, payments, user=caller.user, plan_id=data.plan_id)


@router.post(
    "/portal",
    responses={
        **_OFF,
        404: {"description": "payments_disabled"},
        409: {"description": "no_customer"},
    },
)
async def portal(caller: Caller, db: DbDep, payments: PaymentsDep) -> PortalRead:
    """Stripe's customer portal: invoices, payment method, cancelling."""
    return PortalRead(url=await service.portal(db, payments, user_id=caller.user.id))


@webhook_router.post(
    "/webhook",
    responses={
        400: {"description": "invalid_signature, invalid_payload"},
        404: {"description": "payments_disabled"},
    },
)
async def webhook(
    request: Request,
    session: SessionDep,
    payments: PaymentsDep,
    stripe_signature: Annotated[str | None, Header()] = None,
) -> WebhookRead:
    """Stripe's events, verified by their signature; answered 200 once applied or ignored."""
    event = payments.gateway.verify(await request.body(), stripe_signature)
    outcome = await webhooks.apply(session, event, grace=payments.grace)
    return WebhookRead(outcome=outcome)
