// Register, verify with the console link, sign in and out, reset a password, and a
// silent refresh when the access token has expired.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  PASSWORD, expectClean, keepEvidence, launch, mailedLink, openPage, screenshot, signIn, uniqueEmail,
} from "./support.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test("register, verify by the mailed link, sign in, sign out", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "auth-register"));
  const email = uniqueEmail("reg");

  await page.goto("/");
  await page.waitForURL(/\/login/);
  await screenshot(page, "sign-in");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("First name").fill("Robin");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("we sent a verification link").waitFor();

  const link = await mailedLink(email, "verify-email");
  await page.goto(link);
  await page.getByText("Your e-mail address is verified").waitFor();

  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/chats/);
  assert.match(await page.locator(".who").innerText(), /Robin/);

  await page.reload();
  assert.match(await page.locator(".who").innerText(), /Robin/, "a reload stays signed in");

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(/\/login/);
  await page.goto("/settings");
  await page.waitForURL(/\/login\?next=%2Fsettings/);
  expectClean(page);
});

test("a wrong password is refused with the API's message", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "auth-wrong-password"));
  await page.goto("/login");
  await page.getByLabel("E-mail").fill(uniqueEmail("nobody"));
  await page.getByLabel("Password").fill("WrongPass123");
  await page.getByRole("button", { name: "Sign in" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /password/i);
  // The failed sign-in answered 401: that one console error is expected.
  page.problems = page.problems.filter((p) => !p.includes("401"));
  expectClean(page);
});

test("reset a forgotten password with the mailed link", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "auth-reset"));
  const { createPerson } = await import("./support.mjs");
  const person = await createPerson("reset");

  await page.goto("/forgot-password");
  await page.getByLabel("E-mail").fill(person.email);
  await page.getByRole("button", { name: "Send a reset link" }).click();
  await page.getByText("a reset link is on its way").waitFor();

  const link = await mailedLink(person.email, "reset-password");
  await page.goto(link);
  await page.getByLabel("New password").fill("NewSecret456");
  await page.getByLabel("Repeat it").fill("NewSecret456");
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByText("Your password has been changed").waitFor();

  await page.getByLabel("E-mail").fill(person.email);
  await page.getByLabel("Password").fill("NewSecret456");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/chats/);
  expectClean(page);
});

test("an expired access token is refreshed without the person noticing", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "auth-refresh"));
  const { createPerson } = await import("./support.mjs");
  const person = await createPerson("refresh", "Sam");
  await signIn(page, person);

  // Spoil the access token as an expired one would be; keep the refresh token.
  await page.evaluate(() => {
    const pair = JSON.parse(localStorage.getItem("cognitia.tokens"));
    localStorage.setItem("cognitia.tokens", JSON.stringify({ ...pair, access_token: "expired" }));
  });
  let refreshed = 0;
  page.on("response", (response) => {
    if (response.url().endsWith("/api/v2/auth/refresh") && response.ok()) refreshed += 1;
  });
  await page.reload();
  await page.locator(".who", { hasText: "Sam" }).waitFor();
  assert.equal(refreshed, 1);
  const pair = await page.evaluate(() => JSON.parse(localStorage.getItem("cognitia.tokens")));
  assert.notEqual(pair.access_token, "expired");
  // The first /auth/me answered 401 before the refresh: expected, not an app error.
  page.problems = page.problems.filter((p) => !p.includes("401"));
  expectClean(page);
});

test("the keyboard alone signs in and reaches the main menu", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "auth-keyboard"));
  const { createPerson } = await import("./support.mjs");
  const person = await createPerson("keys", "Kai");

  await page.goto("/login");
  await page.keyboard.press("Tab"); // the first field takes the focus from the page
  await page.keyboard.type(person.email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/chats/);

  // Tab from the page's start reaches the menu's links, and Enter follows one.
  await page.locator("body").focus();
  let focused = "";
  for (let i = 0; i < 10 && focused !== "Marketplace"; i++) {
    await page.keyboard.press("Tab");
    focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
  }
  assert.equal(focused, "Marketplace");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/marketplace/);
  expectClean(page);
});
