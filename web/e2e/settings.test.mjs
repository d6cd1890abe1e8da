// Settings: the profile (name, e-mail, password, user ID, account deletion), personas,
// API keys used from outside the browser, and usage after a chat.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  BASE_URL, PASSWORD, apiCall, createPerson, expectClean, keepEvidence, launch, openPage,
  screenshot, signIn, sleepUntil,
} from "./support.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

/** A character of the person's and one exchange with it, through the API (the fake model
 * answers "You said: ..."). */
async function chatThroughApi(person, content) {
  const character = await apiCall("POST", "/api/v2/characters", {
    token: person.token,
    json: { name: "Aria", description: "A cheerful lighthouse keeper." },
  });
  const chat = await apiCall("POST", "/api/v2/chats", {
    token: person.token,
    json: { character_ids: [character.id] },
  });
  await apiCall("POST", `/api/v2/chats/${chat.id}/messages`, { token: person.token, json: { content } });
  return { character, chat };
}

/** The page fits the viewport's width: nothing to scroll sideways. */
async function assertNoHorizontalOverflow(page, where) {
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `${where} is ${scroll}px wide in a ${width}px viewport`);
}

/** A 4xx the test provoked on purpose shows in the console as a failed resource load. */
function forgiveExpected(page, status) {
  page.problems = page.problems.filter((p) => !p.includes(`status of ${status}`));
}

test("the profile: a new name in the top bar, the user ID to copy, an e-mail change pending", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "settings-profile"));
  const person = await createPerson("profile", "Pat");
  await signIn(page, person);

  await page.goto("/settings");
  await page.getByRole("heading", { name: "Profile" }).waitFor();
  const settingsNav = page.getByRole("navigation", { name: "Settings" });
  for (const name of ["Profile", "Personas", "API keys", "Usage"]) {
    await settingsNav.getByRole("link", { name }).waitFor();
  }

  const userId = page.getByRole("textbox", { name: "Your user ID" });
  assert.equal(await userId.inputValue(), person.id);
  await page.getByRole("button", { name: "Copy" }).click();
  // Copied when the browser lets the page write to the clipboard, else selected for Ctrl+C.
  await page.getByRole("status").filter({ hasText: /Copied|Selected/ }).waitFor();

  const name = page.getByRole("region", { name: "Name" });
  await name.getByLabel("First name").fill("Alexandra");
  await name.getByLabel("Last name").fill("Quinn");
  await name.getByRole("button", { name: "Save name" }).click();
  await page.locator(".who", { hasText: "Alexandra" }).waitFor();
  await name.getByText("Saved.").waitFor();
  const me = await apiCall("GET", "/api/v2/users/me", { token: person.token });
  assert.equal(me.last_name, "Quinn");

  const email = page.getByRole("region", { name: "E-mail address" });
  const newAddress = person.email.replace("@", "+new@");
  await email.getByLabel("New e-mail address").fill(newAddress);
  await email.getByLabel("Current password").fill(PASSWORD);
  await email.getByRole("button", { name: "Change e-mail" }).click();
  await email.getByRole("status").filter({ hasText: newAddress }).waitFor();
  assert.match(await email.getByRole("status").innerText(), /verification link/);

  await page.reload();
  await page.locator(".who", { hasText: "Alexandra" }).waitFor();
  assert.equal(await page.getByLabel("First name").inputValue(), "Alexandra");
  await screenshot(page, "settings-profile");
  expectClean(page);
});

test("change the password and sign in with it; a wrong current password is refused", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "settings-password"));
  const person = await createPerson("password", "Sam");
  await signIn(page, person);
  await page.goto("/settings");
  const form = page.getByRole("region", { name: "Password" });

  await form.getByLabel("Current password", { exact: true }).fill(PASSWORD);
  await form.getByLabel("New password", { exact: true }).fill("NewSecret789");
  await form.getByLabel("Repeat the new password").fill("NewSecret780");
  await form.getByRole("button", { name: "Change password" }).click();
  await form.getByRole("alert").filter({ hasText: "not the same" }).waitFor();

  await form.getByLabel("Current password", { exact: true }).fill("WrongPass999");
  await form.getByLabel("Repeat the new password").fill("NewSecret789");
  await form.getByRole("button", { name: "Change password" }).click();
  const refusal = form.getByRole("alert");
  await refusal.filter({ hasText: /current_password/ }).waitFor();
  assert.match(await refusal.innerText(), /missing or wrong/);
  // The refusal is about the password, not the session: still signed in, still here.
  assert.equal(new URL(page.url()).pathname, "/settings");
  await page.locator(".who", { hasText: "Sam" }).waitFor();
  forgiveExpected(page, 401);

  await form.getByLabel("Current password", { exact: true }).fill(PASSWORD);
  await form.getByRole("button", { name: "Change password" }).click();
  await form.getByText("Your password has been changed").waitFor();
  await form.getByText("every API key was revoked").waitFor();

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
  await page.getByLabel("E-mail").fill(person.email);
  await page.getByLabel("Password").fill("NewSecret789");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/chats/);
  expectClean(page);
});

