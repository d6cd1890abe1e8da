// Chats in the browser: starting one, replies streaming in, stopping, alternatives,
// editing, deleting, branching, group chats with a chosen speaker, a second person who
// watches live, unread badges, raw HTML shown as text, and the chat at phone width.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  apiCall, createPerson, expectClean, keepEvidence, launch, openPage, screenshot,
  scriptReply, signIn, sleepUntil,
} from "./support.mjs";

let browser;
before(async () => {
  browser = await launch();
  // Someone else's public character: offered to everyone when starting a chat.
  const lee = await createPerson("chat-lee", "Lee");
  await makeCharacter(lee, {
    name: "Professor Hoot",
    description: "An owl who lectures on the constellations, mostly at night.",
    first_message: "Hoo! Class is in session.",
    visibility: "public",
  });
});
after(async () => browser?.close());

const ARIA = {
  name: "Aria",
  description: "An astronomer who runs the observatory on the hill and never misses a meteor shower.",
  first_message: "Welcome to the observatory, {{user}}! The sky is clear tonight. What shall we look at?",
  tags: ["astronomy"],
};
const BARD = {
  name: "Bard",
  description: "A wandering lute player with a song for every occasion.",
  first_message: "*tunes his lute* A new face! Pull up a chair.",
};
const CLEO = {
  name: "Cleo",
  description: "The innkeeper: warm, sharp-eyed, and fond of gossip.",
  first_message: "Welcome to the Gilded Goose. What can I pour you?",
};

function makeCharacter(person, fields) {
  return apiCall("POST", "/api/v2/characters", { token: person.token, json: fields });
}

function makeChat(person, characters, fields = {}) {
  return apiCall("POST", "/api/v2/chats", {
    token: person.token,
    json: { character_ids: characters.map((c) => c.id), ...fields },
  });
}

/** Send through the API and wait for the reply (JSON answer): history for a test. */
function sendByApi(person, chat, content) {
  return apiCall("POST", `/api/v2/chats/${chat.id}/messages`, { token: person.token, json: { content } });
}

/** The message in the list that contains `text`. */
function message(page, text) {
  return page.locator("article.message", { hasText: text });
}

/** A character's reply that contains `text`. */
function reply(page, text) {
  return page.locator("article.message.reply", { hasText: text });
}

/** Watch `reply` until it holds `whole`; true if a part of it was seen first. */
async function sawItStream(reply, whole) {
  let sawPart = false;
  await sleepUntil(async () => {
    const text = (await reply.locator(".content").innerText().catch(() => "")).trim();
    if (text && text !== whole && whole.startsWith(text)) sawPart = true;
    return text === whole;
  }, { interval: 15 });
  return sawPart;
}

test("stop a long reply: it keeps what it had", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "chats-stop"));
  const sam = await createPerson("chat-sam", "Sam");
  const sage = await makeCharacter(sam, { name: "Sage", first_message: "Ask me anything." });
  const chat = await makeChat(sam, [sage]);
  await signIn(page, sam);
  await page.goto(`/chats/${chat.id}`);
  await message(page, "Ask me anything.").waitFor();

  const story = "Once upon a time, in a valley between two mountains, there lived a clockmaker "
    + "who could hear the stars ticking. Every night she climbed the tower and wrote down "
    + "what they said, until one night the ticking stopped and the valley held its breath.";
  await scriptReply({ reply: story, token_delay: 0.2 });
  await page.getByLabel("Message").fill("Tell me a long story.");
  await page.getByRole("button", { name: "Send" }).click();
  const reply = message(page, "Once upon");
  await reply.waitFor();
  await page.getByRole("button", { name: "Stop" }).click();
  await reply.getByText("Stopped").waitFor();
  await page.getByRole("button", { name: "Stop" }).waitFor({ state: "detached" });
  const kept = (await reply.locator(".content").innerText()).trim();
  assert.ok(story.startsWith(kept) && kept.length < story.length, `a part of the story was kept: ${kept}`);

  await page.reload();
  await message(page, kept).getByText("Stopped").waitFor();
  expectClean(page);
});

