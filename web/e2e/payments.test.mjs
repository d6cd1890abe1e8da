// Payments on (tests/e2e/test_web_ui.py's second server, its Stripe API the local
// stand-in): the pricing page sells a plan through Stripe Checkout, Stripe's signed
// webhooks put the person on it, and "My plan" opens the billing portal. Stripe's own
// pages (checkout.stripe.test, billing.stripe.test: the URLs the stand-in hands out) are
// answered by the browser here; the test asserts the browser was sent there.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, test } from "node:test";
import {
  apiCall, BASE_URL, createPerson, expectClean, keepEvidence, launch, openPage, PASSWORD, screenshot, signIn,
} from "./support.mjs";

const WEBHOOK_SECRET = process.env.E2E_STRIPE_WEBHOOK_SECRET;
const CHECKOUT = /^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/;
const PORTAL = /^https:\/\/billing\.stripe\.test\/p\/session\/bps_/;

let browser;
let adminToken;
before(async () => {
  assert.ok(WEBHOOK_SECRET, "E2E_STRIPE_WEBHOOK_SECRET: the server's webhook signing secret");
  browser = await launch();
  const tokens = await apiCall("POST", "/api/v2/auth/login", { json: { email: "owner@example.com", password: PASSWORD } });
  adminToken = tokens.access_token;
  // Basic is for sale; Pro has a price but no Stripe price: not for sale.
  await apiCall("PATCH", "/api/v2/admin/plans/basic", { token: adminToken, json: { stripe_price_id: "price_basic" } });
});
after(async () => browser?.close());

/** Stripe's pages, stood in for by the browser: a title to wait for. */
async function standInForStripe(page) {
  for (const host of ["checkout.stripe.test", "billing.stripe.test"]) {
    await page.route(`https://${host}/**`, (route) =>
      route.fulfill({ contentType: "text/html", body: `<title>${host}</title><h1>${host}</h1>` }));
  }
}

let events = 0;
/** Deliver an event as Stripe does: the body signed with HMAC-SHA256 of "<t>.<body>". */
async function deliver(type, object) {
  events += 1;
  const created = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    id: `evt_e2e_${created}_${events}`, object: "event", api_version: "2026-10-28.endive",
    created, type, livemode: false, data: { object },
  });
  const mac = createHmac("sha256", WEBHOOK_SECRET).update(`${created}.${body}`).digest("hex");
  const response = await fetch(`${BASE_URL}/api/v2/billing/stripe/webhook`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Stripe-Signature": `t=${created},v1=${mac}` },
    body,
  });
  const answer = await response.json();
  assert.equal(response.status, 200, JSON.stringify(answer));
  assert.equal(answer.outcome, "applied");
}

/** A subscription as Stripe sends it, its period on its item. */
function subscriptionOf(person, price, { cancelAtPeriodEnd = false } = {}) {
  const id = `sub_e2e_${person.id.slice(0, 8)}`;
  return {
    id, object: "subscription", customer: customerOf(person), status: "active",
    cancel_at_period_end: cancelAtPeriodEnd, metadata: { user_id: person.id },
    items: { object: "list", data: [{
      id: `si_${id}`, object: "subscription_item", price: { id: price, object: "price" },
      quantity: 1, current_period_end: Math.floor(Date.now() / 1000) + 30 * 86_400,
    }] },
  };
}

/** The customer the stand-in made at Checkout is not known here; the server finds the
 * person by the user id our Checkout put in the metadata, as for any first event. */
function customerOf(person) {
  return `cus_e2e_${person.id.slice(0, 8)}`;
}

/** What Stripe sends once `person` paid for `price`: the session, then the subscription. */
async function stripeConfirms(person, price) {
  const subscription = subscriptionOf(person, price);
  await deliver("checkout.session.completed", {
    id: `cs_test_e2e_${events}`, object: "checkout.session", mode: "subscription",
    client_reference_id: person.id, customer: subscription.customer, subscription: subscription.id,
    metadata: { user_id: person.id },
  });
  await deliver("customer.subscription.created", subscription);
}

test("upgrade through Checkout; once Stripe confirms, My plan opens the billing portal", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "payments-upgrade"));
  await standInForStripe(page);
  const ada = await createPerson("pay-ada", "Ada");
  await signIn(page, ada);

  await page.goto("/plans");
  const upgrade = page.getByRole("button", { name: "Upgrade to Basic" });
  await upgrade.waitFor();
  assert.equal(await page.getByRole("button", { name: "Upgrade to Pro" }).count(), 0, "no Stripe price: not for sale");
  await screenshot(page, "plans-payments");
  await upgrade.click();
  await page.waitForURL(CHECKOUT);

  await page.goto("/plans?checkout=success");
  await page.getByRole("status").filter({ hasText: "Your new plan applies as soon as the payment is confirmed." }).waitFor();
  await stripeConfirms(ada, "price_basic");
  await page.reload();
  await page.getByRole("region", { name: "Basic" }).getByText("Your plan", { exact: true }).waitFor();
  await page.getByText('To change or cancel your plan, use "Manage billing"', { exact: false }).waitFor();
  assert.equal(await page.getByRole("button", { name: /^Upgrade/ }).count(), 0, "a subscriber changes plans in the portal");

  await page.goto("/settings/plan");
  await page.getByText("Basic", { exact: true }).waitFor();
  const manage = page.getByRole("button", { name: "Manage billing" });
  await manage.waitFor();
  assert.equal(await page.getByRole("button", { name: "Cancel plan" }).count(), 0, "cancelled in the portal");
  await screenshot(page, "my-plan-stripe");
  await manage.click();
  await page.waitForURL(PORTAL);

  // Cancelled in the portal: Stripe says so, and My plan says where to take it back.
  await deliver("customer.subscription.updated", subscriptionOf(ada, "price_basic", { cancelAtPeriodEnd: true }));
  await page.goto("/settings/plan");
  await page.getByText('To keep it, use "Manage billing".').waitFor();
  assert.equal(await page.getByRole("button", { name: "Reactivate" }).count(), 0);
  expectClean(page);
});

test("checkout cancelled says nothing was charged; a plan an admin gave has no billing", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "payments-admin-plan"));
  const bo = await createPerson("pay-bo", "Bo");
  await signIn(page, bo);
  await page.goto("/plans?checkout=cancel");
  await page.getByRole("status").filter({ hasText: "Checkout was cancelled; nothing was charged." }).waitFor();

  const end = new Date(Date.now() + 30 * 86_400_000).toISOString();
  await apiCall("PUT", `/api/v2/admin/users/${bo.id}/subscription`, {
    token: adminToken, json: { plan_id: "pro", current_period_end: end },
  });
  await page.goto("/settings/plan");
  await page.getByText("To change your plan, ask this server's admin.").waitFor();
  await page.getByRole("button", { name: "Cancel plan" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Manage billing" }).count(), 0);
  expectClean(page);
});
