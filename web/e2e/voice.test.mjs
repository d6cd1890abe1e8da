// Voice in the browser, with the server's real local voice (piper and Whisper in its voice
// runner) and Chromium's fake microphone playing a sentence that voice spoke: the voice
// choice and preview in the character editor, a reply played on request, replies spoken as
// they are written, dictation into the composer, and no voice controls when the server has
// no voice. The model is the fake upstream, so the reply to what was heard is predictable.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { after, before, test } from "node:test";
import {
  BASE_URL, PASSWORD, UPSTREAM_URL, apiCall, createPerson, expectClean, keepEvidence, launch, openPage, screenshot,
  scriptReply, signIn, sleepUntil,
} from "./support.mjs";

const SPOKEN = "Hello there, can you tell me about the stars?";
let browser;
let owner;
let spokenSeconds;

before(async () => {
  owner = await createPerson("voice-owner", "Vera");
  const wav = await speak(owner, SPOKEN);
  spokenSeconds = wavSeconds(wav);
  const dir = join(process.env.E2E_ARTIFACTS ?? tmpdir(), "voice");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "microphone.wav");
  writeFileSync(file, wav);
  browser = await launch([
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    // %noloop: the sentence once, then silence (as someone who waits for the answer).
    `--use-file-for-fake-audio-capture=${file}%noloop`,
  ]);
});
after(async () => browser?.close());