test("a 1:1 chat: start it, stream replies, reload, regenerate and swipe, edit, delete, branch", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "chats-one-to-one"));
  const ann = await createPerson("chat-ann", "Ann");
  await makeCharacter(ann, ARIA);
  await makeCharacter(ann, BARD);
  await makeCharacter(ann, CLEO);
  await signIn(page, ann);

  await page.goto("/chats");
  await page.getByText("No chats yet.").waitFor();
  await page.getByRole("link", { name: "New chat" }).click();
  await page.getByRole("group", { name: "Public characters" }).getByText("Professor Hoot").waitFor();
  await page.getByRole("checkbox", { name: /Aria/ }).check();
  await screenshot(page, "new-chat");
  await page.getByRole("button", { name: "Create chat" }).click();
  await page.waitForURL(/\/chats\/(?!new$)[^/]+$/);
  const chatUrl = page.url();
  await message(page, "Welcome to the observatory, Ann!").waitFor();

  // Shift+Enter is a new line; Enter sends.
  const box = page.getByLabel("Message");
  await box.fill("What is the brightest star?");
  await box.press("Shift+Enter");
  assert.equal(await box.inputValue(), "What is the brightest star?\n");
  await box.fill("What is the brightest star?");
  await box.press("Enter");
  await message(page, "What is the brightest star?").waitFor();
  const first = "You said: What is the brightest star?";
  assert.ok(await sawItStream(page.locator("article.message").last(), first), "the reply appeared at once, not streamed");
  assert.equal(await box.inputValue(), "", "the composer is emptied once sent");

  await box.fill("And the closest galaxy?");
  await page.getByRole("button", { name: "Send" }).click();
  const second = "You said: And the closest galaxy?";
  await message(page, second).waitFor();
  await page.getByRole("button", { name: "Regenerate" }).waitFor(); // the reply has finished
  await screenshot(page, "chat");

  await page.reload();
  await message(page, first).waitFor();
  await message(page, second).waitFor();
  assert.equal(page.url(), chatUrl);

  // A new alternative of the last reply, then back to the first one.
  await scriptReply({ reply: "Andromeda, about two and a half million light-years away." });
  await message(page, second).getByRole("button", { name: "Regenerate" }).click();
  const regenerated = message(page, "Andromeda, about two and a half million light-years away.");
  await regenerated.getByText("2/2").waitFor();
  await regenerated.getByRole("button", { name: "Previous alternative" }).click();
  await message(page, second).getByText("1/2").waitFor();
  assert.equal(await message(page, "Andromeda").count(), 0);
  await message(page, second).getByRole("button", { name: "Next alternative" }).click();
  await message(page, "Andromeda").getByText("2/2").waitFor();

  // Edit a message in place.
  await message(page, "What is the brightest star?").first().getByRole("button", { name: "Edit" }).click();
  await page.getByLabel("Edit message").fill("What is the brightest star in the night sky?");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await message(page, "What is the brightest star in the night sky?").getByRole("button", { name: "Edit" }).waitFor();

  // Delete one, confirmed in place.
  const doomed = message(page, first);
  await doomed.getByRole("button", { name: "Delete" }).click();
  await doomed.getByRole("button", { name: "Yes, delete" }).click();
  await doomed.waitFor({ state: "detached" });

  // Branch from the greeting: a new chat with the messages up to it.
  await message(page, "Welcome to the observatory").getByRole("button", { name: "Branch" }).click();
  await page.waitForURL((url) => url.href !== chatUrl && /\/chats\/[^/]+$/.test(url.pathname));
  await page.getByText("A branch of an earlier chat.").waitFor();
  await message(page, "Welcome to the observatory").waitFor();
  assert.equal(await message(page, "closest galaxy").count(), 0);

  // The branch is deleted again, confirmed in place; the original chat stays.
  await page.getByRole("button", { name: "Delete chat" }).click();
  await page.getByRole("button", { name: "Yes, delete it" }).click();
  await page.waitForURL(/\/chats$/);
  await page.getByRole("link", { name: /Aria/ }).waitFor();
  assert.equal(await page.getByRole("link", { name: /Aria/ }).count(), 1);
  expectClean(page);
});

