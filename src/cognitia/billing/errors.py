"""Errors of plans and quotas: one shape for every limit (docs/plans.md).

CognitiaError (500)
└── DefaultPlanMissing (default_plan_missing): billing.default_plan names no plan
TooManyRequests (429)
├── QuotaExceeded (quota_exceeded): a daily limit is used up; Retry-After and `reset_at`
│   say when it resets (midnight UTC)
└── TooManyGenerations (too_many_generations): the plan's concurrent generations are all
    running; `limit`, Retry-After (a few seconds)
Forbidden (403)
├── ModelNotInPlan (model_not_in_plan): `model`, and `upgrade_to` a plan allowing it
├── TemporarilyBanned (temporarily_banned): too many refusals; Retry-After until it ends
├── FeatureNotInPlan (feature_not_in_plan): `feature`, and `upgrade_to` the plan that has it
├── PlanLimitReached (plan_limit_reached): a count the plan caps (characters) is reached
└── BudgetExhausted (budget_exhausted): this month's cost budget is spent; `reset_at`
NotFound (404)
├── PlanNotFound (plan_not_found)
└── UserNotFound (user_not_found): admin routes, a user that does not exist
Conflict (409)
├── PlanExists (plan_exists): a new plan's id is taken
├── PriceTaken (stripe_price_taken): another plan sells with that Stripe price
├── NoSubscription (no_subscription): nothing to cancel or reactivate (the default plan)
├── SubscriptionEnded (subscription_ended): too late to reactivate; choose a plan again
└── ManagedByStripe (managed_by_stripe): a paid subscription is cancelled in Stripe's portal
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cognitia.errors import CognitiaError, Conflict, Forbidden, NotFound, TooManyRequests


def _extras(body: dict[str, Any], **fields: object) -> dict[str, Any]:
    return body | {k: v for k, v in fields.items() if v is not None}


class QuotaExceeded(TooManyRequests):
    code = "quota_exceeded"

    def __init__(
        self,
        detail: str,
        *,
        limit: str,
        reset_at: datetime,
        retry_after: int,
        upgrade_to: str | None,
    ) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.headers["X-Quota-Reset"] = reset_at.isoformat()
        self.limit, self.reset_at, self.upgrade_to = limit, reset_at, upgrade_to

    def body(self) -> dict[str, Any]:
        reset = self.reset_at.isoformat()
        return _extras(super().body(), limit=self.limit, reset_at=reset, upgrade_to=self.upgrade_to)


class TooManyGenerations(TooManyRequests):
    code = "too_many_generations"

    def __init__(self, detail: str, *, limit: int, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.limit = limit

    def body(self) -> dict[str, Any]:
        return _extras(super().body(), limit=self.limit)


class ModelNotInPlan(Forbidden):
    code = "model_not_in_plan"

    def __init__(self, detail: str, *, model: str, upgrade_to: str | None) -> None:
        super().__init__(detail)
        self.model, self.upgrade_to = model, upgrade_to

    def body(self) -> dict[str, Any]:
        return _extras(super().body(), model=self.model, upgrade_to=self.upgrade_to)


class TemporarilyBanned(Forbidden):
    code = "temporarily_banned"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many refused requests: try again in {retry_after} s.")
        self.headers["Retry-After"] = str(retry_after)
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        return _extras(super().body(), retry_after=self.retry_after)


class FeatureNotInPlan(Forbidden):
    code = "feature_not_in_plan"

    def __init__(self, detail: str, *, feature: str, upgrade_to: str | None) -> None:
        super().__init__(detail)
        self.feature, self.upgrade_to = feature, upgrade_to

    def body(self) -> dict[str, Any]:
        return _extras(super().body(), feature=self.feature, upgrade_to=self.upgrade_to)


class PlanLimitReached(Forbidden):
    code = "plan_limit_reached"

    def __init__(self, detail: str, *, limit: str, upgrade_to: str | None) -> None:
        super().__init__(detail)
        self.limit, self.upgrade_to = limit, upgrade_to

    def body(self) -> dict[str, Any]:
        return _extras(super().body(), limit=self.limit, upgrade_to=self.upgrade_to)


class BudgetExhausted(Forbidden):
    code = "budget_exhausted"

    def __init__(self, detail: str, *, reset_at: datetime) -> None:
        super().__init__(detail)
        self.reset_at = reset_at

    def body(self) -> dict[str, Any]:
        return _extras(super().body(), reset_at=self.reset_at.isoformat())


class PlanNotFound(NotFound):
    code = "plan_not_found"
    default_detail = "No such plan."


class PlanExists(Conflict):
    code = "plan_exists"
    default_detail = "A plan with this id already exists."


class PriceTaken(Conflict):
    code = "stripe_price_taken"
    default_detail = "Another plan is sold with this Stripe price."


class NoSubscription(Conflict):
    code = "no_subscription"
    default_detail = "You are on the default plan: there is no subscription to change."


class SubscriptionEnded(Conflict):
    code = "subscription_ended"
    default_detail = "This subscription has ended; choose a plan again."


class ManagedByStripe(Conflict):
    code = "managed_by_stripe"
    default_detail = "This subscription is paid through Stripe: change it in the billing portal."


class UserNotFound(NotFound):
    code = "user_not_found"
    default_detail = "No such user."


class DefaultPlanMissing(CognitiaError):
    """A misconfigured server, not a bad request: logged as an error, answered 500."""

    code = "default_plan_missing"
    default_detail = "The server's default plan does not exist (billing.default_plan)."
