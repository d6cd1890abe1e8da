// Coaching sessions in the browser: start one from the Sessions page, two turns streamed as a
// chat's, the end with notes (a model failure first, shown and retried), notes edited in place,
// an action item ticked done, the notes exported as Markdown, and a second session with the
// same coach that starts from the item still open. The notes come from the summarize lane's
// model (fake-extract), scripted to answer with the notes' JSON.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import {
  UPSTREAM_URL, apiCall, createPerson, expectClean, keepEvidence, launch, openPage, screenshot,
  scriptReply, signIn, sleepUntil,
} from "./support.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => browser?.close());

const NOTES = {
  summary: "Sam wants calmer weeks and will start with walks.",
  insights: ["Mornings are the best time to focus."],
  action_items: [
    { text: "Walk 20 minutes daily", owner: "Sam", due_date: "2026-12-14", done: false },
    { text: "Call Mum on Sunday", owner: "Sam", due_date: null, done: false },
  ],
  follow_up_questions: ["How did the walks feel?"],
};

/** The summarize lane's model answers every request with `fields` (its memory extraction
 * too, which ignores what it cannot read) until the fake is reset after the test. */
function notesModelAnswers(fields) {
  return scriptReply(fields, { model: "fake-extract", times: null });
}

/** API errors the test provokes on purpose show up as console errors: those are expected. */
function forgive(page, ...statuses) {
  page.problems = page.problems.filter((p) => !statuses.some((status) => p.includes(`status of ${status}`)));
}

/** A character's reply that contains `text`, once it has been written whole. */
async function replied(page, text) {
  const reply = page.locator("article.message.reply", { hasText: text });
  await reply.waitFor();
  await sleepUntil(async () => (await reply.getAttribute("aria-busy")) === "false");
}

async function turn(page, said, answer) {
  await scriptReply({ reply: answer });
  await page.getByLabel("Message").fill(said);
  await page.getByRole("button", { name: "Send" }).click();
  await replied(page, answer);
}

async function startSession(page, coach, goal) {
  await page.getByLabel("Coach").selectOption({ label: coach });
  await page.getByLabel("Goal").fill(goal);
  await page.getByRole("button", { name: "Start session" }).click();
  await page.waitForURL(/\/sessions\/[^/]+$/);
  await page.getByRole("heading", { name: `Session with ${coach}` }).waitFor();
  return page.url().split("/").at(-1);
}

