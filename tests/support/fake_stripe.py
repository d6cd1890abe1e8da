"""A local stand-in for the Stripe API, and webhooks signed with Stripe's real scheme.

The server runs uvicorn on 127.0.0.1 on a thread of its own and answers the form-encoded
calls the project makes, with Stripe-shaped JSON:

    POST /v1/customers                    POST /v1/checkout/sessions
    POST /v1/billing_portal/sessions      GET|POST /v1/subscriptions/{id}

Every request is recorded, its form flattened as Stripe encodes it
(`line_items[0][price]`). The app's SDK is pointed here with
COGNITIA_BILLING__STRIPE__API_BASE.

    with FakeStripe() as fake:
        fake.subscriptions["sub_1"] = subscription("sub_1", customer="cus_1", price="price_pro")
        fake.fail_next(400)                       # the next call gets a Stripe error
        ...
        assert fake.last("/v1/checkout/sessions").form["line_items[0][price]"] == "price_pro"

Webhooks: `signed(event, secret)` is the body and the Stripe-Signature header
(`t=<unix>,v1=<HMAC-SHA256(secret, "<t>.<body>")>`), computed here, not by the SDK.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.served import ServedApp

Json = dict[str, Any]
_ids = itertools.count(1)


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    form: dict[str, str]
    headers: dict[str, str]


def subscription(
    sub_id: str,
    *,
    customer: str,
    price: str,
    status: str = "active",
    period_end: int = 1_900_000_000,
    cancel_at_period_end: bool = False,
    user_id: str | None = None,
) -> Json:
    """A subscription as Stripe's current API version sends it: the period on its item."""
    item = {
        "id": f"si_{sub_id}",
        "object": "subscription_item",
        "price": {"id": price, "object": "price"},
        "quantity": 1,
        "current_period_end": period_end,
    }
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "items": {"object": "list", "data": [item]},
        "metadata": {"user_id": user_id} if user_id else {},
    }


def invoice(
    *, customer: str, subscription_id: str | None, price: str, period_end: int = 1_900_000_000
) -> Json:
    """An invoice for a subscription: a proration line, then the plan's line."""
    details = {"subscription": subscription_id} if subscription_id else None

    def line(proration: bool, line_price: str) -> Json:
        return {
            "object": "line_item",
            "parent": {"subscription_item_details": {"proration": proration}},
            "pricing": {"price_details": {"price": line_price}},
            "period": {"start": period_end - 2_592_000, "end": period_end},
        }

    return {
        "id": f"in_{next(_ids)}",
        "object": "invoice",
        "customer": customer,
        "parent": {"subscription_details": details} if details else None,
        "lines": {"object": "list", "data": [line(True, "price_old"), line(False, price)]},
    }


def checkout_session(
    *, user_id: str, customer: str, subscription_id: str, mode: str = "subscription"
) -> Json:
    return {
        "id": f"cs_test_{next(_ids)}",
        "object": "checkout.session",
        "mode": mode,
        "client_reference_id": user_id,
        "customer": customer,
        "subscription": subscription_id,
        "metadata": {"user_id": user_id},
    }


def event(kind: str, obj: Json, *, created: int, event_id: str | None = None) -> Json:
    return {
        "id": event_id or f"evt_{next(_ids)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created,
        "type": kind,
        "livemode": False,
        "data": {"object": obj},
    }


def signature(payload: str, secret: str, *, timestamp: int | None = None) -> str:
    """Stripe's Stripe-Signature header for `payload`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def signed(body: Json, secret: str, *, timestamp: int | None = None) -> tuple[str, dict[str, str]]:
    """The JSON body and the headers of a webhook delivery."""
    payload = json.dumps(body)
    headers = {"Stripe-Signature": signature(payload, secret, timestamp=timestamp)}
    return payload, {**headers, "Content-Type": "application/json"}


def _error(status: int, message: str) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "api_error"
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status)


class FakeStripe(ServedApp):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Received] = []
        self.subscriptions: dict[str, Json] = {}
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self.app = Starlette(
            routes=[
                Route("/v1/customers", self._customer, methods=["POST"]),
                Route("/v1/checkout/sessions", self._checkout, methods=["POST"]),
                Route("/v1/billing_portal/sessions", self._portal, methods=["POST"]),
                Route("/v1/subscriptions/{sub_id}", self._subscription, methods=["GET", "POST"]),
            ]
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, status: int) -> None:
        """The next request is answered with a Stripe error of this status."""
        with self._lock:
            self._failures.append(status)

    def calls(self, path: str) -> list[Received]:
        return [r for r in list(self.requests) if r.path == path]

    def last(self, path: str) -> Received:
        found = self.calls(path)
        assert found, f"the fake Stripe received no request for {path}"
        return found[-1]

    # -- routes ------------------------------------------------------------------------

    async def _record(self, request: Request) -> tuple[Received, int | None]:
        body = (await request.body()).decode()
        received = Received(
            request.method, request.url.path, dict(parse_qsl(body)), dict(request.headers)
        )
        with self._lock:
            self.requests.append(received)
            failure = self._failures.pop(0) if self._failures else None
        return received, failure

    async def _customer(self, request: Request) -> JSONResponse:
        got, failure = await self._record(request)
        if failure:
            return _error(failure, "scripted failure")
        customer = {"id": f"cus_{next(_ids)}", "object": "customer", "email": got.form["email"]}
        return JSONResponse({**customer, "metadata": {"user_id": got.form["metadata[user_id]"]}})

    async def _checkout(self, request: Request) -> JSONResponse:
        got, failure = await self._record(request)
        if failure:
            return _error(failure, "scripted failure")
        session_id = f"cs_test_{next(_ids)}"
        return JSONResponse(
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": got.form["mode"],
                "customer": got.form["customer"],
                "client_reference_id": got.form.get("client_reference_id"),
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            }
        )

    async def _portal(self, request: Request) -> JSONResponse:
        got, failure = await self._record(request)
        if failure:
            return _error(failure, "scripted failure")
        session_id = f"bps_{next(_ids)}"
        return JSONResponse(
            {
                "id": session_id,
                "object": "billing_portal.session",
                "customer": got.form["customer"],
                "return_url": got.form["return_url"],
                "url": f"https://billing.stripe.test/p/session/{session_id}",
            }
        )

    async def _subscription(self, request: Request) -> JSONResponse:
        got, failure = await self._record(request)
        if failure:
            return _error(failure, "scripted failure")
        found = self.subscriptions.get(request.path_params["sub_id"])
        if found is None:
            return _error(404, "No such subscription")
        if got.method == "POST":
            item = found["items"]["data"][0]
            assert got.form["items[0][id]"] == item["id"], got.form
            item["price"] = {"id": got.form["items[0][price]"], "object": "price"}
            found["cancel_at_period_end"] = got.form.get("cancel_at_period_end") == "true"
        return JSONResponse(found)