test("a group chat: two characters, I choose who answers, add and remove a character", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "chats-group"));
  const kim = await createPerson("chat-kim", "Kim");
  await makeCharacter(kim, ARIA);
  await makeCharacter(kim, BARD);
  await makeCharacter(kim, CLEO);
  await signIn(page, kim);

  await page.goto("/chats/new");
  await page.getByRole("checkbox", { name: /Bard/ }).check();
  await page.getByRole("checkbox", { name: /Cleo/ }).check();
  await page.getByLabel("Title").fill("The Gilded Goose");
  await page.getByLabel("Turn-taking").selectOption({ label: "I choose" });
  await page.getByRole("button", { name: "Create chat" }).click();
  await page.waitForURL(/\/chats\/(?!new$)[^/]+$/);
  await page.getByRole("heading", { name: "The Gilded Goose" }).waitFor();
  const characters = page.getByRole("region", { name: "Characters" });
  const listed = (name) => characters.getByRole("listitem").filter({ hasText: name });
  await listed("Bard").waitFor();
  await listed("Cleo").waitFor();
  await page.getByText("Bard, Cleo", { exact: true }).waitFor(); // in the order they were picked

  // Cleo, the second character, answers.
  await page.getByLabel("Who answers").selectOption({ label: "Cleo" });
  await page.getByLabel("Message").fill("Two mugs of cider, please!");
  await page.getByRole("button", { name: "Send" }).click();
  // (In a group the prompt names who speaks: the fake model echoes "Kim: …".)
  const answer = reply(page, "Two mugs of cider, please!");
  await answer.getByRole("button", { name: "Regenerate" }).waitFor();
  assert.equal(await answer.locator(".author").innerText(), "Cleo");
  await screenshot(page, "chat-group");

  // Renamed, and from now on the characters take turns: the picker may leave it to them.
  const settings = page.getByRole("region", { name: "Settings" });
  await settings.getByLabel("Title").fill("The Gilded Goose, upstairs");
  await settings.getByLabel("Turn-taking").selectOption({ label: "In turn" });
  await settings.getByRole("button", { name: "Save settings" }).click();
  await page.getByRole("heading", { name: "The Gilded Goose, upstairs" }).waitFor();
  await page.getByLabel("Who answers").selectOption({ label: "Whoever's turn it is" });

  // The owner adds a character, then removes it again.
  await page.getByLabel("Add a character").selectOption({ label: "Aria" });
  await characters.getByRole("button", { name: "Add" }).click();
  await listed("Aria").getByRole("button", { name: "Remove" }).click();
  await listed("Aria").getByRole("button", { name: "Yes, remove" }).click();
  await listed("Aria").waitFor({ state: "detached" });
  expectClean(page);
});

test("a second person, invited by user ID, sees messages and replies live", async (t) => {
  const owner = await openPage(browser);
  const guest = await openPage(browser);
  t.after(() => keepEvidence(owner, "chats-live-owner"));
  t.after(() => keepEvidence(guest, "chats-live-guest"));
  const ann = await createPerson("chat-live-ann", "Ann");
  const ben = await createPerson("chat-live-ben", "Ben");
  const aria = await makeCharacter(ann, ARIA);
  const chat = await makeChat(ann, [aria], { title: "Stargazing club" });
  // Ben's own chats, so his list is a real one.
  const bard = await makeCharacter(ben, BARD);
  const cleo = await makeCharacter(ben, CLEO);
  await sendByApi(ben, await makeChat(ben, [bard]), "Play me something cheerful.");
  await sendByApi(ben, await makeChat(ben, [cleo]), "Any news from the harbour?");

  await signIn(owner, ann);
  await owner.goto(`/chats/${chat.id}`);
  await owner.getByLabel("User ID").fill(ben.id);
  await owner.getByRole("button", { name: "Invite" }).click();
  await owner.getByRole("region", { name: "People" }).getByText("Ben").waitFor();

  // Before opening it, Ben's list shows the chat with its unread greeting.
  await signIn(guest, ben);
  await guest.goto("/chats");
  const row = guest.getByRole("link", { name: /Stargazing club/ });
  await row.locator(".badge").waitFor();
  assert.match(await row.locator(".badge").innerText(), /^1/);
  await screenshot(guest, "chats");

  await row.click();
  await guest.getByRole("status").filter({ hasText: "Live" }).waitFor();
  await guest.evaluate(() => (window.stillTheSamePage = true));
  const markedRead = guest.waitForResponse((r) => /\/messages\?after=\d+&limit=1$/.test(r.url()));

  await owner.getByRole("status").filter({ hasText: "Live" }).waitFor();
  await owner.getByLabel("Message").fill("Is anyone up for the meteor shower tonight?");
  await owner.getByRole("button", { name: "Send" }).click();
  const said = "Is anyone up for the meteor shower tonight?";
  await message(guest, said).waitFor();
  await message(guest, `You said: ${said}`).waitFor();
  await message(guest, `You said: ${said}`).getByText("Writing…").waitFor({ state: "detached" });
  assert.equal(await guest.evaluate(() => window.stillTheSamePage), true, "Ben's page was not reloaded");

  // Ann's tab got the reply on both of its streams: it is shown once.
  await message(owner, `You said: ${said}`).getByRole("button", { name: "Regenerate" }).waitFor();
  assert.equal(await message(owner, said).count(), 2); // her message, and the reply quoting it
  assert.equal(await message(owner, `You said: ${said}`).count(), 1);
  assert.equal(await owner.locator("article.message").count(), 3);

  // Having seen it live, Ben has nothing unread.
  await markedRead;
  await guest.getByRole("link", { name: "All chats" }).click();
  await guest.getByRole("link", { name: /Stargazing club/ }).waitFor();
  assert.equal(await guest.getByRole("link", { name: /Stargazing club/ }).locator(".badge").count(), 0);
  expectClean(owner);
  expectClean(guest);
});