test("a session: two turns, notes after a failure, edited, ticked, exported; the next starts from what is open", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "sessions"));
  t.after(() => fetch(`${UPSTREAM_URL}/_fake/reset`, { method: "POST" }));
  const sam = await createPerson("session-sam", "Sam");
  await apiCall("POST", "/api/v2/characters", {
    token: sam.token,
    json: { name: "Coach Rae", description: "A calm, practical life coach.", first_message: "Hello Sam, what brings you here?" },
  });
  const voices = await apiCall("GET", "/api/v2/voices", { token: sam.token }).catch(() => ({ voices: [] }));
  await signIn(page, sam);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sessions" }).click();
  await page.getByRole("heading", { name: "Sessions", exact: true }).waitFor();
  await page.getByText("No sessions yet.").waitFor();
  const first = await startSession(page, "Coach Rae", "Calmer weeks");
  await page.getByText("Goal: Calmer weeks").waitFor();
  await page.locator("article.message", { hasText: "Hello Sam, what brings you here?" }).waitFor();
  if (voices.voices.length) await page.getByRole("button", { name: "Call", exact: true }).waitFor();

  await turn(page, "My weeks are hectic.", "What would a calmer week look like?");
  await turn(page, "More time outside, and calling my mum.", "Let us plan walks and a call on Sunday.");

  // The first try at notes fails: the session has ended, and the failure says so.
  await notesModelAnswers({ status: 400, message: "no notes today" });
  await page.getByRole("button", { name: "End session" }).click();
  await page.getByRole("button", { name: "End and write notes" }).click();
  const failure = page.locator("[data-error-code]");
  await failure.waitFor();
  assert.equal(await failure.getAttribute("data-error-code"), "notes_unavailable");
  assert.match(await failure.innerText(), /No model could write the notes/);
  forgive(page, 502);
  await page.getByText("Ended", { exact: true }).waitFor();
  assert.equal(await page.getByLabel("Message").count(), 0, "an ended session takes no turns");
  assert.equal(await page.getByRole("button", { name: "Call", exact: true }).count(), 0);

  // Retried, the notes come.
  await notesModelAnswers({ reply: JSON.stringify(NOTES) });
  await page.getByRole("button", { name: "Generate notes" }).click();
  const notes = page.getByRole("form", { name: "Notes" });
  await notes.waitFor();
  assert.equal(await notes.getByLabel("Summary").inputValue(), NOTES.summary);
  assert.equal(await notes.getByLabel("Action item 1").inputValue(), "Walk 20 minutes daily");
  assert.equal(await notes.getByLabel("Due date of Walk 20 minutes daily").inputValue(), "2026-12-14");

  // Edited in place and saved; the second item ticked done (saved at once).
  await notes.getByLabel("Action item 1").fill("Walk 30 minutes daily");
  await notes.getByRole("button", { name: "Save notes" }).click();
  await notes.getByText("Notes saved.").waitFor();
  await notes.getByLabel("Done: Call Mum on Sunday").check();
  const stored = await sleepUntil(async () => {
    const read = await apiCall("GET", `/api/v2/sessions/${first}`, { token: sam.token });
    return read.notes.action_items[1].done ? read : null;
  });
  assert.equal(stored.notes.action_items[0].text, "Walk 30 minutes daily");
  assert.equal(stored.notes.action_items[0].done, false);
  assert.equal(stored.turns, 2);
  await screenshot(page, "session-notes");
  await page.setViewportSize({ width: 375, height: 740 });
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `the notes are ${scroll}px wide in a ${width}px viewport`);
  await page.setViewportSize({ width: 1280, height: 800 });

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export as Markdown" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^session-notes-\d{4}-\d{2}-\d{2}\.md$/);
  const markdown = readFileSync(await download.path(), "utf8");
  assert.match(markdown, /^# Session with Coach Rae/);
  assert.ok(markdown.includes("- [ ] Walk 30 minutes daily — Sam (due 2026-12-14)"), markdown);
  assert.ok(markdown.includes("- [x] Call Mum on Sunday — Sam"), markdown);

  // The list, and a second session with the same coach: it starts from the open item.
  await page.getByRole("link", { name: "All sessions" }).click();
  const listed = page.getByRole("list", { name: "My sessions" }).locator("a");
  await listed.first().waitFor();
  assert.equal(await listed.count(), 1);
  assert.match(await listed.first().innerText(), /Coach Rae[\s\S]*Ended[\s\S]*Calmer weeks[\s\S]*2 turns/);
  assert.match(await page.getByTestId("session-stats").innerText(), /0 active · 2 turns today/);
  await screenshot(page, "sessions");

  const second = await startSession(page, "Coach Rae", "Keep it going");
  const carried = page.getByRole("region", { name: "Open from earlier sessions" });
  await carried.getByText("Walk 30 minutes daily").waitFor();
  assert.equal(await carried.getByText("Call Mum on Sunday").count(), 0, "a done item is not carried");
  await screenshot(page, "session");

  // Ended elsewhere (another tab, the API): the next turn is refused and the page shows it ended.
  await apiCall("POST", `/api/v2/sessions/${second}/end`, { token: sam.token, json: { generate_notes: false } });
  await page.getByLabel("Message").fill("Are you still there?");
  await page.getByRole("button", { name: "Send" }).click();
  await page.getByText("This session ended without notes.").waitFor();
  assert.equal(await page.getByLabel("Message").count(), 0);
  forgive(page, 409);
  expectClean(page);
});
