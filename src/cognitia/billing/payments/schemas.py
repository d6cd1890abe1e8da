"""Payments as the API shows them (/api/v2/subscription)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from cognitia.billing.schemas import PlanSlug


class PaymentsRead(BaseModel):
    enabled: bool = Field(description="false: no payment routes; everyone is on admin-set plans.")


class CheckoutCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: PlanSlug


class CheckoutRead(BaseModel):
    """Either a Checkout page to send the user to, or (a paying user) their subscription
    moved to the plan: `url` null, `changed` true; the plan applies once Stripe confirms."""

    url: str | None
    changed: bool = False


class PortalRead(BaseModel):
    url: str


class WebhookRead(BaseModel):
    received: bool = True
    outcome: str = Field(description="applied, duplicate, stale, ignored, unknown_customer")