/** The server's own voice saying `text`: a 16-bit PCM WAV, as Chromium's fake capture wants. */
async function speak(person, text) {
  const response = await fetch(`${BASE_URL}/api/v2/voice/speech`, {
    method: "POST",
    headers: { Authorization: `Bearer ${person.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ text, response_format: "wav" }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return Buffer.from(await response.arrayBuffer());
}

/** The samples of a WAV file (its "data" chunk) and the header before them. */
function wavParts(wav) {
  const at = wav.indexOf("data", 12, "ascii");
  return { header: wav.subarray(0, at + 8), samples: wav.subarray(at + 8, at + 8 + wav.readUInt32LE(at + 4)) };
}

/** One WAV of `parts` in order: WAV files (all from the same voice) and seconds of silence. */
function joinWavs(...parts) {
  const first = wavParts(parts.find((p) => typeof p !== "number"));
  const byteRate = first.header.readUInt32LE(28);
  const samples = Buffer.concat(
    parts.map((p) => (typeof p === "number" ? Buffer.alloc(Math.round(p * byteRate) & ~1) : wavParts(p).samples)),
  );
  const header = Buffer.from(first.header);
  header.writeUInt32LE(header.length - 8 + samples.length, 4);
  header.writeUInt32LE(samples.length, header.length - 4);
  return Buffer.concat([header, samples]);
}

/** A canonical 44-byte-header WAV's length in seconds. */
function wavSeconds(wav) {
  assert.equal(wav.toString("ascii", 0, 4), "RIFF");
  const byteRate = wav.readUInt32LE(28);
  return (wav.length - 44) / byteRate;
}

function makeCharacter(person, fields) {
  return apiCall("POST", "/api/v2/characters", { token: person.token, json: fields });
}

function makeChat(person, character) {
  return apiCall("POST", "/api/v2/chats", { token: person.token, json: { character_ids: [character.id] } });
}

/** What the page has decoded and played (lib/voice/player.ts keeps the counts). */
function audio(page) {
  return page.evaluate(() => ({ ...globalThis.cognitiaAudio }));
}

async function signedIn(t, name) {
  const page = await openPage(browser);
  t.after(async () => {
    if (t.passed === false) await keepEvidence(page, name);
    await page.context().close();
  });
  await signIn(page, owner);
  return page;
}

test("the character editor offers the server's voices, a speed and a preview", async (t) => {
  const page = await signedIn(t, "voice-editor");
  const character = await makeCharacter(owner, { name: "Lyra", first_message: "Good evening, {{user}}." });
  await page.goto(`/characters/${character.id}/edit`);
  const choice = page.getByLabel("Voice", { exact: true });
  await choice.waitFor();
  const voices = await apiCall("GET", "/api/v2/voices", { token: owner.token });
  const offered = await choice.locator("option").allInnerTexts();
  for (const voice of voices.voices) assert.ok(offered.some((o) => o.startsWith(voice.name)), offered.join(" | "));
  await choice.selectOption("espeak");
  await page.getByLabel("Speed").fill("1.5");
  await page.getByRole("button", { name: "Preview voice" }).click();
  await sleepUntil(async () => (await audio(page)).decoded >= 1);
  await screenshot(page, "voice-character-editor");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
  const saved = await apiCall("GET", `/api/v2/characters/${character.id}`, { token: owner.token });
  assert.equal(saved.voice_model, "espeak");
  assert.equal(saved.voice_settings.speed, 1.5);
  expectClean(page);
});

test("a reply plays on request in its character's voice", async (t) => {
  const page = await signedIn(t, "voice-play");
  const character = await makeCharacter(owner, { name: "Orion", first_message: "The hunter is up tonight." });
  const chat = await makeChat(owner, character);
  await page.goto(`/chats/${chat.id}`);
  const reply = page.locator("article.message.reply", { hasText: "The hunter is up tonight." });
  await reply.getByRole("button", { name: "Play" }).click();
  await sleepUntil(async () => (await audio(page)).decoded >= 1);
  const heard = await audio(page);
  assert.ok(heard.bytes > 10_000, `only ${heard.bytes} bytes of audio`);
  expectClean(page);
});

test("with Speak replies on, each sentence of a reply plays as it comes", async (t) => {
  const page = await signedIn(t, "voice-speak");
  const character = await makeCharacter(owner, { name: "Vega", first_message: "Ask me anything." });
  const chat = await makeChat(owner, character);
  await page.goto(`/chats/${chat.id}`);
  await page.getByLabel("Speak replies").check();
  await page.getByLabel("Message").fill("Which star is brightest? Tell me its name.");
  await page.getByRole("button", { name: "Send" }).click();
  const reply = page.locator("article.message.reply", { hasText: "You said: Which star is brightest?" });
  await reply.waitFor();
  // Two sentences, two audio events, each a WAV the page decoded and played.
  await sleepUntil(async () => (await audio(page)).decoded >= 2, { timeout: 30000 });
  const heard = await audio(page);
  assert.ok(heard.played >= 1, JSON.stringify(heard));
  // The choice is kept for this chat.
  await page.reload();
  assert.equal(await page.getByLabel("Speak replies").isChecked(), true);
  expectClean(page);
});

test("stopping a spoken reply silences it: nothing of it plays after the stop", async (t) => {
  const page = await signedIn(t, "voice-stop");
  const character = await makeCharacter(owner, { name: "Altair", first_message: "A long tale awaits." });
  const chat = await makeChat(owner, character);
  const tale = Array.from({ length: 12 }, (_, i) => `Star number ${i + 1} is bright tonight.`).join(" ");
  await scriptReply({ reply: tale, token_delay: 0.1 });
  await page.goto(`/chats/${chat.id}`);
  await page.getByLabel("Speak replies").check();
  await page.getByLabel("Message").fill("Tell me the long tale.");
  await page.getByRole("button", { name: "Send" }).click();
  await sleepUntil(async () => (await audio(page)).played >= 1, { timeout: 30000 });
  await page.getByRole("button", { name: "Stop", exact: true }).click();
  const atStop = await audio(page);
  const reply = page.locator("article.message.reply", { hasText: "Star number 1" });
  await reply.locator(".status-stopped").waitFor();
  // The turn's stream has ended (Send is possible again): every event of it has come.
  await page.getByLabel("Message").fill("Thanks.");
  await page.getByRole("button", { name: "Send" }).waitFor({ state: "visible" });
  await sleepUntil(() => page.getByRole("button", { name: "Send" }).isEnabled());
  const afterwards = await audio(page);
  assert.equal(afterwards.played, atStop.played, JSON.stringify({ atStop, afterwards }));
  expectClean(page);
});

test("dictation puts what the microphone heard into the composer", async (t) => {
  const page = await signedIn(t, "voice-dictation");
  const character = await makeCharacter(owner, { name: "Sirius", first_message: "Speak up!" });
  const chat = await makeChat(owner, character);
  await page.goto(`/chats/${chat.id}`);
  await page.getByRole("button", { name: "Dictate" }).click();
  const seconds = page.locator(".dictate .seconds");
  // The fake microphone says the sentence once: record until it has been said.
  await sleepUntil(async () => Number(await seconds.getAttribute("data-seconds").catch(() => 0)) > spokenSeconds + 0.5);
  await page.getByRole("button", { name: /Stop dictation/ }).click();
  const composer = page.getByLabel("Message");
  const text = await sleepUntil(async () => (await composer.inputValue()) || null, { timeout: 30000 });
  assert.match(text.toLowerCase(), /tell me about the stars/);
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator("article.message.reply", { hasText: /You said: .*stars/i }).waitFor();
  expectClean(page);
});

test("a call: the microphone's sentence is heard, answered aloud with captions; mute; hang up", async (t) => {
  const page = await signedIn(t, "voice-call");
  const sent = []; // what the page sent on the call's socket, in order
  page.on("websocket", (ws) =>
    ws.on("framesent", (frame) => sent.push(typeof frame.payload === "string" ? JSON.parse(frame.payload).type : "audio")),
  );
  const character = await makeCharacter(owner, { name: "Polaris", first_message: "Call me any time." });
  const chat = await makeChat(owner, character);
  await page.goto(`/chats/${chat.id}`);
  await page.getByRole("button", { name: "Call", exact: true }).click();
  const call = page.getByRole("region", { name: "Call" });
  const transcript = call.getByRole("list", { name: "Call transcript" });
  // What the fake microphone said, as Whisper heard it, stored as the person's message.
  const said = transcript.locator("li.you", { hasText: /stars/i });
  await said.waitFor({ timeout: 60000 });
  // The fake model's answer, captioned as it is heard.
  const answer = transcript.locator("li.them", { hasText: /You said/i });
  await answer.waitFor({ timeout: 60000 });
  // Every clause captioned once, in order: the line ends up as the whole reply.
  const words = (await said.locator(".text").innerText()).trim();
  await sleepUntil(async () => (await answer.innerText()).trim() === `Polaris: You said: ${words}`, { timeout: 30000 });
  await sleepUntil(async () => (await audio(page)).callFrames >= 1);
  const heard = await audio(page);
  assert.ok(heard.callBytes > 10_000, JSON.stringify(heard));
  await screenshot(page, "voice-call");
  // Once the reply has been heard the call listens again.
  await call.getByRole("status").filter({ hasText: "Listening" }).waitFor({ timeout: 30000 });
  // Muted, the microphone's frames stay in the page (here: half a second of them).
  const before = (await audio(page)).micMuted;
  await call.getByRole("button", { name: "Mute" }).click();
  await sleepUntil(async () => (await audio(page)).micMuted >= before + 12);
  await call.getByRole("button", { name: "Unmute" }).click();
  await sleepUntil(() => sent.lastIndexOf("audio") > sent.indexOf("unmute"));
  const muted = sent.slice(sent.indexOf("mute"), sent.indexOf("unmute"));
  assert.deepEqual(muted, ["mute"], "audio was sent while muted");
  await call.getByRole("button", { name: "Hang up" }).click();
  await call.getByText("The call ended.").waitFor();
  assert.equal(sent[0], "start");
  assert.equal(sent.at(-1), "hangup");
  // Both sides of the call are in the chat, as messages.
  const history = await apiCall("GET", `/api/v2/chats/${chat.id}/messages`, { token: owner.token });
  const contents = history.items.map((m) => m.content).join("\n");
  assert.match(contents, /stars/i);
  assert.match(contents, /You said/i);
  expectClean(page);
});

test("a call in a group chat: the person picks who answers", async (t) => {
  const page = await signedIn(t, "voice-group-call");
  const first = await makeCharacter(owner, { name: "Castor", first_message: "I am Castor." });
  const second = await makeCharacter(owner, { name: "Pollux", first_message: "And I am Pollux." });
  const chat = await apiCall("POST", "/api/v2/chats", {
    token: owner.token, json: { character_ids: [first.id, second.id] },
  });
  await page.goto(`/chats/${chat.id}`);
  await page.getByRole("button", { name: "Call", exact: true }).click();
  const call = page.getByRole("region", { name: "Call" });
  await call.getByLabel("Who answers").selectOption({ label: "Pollux" });
  await call.getByRole("button", { name: "Start the call" }).click();
  const answer = call.getByRole("list", { name: "Call transcript" }).locator("li.them", { hasText: /You said/i });
  await answer.waitFor({ timeout: 60000 });
  assert.match(await answer.innerText(), /^Pollux: /);
  await call.getByRole("button", { name: "Hang up" }).click();
  await call.getByText("The call ended.").waitFor();
  expectClean(page);
});

test("barge-in: speaking over a reply silences it at once and keeps what was said", async (t) => {
  // A microphone that asks, waits a little, and asks again, over and over (the file loops),
  // while every answer is a long tale: each question after the first is spoken over a
  // reply. Whichever one first comes while the reply's audio plays cuts that audio.
  const wav = joinWavs(await speak(owner, SPOKEN), 5, await speak(owner, "Wait, I have another question."), 5);
  const file = join(process.env.E2E_ARTIFACTS ?? tmpdir(), "voice", "barge-in.wav");
  writeFileSync(file, wav);
  const interrupting = await launch([
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${file}`,
  ]);
  t.after(() => interrupting.close());
  const page = await openPage(interrupting);
  t.after(async () => {
    if (t.passed === false) await keepEvidence(page, "voice-barge-in");
    await fetch(`${UPSTREAM_URL}/_fake/reset`, { method: "POST" });
  });
  await signIn(page, owner);
  const character = await makeCharacter(owner, { name: "Rigel", first_message: "Ask away." });
  const chat = await makeChat(owner, character);
  // A short first sentence is heard soon; the rest is still being written when interrupted.
  const tale = ["Listen well.", ...Array.from({ length: 15 }, (_, i) => `Star number ${i + 1} is a long way from here.`)].join(" ");
  // Still being written when interrupted; every reply until the reset after the test.
  await scriptReply({ reply: tale, token_delay: 0.25 }, { times: null });
  await page.goto(`/chats/${chat.id}`);
  await page.getByRole("button", { name: "Call", exact: true }).click();
  await sleepUntil(async () => (await audio(page)).callCut >= 1, { timeout: 90000 });
  // What was said over the reply is heard as the next turn.
  await page.getByRole("list", { name: "Call transcript" }).locator("li.you").nth(1).waitFor({ timeout: 60000 });
  // The reply that was spoken over is stored as far as it had come.
  const cut = await sleepUntil(async () => {
    const history = await apiCall("GET", `/api/v2/chats/${chat.id}/messages`, { token: owner.token });
    const stopped = history.items.filter((m) => m.author_type === "character" && m.status === "stopped");
    return stopped.length ? stopped : null;
  });
  for (const message of cut) {
    assert.ok(message.content.startsWith("Listen well."), message.content);
    assert.ok(message.content.length < tale.length, "a stopped reply was stored whole");
  }
  await page.getByRole("button", { name: "Hang up" }).click();
  await page.getByText("The call ended.").waitFor();
  expectClean(page);
});