test("raw HTML in a message is shown as text, never run", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "chats-html"));
  const eve = await createPerson("chat-eve", "Eve");
  const aria = await makeCharacter(eve, ARIA);
  const chat = await makeChat(eve, [aria]);
  await signIn(page, eve);
  await page.goto(`/chats/${chat.id}`);

  const markup = "<img src=x onerror=alert(1)>";
  await page.getByLabel("Message").fill(markup);
  await page.getByRole("button", { name: "Send" }).click();
  await message(page, `You said: ${markup}`).getByRole("button", { name: "Regenerate" }).waitFor();
  await page.getByText(markup, { exact: true }).waitFor();
  const list = page.getByRole("list", { name: "Chat history" });
  assert.equal(await list.locator("img").count(), 0);
  expectClean(page);
});

test("a long history opens at its end; older messages load on request", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "chats-history"));
  const max = await createPerson("chat-max", "Max");
  const aria = await makeCharacter(max, ARIA);
  const chat = await makeChat(max, [aria]);
  // 1 greeting + 21 × (message, reply): more than the newest page of 40.
  for (let n = 1; n <= 21; n += 1) await sendByApi(max, chat, `Question number ${n}`);
  await signIn(page, max);
  await page.goto(`/chats/${chat.id}`);

  const newest = message(page, "You said: Question number 21");
  await newest.waitFor();
  assert.ok(await newest.isVisible() && (await newest.boundingBox()).y < 800, "the newest message is in view");
  assert.equal(await message(page, "Welcome to the observatory").count(), 0);
  await page.getByRole("button", { name: "Load older messages" }).click();
  await message(page, "Welcome to the observatory").waitFor();
  await page.getByRole("button", { name: "Load older messages" }).waitFor({ state: "detached" });
  assert.equal(await page.locator("article.message").count(), 43);
  expectClean(page);
});

test("at phone width the chat fits and the composer is at hand", async (t) => {
  const page = await openPage(browser, { width: 375, height: 740 });
  t.after(() => keepEvidence(page, "chats-phone"));
  const pia = await createPerson("chat-pia", "Pia");
  const aria = await makeCharacter(pia, ARIA);
  const chat = await makeChat(pia, [aria]);
  await sendByApi(pia, chat, "Can we see Saturn's rings with your telescope?");
  await signIn(page, pia);
  await page.goto(`/chats/${chat.id}`);
  await message(page, "You said: Can we see Saturn's rings").waitFor();

  const composer = page.getByLabel("Message");
  assert.ok(await composer.isVisible());
  const box = await composer.boundingBox();
  assert.ok(box && box.y + box.height <= 740, "the composer is in view");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no sideways scrolling (${width}px wide)`);
  await screenshot(page, "chat-phone");
  expectClean(page);
});
