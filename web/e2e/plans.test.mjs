// Plans in the browser: the pricing page, "My plan" with its usage bars, the message a
// refused chat message shows (which limit, when it resets, the plan to look at), cancelling
// and reactivating, and the admin page (editing a plan, putting a person on it). The server
// runs with payments off (no Stripe key): no upgrade, checkout or billing buttons anywhere.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  apiCall, createPerson, expectClean, keepEvidence, launch, openPage, PASSWORD, screenshot, signIn,
} from "./support.mjs";

// The stack's first account (tests/e2e/test_web_ui.py): this server's admin.
const OWNER = { email: "owner@example.com" };
const PAYMENT_BUTTONS = /upgrade|checkout|manage billing/i;

let browser;
let adminToken;
before(async () => {
  browser = await launch();
  const tokens = await apiCall("POST", "/api/v2/auth/login", { json: { email: OWNER.email, password: PASSWORD } });
  adminToken = tokens.access_token;
});
after(async () => browser?.close());

let plans = 0;
/** A hidden plan made through the API, unique to the test that asks for it. */
function makePlan(fields) {
  plans += 1;
  const id = `e2e-${Date.now().toString(36)}-${plans}`;
  return apiCall("POST", "/api/v2/admin/plans", {
    token: adminToken,
    json: { id, name: `Plan ${plans}`, public: false, price_cents: 500, ...fields },
  });
}

/** Put `person` on `plan`, its period ending in 30 days. */
function putOnPlan(person, plan) {
  const end = new Date(Date.now() + 30 * 86_400_000).toISOString();
  return apiCall("PUT", `/api/v2/admin/users/${person.id}/subscription`, {
    token: adminToken,
    json: { plan_id: plan.id, current_period_end: end },
  });
}

async function chatWithSomeone(person) {
  const character = await apiCall("POST", "/api/v2/characters", {
    token: person.token,
    json: { name: "Quill", first_message: "Ready when you are." },
  });
  return apiCall("POST", "/api/v2/chats", { token: person.token, json: { character_ids: [character.id] } });
}

/** Refusals the test causes on purpose: the browser logs each failed request as an error.
 * 404: a server without the payment routes (payments off) answers GET /subscription/payments so. */
function forgive(page, ...statuses) {
  page.problems = page.problems.filter((p) => !statuses.some((status) => p.includes(`status of ${status}`)));
}

// Somewhere the UTC midnight a daily limit resets at is not midnight.
const ZONE = "America/New_York";

/** ICU puts a narrow no-break space before AM/PM; one version or another may not. */
function spaced(text) {
  return text.replace(/\s+/g, " ").trim();
}

function nextMidnightUtc() {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

test("the pricing page lists the public plans; payments off, it offers no checkout", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "plans-pricing"));
  await page.goto("/plans");
  for (const name of ["Free", "Basic", "Pro", "Enterprise"]) {
    await page.getByRole("heading", { name, exact: true }).waitFor();
  }
  assert.equal(await page.getByRole("heading", { name: "Unlimited" }).count(), 0, "a hidden plan is not listed");
  const basic = page.getByRole("region", { name: "Basic" });
  assert.match(await basic.innerText(), /\$9\.99 \/ month[\s\S]*Messages per day\s*500/);
  await page.getByRole("link", { name: "Create an account" }).waitFor();
  assert.equal(await page.getByRole("button", { name: PAYMENT_BUTTONS }).count(), 0);

  const kim = await createPerson("plans-kim", "Kim");
  await signIn(page, kim);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Plans" }).click();
  await page.getByText("You are on Unlimited (this server's default plan).").waitFor();
  await page.getByText("To change your plan, ask this server's admin.").waitFor();
  await page.getByRole("heading", { name: "Pro", exact: true }).waitFor();
  assert.equal(await page.getByRole("button", { name: PAYMENT_BUTTONS }).count(), 0);
  assert.equal(await page.getByRole("link", { name: "Admin" }).count(), 0, "only admins see the admin page");

  await putOnPlan(kim, { id: "basic" });
  await page.reload();
  const mine = page.getByRole("region", { name: "Basic" });
  await mine.getByText("Your plan", { exact: true }).waitFor();
  assert.equal(await page.getByText("Your plan", { exact: true }).count(), 1, "one plan is marked");
  assert.equal(await page.getByRole("button", { name: PAYMENT_BUTTONS }).count(), 0);
  await screenshot(page, "plans");
  forgive(page, 404);
  expectClean(page);
});