test("create, edit, make default and delete personas", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "settings-personas"));
  const person = await createPerson("personas");
  await signIn(page, person);
  await page.goto("/settings/personas");
  await page.getByText("No personas yet").waitFor();

  const creation = page.getByRole("region", { name: "New persona" });
  await creation.getByLabel("Name").fill("Captain Vale");
  await creation.getByLabel("Description").fill(
    "A retired starship captain with a dry wit, a prosthetic left hand and a soft spot for stray cats.",
  );
  await creation.getByLabel("My default persona").check();
  await creation.getByRole("button", { name: "Create persona" }).click();
  const vale = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Captain Vale" }) });
  await vale.getByText("Default", { exact: true }).waitFor();
  assert.equal(await creation.getByLabel("Name").inputValue(), "", "the form is ready for the next one");

  await creation.getByLabel("Name").fill("Juniper");
  await creation.getByLabel("Description").fill("A botanist on her first trip off-world.");
  await creation.getByRole("button", { name: "Create persona" }).click();
  const juniper = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: /^Juniper/ }) });
  await juniper.waitFor();

  await juniper.getByRole("button", { name: "Edit Juniper" }).click();
  // While edited, the persona is a form in its place in the list.
  const editor = page.getByRole("listitem").filter({ has: page.getByRole("button", { name: "Save persona" }) });
  assert.equal(await editor.getByLabel("Name").inputValue(), "Juniper");
  await editor.getByLabel("Name").fill("Juniper Lee");
  await editor.getByLabel("Description").fill("A botanist on her first trip off-world, homesick for rain.");
  await editor.getByLabel("My default persona").check();
  await editor.getByRole("button", { name: "Save persona" }).click();
  await juniper.getByRole("heading", { name: "Juniper Lee" }).waitFor();
  await juniper.getByText("Default", { exact: true }).waitFor();
  await vale.getByRole("button", { name: "Make default" }).waitFor();
  await screenshot(page, "personas");

  let stored = await apiCall("GET", "/api/v2/personas", { token: person.token });
  assert.deepEqual(
    stored.map((p) => [p.name, p.description, p.is_default]).sort(),
    [
      ["Captain Vale", "A retired starship captain with a dry wit, a prosthetic left hand and a soft spot for stray cats.", false],
      ["Juniper Lee", "A botanist on her first trip off-world, homesick for rain.", true],
    ],
  );

  await vale.getByRole("button", { name: "Delete Captain Vale" }).click();
  await vale.getByRole("button", { name: "Delete persona" }).click();
  await vale.waitFor({ state: "detached" });
  stored = await apiCall("GET", "/api/v2/personas", { token: person.token });
  assert.deepEqual(stored.map((p) => p.name), ["Juniper Lee"]);
  expectClean(page);
});

