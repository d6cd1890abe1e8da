// A newcomer's first visit, end to end through the UI only: register, verify with the
// console link, sign in, import Seraphina's card, chat and watch the reply stream in,
// reload and find the conversation still there.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  PASSWORD, expectClean, keepEvidence, launch, mailedLink, openPage, sleepUntil, uniqueEmail,
} from "./support.mjs";

const SERAPHINA = new URL("../../../shared/data/cards/default_Seraphina.png", import.meta.url).pathname;

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test("register, verify, sign in, import a card, chat, reload", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "journey"));
  const email = uniqueEmail("journey");

  await page.goto("/register");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("First name").fill("Ada");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("we sent a verification link").waitFor();
  await page.goto(await mailedLink(email, "verify-email"));
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/chats/);

  await page.goto("/characters/import");
  await page.getByLabel("Card file").setInputFiles(SERAPHINA);
  await page.getByRole("button", { name: "Import" }).click();
  await page.getByRole("heading", { level: 1, name: "Seraphina" }).waitFor();

  await page.getByRole("button", { name: "Start chat" }).click();
  await page.waitForURL(/\/chats\/[^/]+$/);
  const chatUrl = page.url();

  const said = "Where am I, and who are you?";
  await page.getByLabel("Message").fill(said);
  await page.getByRole("button", { name: "Send" }).click();

  // The fake model answers "You said: <message>" a word every 40 ms: a part of it must
  // be on screen before the whole of it.
  const whole = `You said: ${said}`;
  let sawPart = false;
  await sleepUntil(async () => {
    const text = await page.locator("main").innerText();
    if (text.includes("You said:") && !text.includes(whole)) sawPart = true;
    return text.includes(whole);
  }, { interval: 20 });
  assert.ok(sawPart, "the reply appeared at once, not streamed");

  await page.reload();
  await page.getByText(said).first().waitFor();
  await page.getByText(whole).waitFor();
  assert.equal(page.url(), chatUrl);
  expectClean(page);
});
