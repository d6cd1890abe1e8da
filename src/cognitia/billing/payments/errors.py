"""Errors of payments (docs/plans.md).

BadRequest (400)
├── InvalidSignature (invalid_signature): a webhook not signed with our secret, or too old
└── InvalidPayload (invalid_payload): a signed webhook whose body is not an event
NotFound (404)
└── PaymentsDisabled (payments_disabled): no Stripe key is set on this server
Conflict (409)
├── PlanNotPurchasable (plan_not_purchasable): the plan has no Stripe price or is hidden
├── AlreadyOnPlan (already_on_plan): the user's subscription is on that plan already
└── NoCustomer (no_customer): the portal, for someone who never paid
CognitiaError
└── PaymentProviderError (502 payment_provider_error): Stripe failed or was unreachable
"""

from __future__ import annotations

from cognitia.errors import BadRequest, CognitiaError, Conflict, NotFound


class InvalidSignature(BadRequest):
    code = "invalid_signature"
    default_detail = "The webhook's signature does not verify."


class InvalidPayload(BadRequest):
    code = "invalid_payload"
    default_detail = "The webhook's body is not a Stripe event."


class PaymentsDisabled(NotFound):
    code = "payments_disabled"
    default_detail = "Payments are not enabled on this server."


class PlanNotPurchasable(Conflict):
    code = "plan_not_purchasable"
    default_detail = "This plan cannot be bought online."


class AlreadyOnPlan(Conflict):
    code = "already_on_plan"
    default_detail = "Your subscription is on this plan already."


class NoCustomer(Conflict):
    code = "no_customer"
    default_detail = "You have no billing account yet: subscribe to a plan first."


class PaymentProviderError(CognitiaError):
    status_code = 502
    code = "payment_provider_error"
    default_detail = "The payment provider could not be reached; try again."