test("without a voice on the server, no voice control is shown", async (t) => {
  const page = await signedIn(t, "voice-none");
  await page.route("**/api/v2/voices", (route) =>
    route.fulfill({
      status: 503,
      contentType: "application/json",
      body: JSON.stringify({ error: "voice_unavailable", detail: "Voice is turned off on this server." }),
    }),
  );
  const character = await makeCharacter(owner, { name: "Deneb", first_message: "Quiet night." });
  const chat = await makeChat(owner, character);
  await page.goto(`/chats/${chat.id}`);
  await page.locator("article.message.reply", { hasText: "Quiet night." }).waitFor();
  for (const name of ["Play", "Dictate", "Call"]) {
    assert.equal(await page.getByRole("button", { name, exact: true }).count(), 0, name);
  }
  assert.equal(await page.getByLabel("Speak replies").count(), 0);
  await page.goto(`/characters/${character.id}/edit`);
  await page.getByLabel("Voice model").waitFor();
  assert.equal(await page.getByRole("button", { name: "Preview voice" }).count(), 0);
  // The 503 the page was answered is the expected one: nothing else went wrong.
  page.problems = page.problems.filter((p) => !p.includes("503"));
  expectClean(page);
});

test("a call the plan refuses says what is missing and which plan has it", async (t) => {
  // The stack's first account is its admin (tests/e2e/test_web_ui.py): it puts a person on
  // a plan without live calls.
  const admin = await apiCall("POST", "/api/v2/auth/login", {
    json: { email: "owner@example.com", password: PASSWORD },
  });
  const person = await createPerson("voice-no-calls", "Nico");
  const plan = await apiCall("POST", "/api/v2/admin/plans", {
    token: admin.access_token,
    json: { id: `e2e-nocall-${Date.now().toString(36)}`, name: "No calls", public: false, live_calls: false },
  });
  await apiCall("PUT", `/api/v2/admin/users/${person.id}/subscription`, {
    token: admin.access_token,
    json: { plan_id: plan.id },
  });
  const page = await openPage(browser);
  t.after(async () => {
    if (t.passed === false) await keepEvidence(page, "voice-call-refused");
    await page.context().close();
  });
  await signIn(page, person);
  const character = await makeCharacter(person, { name: "Vega", first_message: "Hello." });
  const chat = await makeChat(person, character);
  await page.goto(`/chats/${chat.id}`);
  await page.getByRole("button", { name: "Call", exact: true }).click();

  // The refusal frame's fields, shown as any refusal is: the feature, the plan that has it.
  const refusal = page.getByRole("region", { name: "Call" }).getByRole("alert");
  await refusal.getByText("Live calls are not in your plan").first().waitFor();
  const upgrade = refusal.getByRole("link", { name: /See the Pro plan/ });
  await upgrade.waitFor();
  assert.equal(await upgrade.getAttribute("href"), "/plans?plan=pro");
  expectClean(page);
});
