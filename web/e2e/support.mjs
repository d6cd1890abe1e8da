// Shared by the browser suites: the browser, pages that fail on console errors, people
// made through the real API, links read from the server's console mail, screenshots.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const BASE_URL = process.env.E2E_BASE_URL ?? "http://127.0.0.1:8000";
export const UPSTREAM_URL = process.env.E2E_UPSTREAM_URL ?? "http://127.0.0.1:9000";
export const PASSWORD = "SecurePass123";
const SERVER_LOG = process.env.E2E_SERVER_LOG;
const SCREENSHOTS = process.env.E2E_SCREENSHOTS;
const ARTIFACTS = process.env.E2E_ARTIFACTS;

/** Debian's Chromium; never a browser playwright downloads. `extraArgs`: more switches
 * (the voice suite's fake microphone). */
export function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.E2E_CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
      ...extraArgs,
    ],
  });
}

/** A fresh context (a person) and page; every console error or page error is kept
 * on `page.problems` and `expectClean(page)` fails the test if there are any.
 * `timezoneId`: the person's time zone (the browser's own, UTC here, otherwise). */
export async function openPage(browser, { width = 1280, height = 800, timezoneId } = {}) {
  const context = await browser.newContext({ baseURL: BASE_URL, viewport: { width, height }, timezoneId });
  const page = await context.newPage();
  page.problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") page.problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => page.problems.push(`page error: ${error.message}`));
  page.on("dialog", (dialog) => {
    page.problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    dialog.dismiss();
  });
  return page;
}

export function expectClean(page) {
  assert.deepEqual(page.problems, [], "the page logged errors or opened a dialog");
}

/** On failure, a screenshot in web/e2e/artifacts/ helps to see why. */
export async function keepEvidence(page, name) {
  if (!ARTIFACTS || !page) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true }).catch(() => {});
}

/** Screenshots for docs/screenshots/, taken by the suites so they stay current. */
export async function screenshot(page, name) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

let counter = 0;
export function uniqueEmail(prefix) {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}@example.com`;
}

export async function sleepUntil(probe, { timeout = 20000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** The link of the last e-mail of `kind` ("verify-email" or "reset-password") to `email`. */
export function mailedLink(email, kind) {
  assert.ok(SERVER_LOG, "E2E_SERVER_LOG names the server's log");
  return sleepUntil(() => {
    const blocks = readFileSync(SERVER_LOG, "utf8").split("----- e-mail -----");
    for (const block of blocks.reverse()) {
      if (!block.includes(`\nTo: ${email}\n`)) continue;
      const found = block.match(new RegExp(`(http://\\S+/${kind}\\?token=\\S+)`));
      if (found) return found[1];
    }
    return null;
  });
}

export async function apiCall(method, path, { token, json } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${BASE_URL}${path}`, {
    method, headers, body: json === undefined ? undefined : JSON.stringify(json),
  });
  const body = response.status === 204 ? null : await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** A verified person made through the API (for tests about something else than sign-up). */
export async function createPerson(prefix, firstName = "Pat") {
  const email = uniqueEmail(prefix);
  await apiCall("POST", "/api/v2/auth/register", {
    json: { email, password: PASSWORD, first_name: firstName },
  });
  const link = await mailedLink(email, "verify-email");
  await apiCall("POST", "/api/v2/auth/verify-email", { json: { token: new URL(link).searchParams.get("token") } });
  const tokens = await apiCall("POST", "/api/v2/auth/login", { json: { email, password: PASSWORD } });
  const me = await apiCall("GET", "/api/v2/auth/me", { token: tokens.access_token });
  return { email, token: tokens.access_token, id: me.id, firstName };
}

/** Sign `person` in through the sign-in page. */
export async function signIn(page, person) {
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(person.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

/** Script the fake model's next reply (for every following request when times is null). */
export async function scriptReply(fields, { model = "fake-chat", times = 1 } = {}) {
  const response = await fetch(`${UPSTREAM_URL}/_fake/script`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ model, times, ...fields }),
  });
  assert.ok(response.ok);
}