test("my plan shows usage bars; the day's last message spent, the chat says when it resets", async (t) => {
  const page = await openPage(browser, { timezoneId: ZONE });
  t.after(() => keepEvidence(page, "plans-limit"));
  const lou = await createPerson("plans-lou", "Lou");
  const tiny = await makePlan({ messages_per_day: 1, max_characters: 5 });
  await putOnPlan(lou, tiny);
  const chat = await chatWithSomeone(lou);
  await signIn(page, lou);

  await page.goto(`/chats/${chat.id}`);
  const box = page.getByLabel("Message");
  await box.fill("Hello there");
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator("article.message.reply", { hasText: "You said: Hello there" }).waitFor();

  await page.goto("/settings/plan");
  await page.getByText(tiny.name, { exact: true }).waitFor();
  const messages = page.getByRole("meter", { name: "Messages today" });
  assert.equal(await messages.getAttribute("aria-valuetext"), "1 of 1");
  assert.equal(await page.getByRole("meter", { name: "Characters" }).getAttribute("aria-valuetext"), "1 of 5");
  await page.getByText("To change your plan, ask this server's admin.").waitFor();
  assert.equal(await page.getByRole("button", { name: PAYMENT_BUTTONS }).count(), 0);
  await screenshot(page, "my-plan");

  await page.goto(`/chats/${chat.id}`);
  await box.fill("One more?");
  await page.getByRole("button", { name: "Send" }).click();
  const refusal = page.locator("form.composer").getByRole("alert").filter({ hasText: "Daily message limit reached" });
  await refusal.waitFor();
  assert.match(await refusal.innerText(), /allows 1 message/);
  const reset = refusal.locator("time");
  assert.equal(new Date(await reset.getAttribute("datetime")).getTime(), nextMidnightUtc().getTime());
  const local = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: ZONE });
  assert.equal(spaced(await reset.innerText()), spaced(local.format(nextMidnightUtc())), "the person's own time");
  assert.equal(await box.inputValue(), "One more?", "the refused message is kept to send later");
  const upgrade = refusal.getByRole("link", { name: /^See the .+ plan$/ });
  const target = new URL(await upgrade.getAttribute("href"), page.url());
  assert.equal(target.pathname, "/plans");
  await screenshot(page, "limit-reached");

  // Another reply to the same message is one of the day's messages too.
  const last = page.locator("article.message.reply", { hasText: "You said: Hello there" });
  await last.getByRole("button", { name: "Regenerate" }).click();
  await last.getByRole("alert").filter({ hasText: "Daily message limit reached" }).waitFor();

  await upgrade.click();
  const suggested = target.searchParams.get("plan");
  await page.locator(`section.plan.highlight[data-plan-id="${suggested}"]`).waitFor();
  forgive(page, 404, 429);
  expectClean(page);
});

test("a new character or API key beyond the plan says which plan allows it", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "plans-features"));
  const ida = await createPerson("plans-ida", "Ida");
  await putOnPlan(ida, await makePlan({ max_characters: 1, api_access: false }));
  await chatWithSomeone(ida); // her one character
  await signIn(page, ida);

  await page.goto("/characters/new");
  await page.getByLabel("Name", { exact: true }).fill("Second");
  await page.getByRole("button", { name: "Create character" }).click();
  const characters = page.getByRole("alert").filter({ hasText: "Character limit reached" });
  await characters.waitFor();
  assert.match(await characters.innerText(), /allows 1 characters/);
  await characters.getByRole("link", { name: /^See the .+ plan$/ }).waitFor();

  await page.goto("/settings/api-keys");
  await page.getByLabel("Key name").fill("Scripts");
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create key" }).click();
  const keys = page.getByRole("alert").filter({ hasText: "API access is not in your plan" });
  await keys.waitFor();
  const link = keys.getByRole("link", { name: "See the Pro plan" });
  assert.equal(await link.getAttribute("href"), "/plans?plan=pro");
  assert.equal(await keys.locator("time").count(), 0, "a missing feature does not reset by itself");
  forgive(page, 403);
  expectClean(page);
});

test("cancel a plan at the end of its period, then reactivate it", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "plans-cancel"));
  const max = await createPerson("plans-max", "Max");
  const monthly = await makePlan({ messages_per_day: 100 });
  await putOnPlan(max, monthly);
  await signIn(page, max);

  await page.goto("/settings");
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "My plan" }).click();
  await page.getByText(/Renews on /).waitFor();
  await page.getByRole("button", { name: "Cancel plan" }).click();
  await page.getByRole("button", { name: "Yes, cancel" }).click();
  await page.getByRole("status").filter({ hasText: /Cancelled: your plan ends on / }).waitFor();
  let current = await apiCall("GET", "/api/v2/subscription/current", { token: max.token });
  assert.equal(current.cancel_at_period_end, true);
  assert.equal(current.plan.id, monthly.id, "the plan lasts until the period ends");

  await page.getByRole("button", { name: "Reactivate" }).click();
  await page.getByText(/Renews on /).waitFor();
  current = await apiCall("GET", "/api/v2/subscription/current", { token: max.token });
  assert.equal(current.cancel_at_period_end, false);
  forgive(page, 404);
  expectClean(page);
});