test("an API key is shown once, works from outside the browser, and stops when revoked", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "settings-api-keys"));
  const person = await createPerson("keys");
  // An older key, used once, so the list shows a last use.
  const older = await apiCall("POST", "/api/v2/api-keys", {
    token: person.token,
    json: { name: "Laptop scripts", current_password: PASSWORD },
  });
  await apiCall("GET", "/api/v2/auth/me", { token: older.key });
  await signIn(page, person);

  await page.goto("/settings/api-keys");
  await page.getByRole("listitem").filter({ hasText: "Laptop scripts" }).waitFor();
  await page.getByLabel("Key name").fill("Build server");
  await page.getByLabel("Access").selectOption("full");
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create key" }).click();
  const shown = page.getByRole("textbox", { name: "Your new API key" });
  await shown.waitFor();
  const key = await shown.inputValue();
  assert.match(key, /^cgk_/);
  await page.getByText("you won't see it again").waitFor();
  await screenshot(page, "api-keys");

  const asKey = (token) => fetch(`${BASE_URL}/api/v2/auth/me`, { headers: { Authorization: `Bearer ${token}` } });
  let response = await asKey(key);
  assert.equal(response.status, 200);
  assert.equal((await response.json()).id, person.id);

  await page.getByRole("button", { name: "I have copied it" }).click();
  await shown.waitFor({ state: "detached" });
  const item = page.getByRole("list", { name: "Active keys" }).getByRole("listitem").filter({ hasText: "Build server" });
  await item.getByText(key.slice(0, 12)).waitFor();
  await item.getByRole("button", { name: "Revoke Build server" }).click();
  await item.getByRole("button", { name: "Revoke key" }).click();
  await page.getByText("Revoked keys (1)").click();
  await page.getByRole("list", { name: "Revoked keys" }).getByText("Build server").waitFor();

  response = await asKey(key);
  assert.equal(response.status, 401);
  assert.equal((await asKey(older.key)).status, 200, "the other key still works");
  expectClean(page);
});

test("usage: empty at first, then a row for the model after a chat", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "settings-usage"));
  const person = await createPerson("usage");
  await signIn(page, person);
  await page.goto("/settings/usage");
  await page.getByText("No model calls in this period").waitFor();

  await chatThroughApi(person, "Tell me about the lighthouse on the northern cliffs.");
  await chatThroughApi(person, "What does the keeper do when the fog rolls in?");
  await sleepUntil(async () => {
    const report = await apiCall("GET", "/api/v2/usage", { token: person.token });
    return report.rows.length > 0;
  });

  await page.reload();
  const row = page.getByRole("row").filter({ hasText: "fake-chat" });
  await row.first().waitFor();
  const cells = await row.first().getByRole("cell").allInnerTexts();
  assert.ok(Number(cells[3].replace(/\D/g, "")) > 0, `tokens in: ${cells}`);
  assert.ok(Number(cells[4].replace(/\D/g, "")) > 0, `tokens out: ${cells}`);
  assert.match(cells[5], /\$/);

  await Promise.all([
    page.waitForResponse((response) => response.url().endsWith("/api/v2/usage?days=1")),
    page.getByLabel("Period").selectOption({ label: "Today" }),
  ]);
  await page.locator("[aria-busy=true]").waitFor({ state: "detached" });
  await row.first().waitFor();
  await screenshot(page, "usage");
  expectClean(page);
});

test("at phone width the settings pages fit the screen", async (t) => {
  const page = await openPage(browser, { width: 375, height: 740 });
  t.after(() => keepEvidence(page, "settings-phone"));
  const person = await createPerson("phone");
  await apiCall("POST", "/api/v2/api-keys", {
    token: person.token,
    json: { name: "A rather long key name for a phone", current_password: PASSWORD },
  });
  await signIn(page, person);

  await page.goto("/settings");
  await page.getByRole("textbox", { name: "Your user ID" }).waitFor();
  await assertNoHorizontalOverflow(page, "/settings");
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "API keys" }).click();
  await page.getByRole("listitem").filter({ hasText: "A rather long key name" }).waitFor();
  await assertNoHorizontalOverflow(page, "/settings/api-keys");
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Usage" }).click();
  await page.getByText("No model calls in this period").waitFor();
  await assertNoHorizontalOverflow(page, "/settings/usage");
  expectClean(page);
});

test("delete the account, after typing its e-mail address", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "settings-delete-account"));
  const person = await createPerson("leaving");
  await signIn(page, person);
  await page.goto("/settings");

  const danger = page.getByRole("region", { name: "Delete my account" });
  await danger.getByRole("button", { name: "Delete my account…" }).click();
  const confirm = danger.getByRole("button", { name: "Delete my account for good" });
  assert.ok(await confirm.isDisabled(), "nothing happens until the address is typed");
  await danger.getByRole("button", { name: "Cancel" }).click();
  await danger.getByRole("button", { name: "Delete my account…" }).click();
  await danger.getByLabel(/Type your e-mail address/).fill(person.email);
  await danger.getByLabel("Your password").fill(PASSWORD);
  await confirm.click();
  await page.waitForURL(/\/login/);

  const response = await fetch(`${BASE_URL}/api/v2/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: person.email, password: PASSWORD }),
  });
  assert.equal(response.status, 401, "the account is gone");
  expectClean(page);
});