test("the admin page: make a plan, edit its limits, put a person on it", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "plans-admin"));
  const ned = await createPerson("plans-ned", "Ned");
  await signIn(page, OWNER);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Admin" }).click();
  await page.getByRole("heading", { name: "Plans", exact: true }).waitFor();
  await page.locator('tr[data-plan-id="pro"]').waitFor();

  const id = `starter-${Date.now().toString(36)}`;
  await page.getByText("New plan", { exact: true }).click();
  const create = page.locator("details.new-plan");
  await create.getByLabel("Plan id").fill(id);
  await create.getByLabel("Name").fill("Starter");
  await create.getByLabel("Messages / day").fill("20");
  await create.getByLabel("Listed on the pricing page").uncheck();
  await create.getByRole("button", { name: "Create plan" }).click();
  const row = page.locator(`tr[data-plan-id="${id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Starter[\s\S]*20/);

  await row.getByRole("button", { name: "Edit Starter" }).click();
  const edit = page.getByRole("form", { name: "Edit Starter" });
  await edit.getByLabel("Messages / day").fill("7");
  await edit.getByLabel("Price ($ / month)").fill("4.50");
  await edit.getByRole("button", { name: "Save plan" }).click();
  await edit.waitFor({ state: "detached" });
  assert.match(await row.innerText(), /\$4\.50 \/ month\s*7\s/);
  await page.getByText("New plan", { exact: true }).click(); // folded again
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, "admin-plans");

  await page.getByLabel("Find a person").fill(ned.email);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("button", { name: `Choose ${ned.email}` }).click();
  await page.getByRole("heading", { name: ned.email }).waitFor();
  const assign = page.getByRole("form", { name: "Assign a plan" });
  await assign.getByRole("combobox", { name: /^Plan/ }).selectOption(id);
  await assign.getByRole("button", { name: "Assign plan" }).click();
  await page.getByRole("status").filter({ hasText: `${ned.email} is now on Starter.` }).waitFor();
  const messages = page.getByRole("meter", { name: "Messages today" });
  await page.waitForFunction(
    () => document.querySelector('[role="meter"][aria-label="Messages today"]')?.getAttribute("aria-valuetext") === "0 of 7",
  );
  assert.equal(await messages.getAttribute("aria-valuetext"), "0 of 7");

  const extra = page.getByRole("form", { name: "Extra quota" });
  await extra.getByLabel("Extra messages / day").fill("3");
  await extra.getByRole("button", { name: "Save extra quota" }).click();
  await page.getByRole("status").filter({ hasText: `Extra quota saved for ${ned.email}.` }).waitFor();
  const current = await apiCall("GET", "/api/v2/subscription/current", { token: ned.token });
  assert.equal(current.plan.id, id);
  assert.equal(current.plan.messages_per_day, 7);
  assert.equal(current.grants.extra_messages_per_day, 3);
  expectClean(page);
});

test("the admin page's daily usage: per day and in total, for everyone or one person", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "plans-daily-usage"));
  const pia = await createPerson("plans-pia", "Pia");
  await signIn(page, OWNER);
  await page.goto("/admin");
  const section = page.getByRole("region", { name: "Daily usage" });
  await section.getByText("Everyone on this server", { exact: false }).waitFor();
  const [from, to] = [await section.getByLabel("From").inputValue(), await section.getByLabel("To").inputValue()];
  assert.equal(Date.parse(to) - Date.parse(from), 29 * 86_400_000, "the last 30 days by default");

  // The stack's usage_daily rows (tests/e2e/test_web_ui.py) are from January 2026.

  await section.getByLabel("From").fill("2026-01-01");
  await section.getByLabel("To").fill("2026-01-31");
  const table = section.getByRole("table", { name: "Daily usage" });
  await table.waitFor();
  const rows = await table.locator("tbody tr").allInnerTexts();
  assert.deepEqual(rows.map(spaced), ["2026-01-10 3 1,500 $0.0045 1.5", "2026-01-11 2 1,000 $0.0025 0"]);
  assert.equal(spaced(await table.locator("tfoot tr").innerText()), "Total 5 2,500 $0.007 1.5");
  await section.getByLabel("To").blur();
  await section.scrollIntoViewIfNeeded();
  await screenshot(page, "admin-daily-usage");

  await page.getByLabel("Find a person").fill(pia.email);
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("button", { name: `Choose ${pia.email}` }).click();
  await section.getByText(`For ${pia.email}.`).waitFor();
  await section.getByText("No usage recorded yet (aggregated daily at 00:05 UTC).").waitFor();
  await section.getByRole("button", { name: "Show everyone" }).click();
  await table.waitFor();
  expectClean(page);
});
