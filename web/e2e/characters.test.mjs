// Characters: import a real card (SillyTavern's Seraphina), edit it, its lorebook, export it;
// a character made from scratch with a picture; the marketplace's search and tags; a bad
// file refused; the pages at phone width.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import {
  apiCall, createPerson, expectClean, keepEvidence, launch, openPage, screenshot, signIn, sleepUntil,
} from "./support.mjs";

// Real cards live beside the repository (../shared/data/cards, see SOURCE.md there).
const CARDS = process.env.E2E_CARDS ?? fileURLToPath(new URL("../../../shared/data/cards/", import.meta.url));
const SERAPHINA = join(CARDS, "default_Seraphina.png");
// A 24×24 PNG (a yellow dot on violet) for the picture upload.
const DOT_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAIAAABvFaqvAAAAV0lEQVR42mP0tr/IQA3AxEAlMGoQYcCCX3pLaz6c7VM9EY9KRlzR" +
    "j2wEMsBlHBNJpuCRomVg43EOHgUjK0HiTy+4FNDYa3gchUuKEX/BRoUsMloeDWKDAJAAGpur0la6AAAAAElFTkSuQmCC",
  "base64",
);

let browser;
let scratch;
before(async () => {
  browser = await launch();
  scratch = mkdtempSync(join(tmpdir(), "cognitia-characters-"));
});
after(async () => browser?.close());

function unique(prefix) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** The picture shown for `name` has loaded (a blob: URL, fetched with the token). */
async function expectPicture(page, name) {
  const img = page.getByRole("img", { name: `Picture of ${name}` }).first();
  await img.waitFor();
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle());
  assert.match(await img.getAttribute("src"), /^blob:/);
}

/** API errors the test provokes on purpose show up as console errors: those are expected. */
function forgive(page, ...statuses) {
  page.problems = page.problems.filter((p) => !statuses.some((status) => p.includes(`status of ${status}`)));
}

test("import Seraphina's card, edit her, her lorebook, and export the card", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "characters-import"));
  const person = await createPerson("cards", "Ada");
  await signIn(page, person);

  await page.goto("/characters");
  await page.getByText("No characters yet").waitFor();
  await page.getByRole("link", { name: "Import a card" }).click();
  await page.waitForURL(/\/characters\/import$/);
  await screenshot(page, "import-card");
  assert.ok(existsSync(SERAPHINA), `the card is at ${SERAPHINA}`);
  await page.getByLabel("Card file", { exact: true }).setInputFiles(SERAPHINA);
  await page.getByRole("button", { name: "Import" }).click();
  await page.waitForURL(/\/characters\/(?!import$)[^/]+$/);
  const id = new URL(page.url()).pathname.split("/").pop();
  await page.locator("h1", { hasText: "Seraphina" }).waitFor();
  await expectPicture(page, "Seraphina");
  await page.getByRole("heading", { name: "Greeting" }).waitFor();
  await page.getByRole("button", { name: "Show all" }).click();
  assert.equal(await page.getByRole("button", { name: "Show less" }).getAttribute("aria-expanded"), "true");
  await page.getByRole("button", { name: "Show less" }).click();
  assert.ok(await page.getByRole("link", { name: "Knowledge and memories" }).isVisible());
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, "character");

  // Export as JSON: a download named like the card, holding the card.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export JSON" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.json$/);
  const card = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(card.spec, "chara_card_v3");
  assert.equal(card.data.name, "Seraphina");
  const [png] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export PNG" }).click(),
  ]);
  assert.match(png.suggestedFilename(), /\.png$/);
  assert.equal(readFileSync(await png.path()).subarray(1, 4).toString(), "PNG");

  // Edit a field; it is still there after a reload.
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await page.waitForURL(`**/characters/${id}/edit`);
  const notes = page.getByLabel("Creator's notes");
  await notes.fill("Edited in the browser suite.");
  await page.getByLabel("Tags").fill("fantasy, healer, forest guardian");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
  await page.reload();
  assert.equal(await page.getByLabel("Creator's notes").inputValue(), "Edited in the browser suite.");
  assert.equal(await page.getByLabel("Tags").inputValue(), "fantasy, healer, forest guardian");

  // The card's lorebook came along; add an entry, see it after a reload, edit it, delete it.
  const lorebook = page.locator("section.lorebook");
  await lorebook.getByRole("heading", { name: /^Entries/ }).waitFor();
  const before = await lorebook.locator("ul.entries > li").count();
  assert.ok(before > 0, "Seraphina's card has a lorebook");
  await lorebook.getByRole("button", { name: "Add an entry" }).click();
  await lorebook.getByLabel("Keys", { exact: true }).fill("moonwell, silver pool");
  await lorebook.getByLabel("Content", { exact: true }).fill("The Moonwell heals anyone who drinks from it under a full moon.");
  await lorebook.getByLabel("Comment").fill("Moonwell");
  await lorebook.getByRole("button", { name: "Add entry" }).click();
  await lorebook.getByRole("listitem", { name: "Moonwell" }).waitFor();
  await page.reload();
  const entry = page.locator("section.lorebook").getByRole("listitem", { name: "Moonwell" });
  await entry.waitFor();
  assert.match(await entry.innerText(), /moonwell[\s\S]*silver pool[\s\S]*heals anyone/);
  await entry.getByRole("button", { name: "Edit Moonwell" }).click();
  await entry.getByLabel("Content", { exact: true }).fill("The Moonwell only heals the kind.");
  await entry.getByRole("button", { name: "Save entry" }).click();
  await entry.getByText("only heals the kind").waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, "character-editor");
  await entry.getByRole("button", { name: "Delete" }).click();
  await entry.getByRole("button", { name: "Yes, delete" }).click();
  await entry.waitFor({ state: "detached" });
  const entries = await apiCall("GET", `/api/v2/characters/${id}`, { token: person.token }).then((c) =>
    apiCall("GET", `/api/v2/lorebooks/${c.lorebook_id}/entries`, { token: person.token }),
  );
  assert.equal(entries.length, before);

  // My characters lists her as a card whose name links to her page.
  await page.goto("/characters");
  const link = page.getByRole("link", { name: "Seraphina", exact: true });
  await link.waitFor();
  assert.equal(await link.getAttribute("href"), `/characters/${id}`);
  const thumb = page.locator(".character-card img").first();
  await thumb.waitFor();
  await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await thumb.elementHandle());
  await screenshot(page, "characters");
  expectClean(page);
});

test("a character from scratch, with a picture, then a chat with it and its deletion", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "characters-new"));
  const person = await createPerson("maker", "Bo");
  await signIn(page, person);
  const name = unique("Mira ");
  const picture = join(scratch, "dot.png");
  writeFileSync(picture, DOT_PNG);

  await page.goto("/characters");
  await page.getByRole("link", { name: "New character" }).click();
  await page.waitForURL(/\/characters\/new$/);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Description", { exact: true }).fill("A cartographer of {{user}}'s dreams.");
  await page.getByLabel("Personality").fill("curious, precise");
  await page.getByLabel("First message").fill("*unrolls a map* Where shall we go, {{user}}?");
  await page.getByRole("button", { name: "Add alternate greeting" }).click();
  await page.getByLabel("Alternate greeting 1").fill("Back again? The map has changed.");
  await page.getByLabel("System prompt").fill("Stay in character as {{char}}.");
  await page.getByLabel("Tags").fill("maps, dreams");
  await page.getByLabel("Visibility").selectOption("unlisted");
  await page.getByLabel("Temperature").fill("0.7");
  await page.getByLabel("Creator", { exact: true }).fill("Bo");
  await page.getByLabel("Picture", { exact: true }).setInputFiles(picture);
  await page.getByRole("img", { name: "Preview of the chosen file" }).waitFor();
  await page.getByRole("button", { name: "Create character" }).click();
  await page.waitForURL(/\/characters\/(?!new)[^/]+$/);
  const id = new URL(page.url()).pathname.split("/").pop();
  await page.locator("h1", { hasText: name }).waitFor();
  await expectPicture(page, name);
  await page.getByText("Where shall we go, Bo?").waitFor();

  const stored = await apiCall("GET", `/api/v2/characters/${id}`, { token: person.token });
  assert.equal(stored.personality, "curious, precise");
  assert.deepEqual(stored.alternate_greetings, ["Back again? The map has changed."]);
  assert.deepEqual(stored.tags, ["maps", "dreams"]);
  assert.equal(stored.visibility, "unlisted");
  assert.equal(stored.temperature, 0.7);
  assert.equal(stored.system_prompt, "Stay in character as {{char}}.");
  assert.ok(stored.avatar_url);

  // Start chat: a 1:1 chat with her, then its page.
  await page.getByRole("button", { name: "Start chat" }).click();
  await page.waitForURL(/\/chats\/[^/]+$/);
  const chatId = new URL(page.url()).pathname.split("/").pop();
  const chat = await apiCall("GET", `/api/v2/chats/${chatId}`, { token: person.token });
  assert.deepEqual(chat.characters.map((c) => c.id), [id]);

  // Replace the picture in the editor (the new one shows at once, not a cached old one), then remove it.
  await page.goto(`/characters/${id}/edit`);
  await page.locator("h1", { hasText: `Edit ${name}` }).waitFor();
  await expectPicture(page, name);
  const shown = page.getByRole("img", { name: `Picture of ${name}` });
  assert.equal(await shown.evaluate((img) => img.naturalWidth), 24);
  await page.getByLabel("Picture", { exact: true }).setInputFiles(SERAPHINA);
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByRole("status").filter({ hasText: "Saved" }).waitFor();
  await page.waitForFunction(
    (alt) => [...document.querySelectorAll("img")].some((img) => img.alt === alt && img.naturalWidth > 24),
    `Picture of ${name}`,
  );
  await page.getByRole("button", { name: "Remove picture" }).click();
  await page.getByRole("button", { name: "Yes, remove" }).click();
  await shown.waitFor({ state: "detached" });
  assert.equal((await apiCall("GET", `/api/v2/characters/${id}`, { token: person.token })).avatar_url, null);

  // A lorebook of her own, made from the editor.
  await page.getByText("This character has no lorebook.").waitFor();
  await page.getByRole("button", { name: "Create a lorebook" }).click();
  await page.getByText("No entries yet.").waitFor();
  await page.getByRole("button", { name: "Add an entry" }).click();
  await page.getByLabel("Keys", { exact: true }).fill("atlas");
  await page.getByLabel("Content", { exact: true }).fill("Mira's atlas maps places that do not exist yet.");
  await page.getByRole("button", { name: "Add entry" }).click();
  await page.getByRole("listitem", { name: "atlas" }).waitFor();
  const withBook = await apiCall("GET", `/api/v2/characters/${id}`, { token: person.token });
  const book = await apiCall("GET", `/api/v2/lorebooks/${withBook.lorebook_id}`, { token: person.token });
  assert.equal(book.name, `${name}'s lorebook`);
  assert.deepEqual(book.entries.map((e) => e.keys), [["atlas"]]);

  // Lend her voice to someone else, then take it back.
  const friend = await createPerson("friend", "Gil");
  await page.getByText("Voice permissions").click();
  await page.getByText("Nobody else yet.").waitFor();
  await page.getByLabel("User id").fill(friend.id);
  await page.getByRole("button", { name: "Allow the voice" }).click();
  await page.getByRole("button", { name: `Revoke for ${friend.id}` }).click();
  await page.getByText("Nobody else yet.").waitFor();

  // Delete, after an inline confirmation.
  await page.goto(`/characters/${id}`);
  await page.locator("h1", { hasText: name }).waitFor();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("button", { name: "Yes, delete" }).click();
  await page.waitForURL(/\/characters$/);
  await page.getByText("No characters yet").waitFor();
  expectClean(page);
});

test("the marketplace finds another person's public character by name and by tag", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "characters-marketplace"));
  const author = await createPerson("author", "Cy");
  const word = unique("Quillon");
  const tag = unique("tag");
  const make = (json) => apiCall("POST", "/api/v2/characters", { token: author.token, json });
  const poet = await make({
    name: `${word} the Poet`, description: "Speaks only in rhyme.", tags: [tag, "poetry"], visibility: "public",
  });
  const smith = await make({ name: `${word} the Smith`, tags: ["forge"], visibility: "public" });
  await make({ name: `${word} the Hidden`, tags: [tag], visibility: "private" });
  const avatar = new FormData();
  avatar.append("file", new Blob([DOT_PNG], { type: "image/png" }), "dot.png");
  const uploaded = await fetch(`${process.env.E2E_BASE_URL ?? "http://127.0.0.1:8000"}/api/v2/characters/${poet.id}/avatar`, {
    method: "PUT", headers: { Authorization: `Bearer ${author.token}` }, body: avatar,
  });
  assert.ok(uploaded.ok);

  const reader = await createPerson("reader", "Di");
  await signIn(page, reader);
  await page.goto("/marketplace");
  await page.getByLabel("Search by name").fill(word.toLowerCase());
  const poetLink = page.getByRole("link", { name: `${word} the Poet` });
  await poetLink.waitFor();
  await page.getByRole("link", { name: `${word} the Smith` }).waitFor();
  await page.getByRole("status").filter({ hasText: "2 characters" }).waitFor();
  assert.equal(await page.getByRole("link", { name: `${word} the Hidden` }).count(), 0, "private stays private");
  assert.equal(await poetLink.getAttribute("href"), `/characters/${poet.id}`);
  await screenshot(page, "marketplace");

  // A tag narrows the results; the tag on a card filters too, and again clears it.
  await page.getByLabel("Tag", { exact: true }).fill(tag);
  await page.getByRole("status").filter({ hasText: "1 character tagged" }).waitFor();
  assert.equal(await page.getByRole("link", { name: `${word} the Smith` }).count(), 0);
  await poetLink.waitFor();
  await page.getByLabel("Tag", { exact: true }).fill("");
  await page.getByRole("status").filter({ hasText: "2 characters" }).waitFor();
  await page.getByRole("button", { name: "forge" }).click();
  await page.getByRole("status").filter({ hasText: "1 character tagged “forge”" }).waitFor();
  await page.getByRole("link", { name: `${word} the Smith` }).waitFor();
  assert.equal(await poetLink.count(), 0);
  assert.match(page.url(), /tag=forge/);
  await page.reload();
  assert.equal(await page.getByLabel("Tag", { exact: true }).inputValue(), "forge", "the search survives a reload");
  await page.getByRole("link", { name: `${word} the Smith` }).waitFor();
  await page.getByRole("button", { name: "forge" }).click();
  await page.getByRole("status").filter({ hasText: "2 characters" }).waitFor();
  await page.getByLabel("Sort").selectOption("popular");
  await page.waitForURL(/sort=popular/);
  await page.getByRole("status").filter({ hasText: "2 characters" }).waitFor();

  // Someone else's character: readable, exportable, not editable.
  await poetLink.click();
  await page.waitForURL(`**/characters/${poet.id}`);
  await page.locator("h1", { hasText: `${word} the Poet` }).waitFor();
  await expectPicture(page, `${word} the Poet`);
  await page.getByRole("button", { name: "Start chat" }).waitFor();
  assert.equal(await page.getByRole("link", { name: "Edit", exact: true }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Delete" }).count(), 0);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export JSON" }).click(),
  ]);
  assert.equal(JSON.parse(readFileSync(await download.path(), "utf8")).data.name, `${word} the Poet`);
  assert.ok(smith.id);
  expectClean(page);
});

test("the marketplace pages through many results", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "characters-pages"));
  const author = await createPerson("prolific", "Gus");
  const word = unique("Clone");
  for (let n = 1; n <= 26; n += 1) {
    await apiCall("POST", "/api/v2/characters", {
      token: author.token, json: { name: `${word} ${n}`, visibility: "public" },
    });
  }
  await signIn(page, author);
  await page.goto(`/marketplace?q=${word}`);
  await page.getByRole("status").filter({ hasText: "26 characters" }).waitFor();
  const pages = page.getByRole("navigation", { name: "Pages" });
  await pages.getByText("Page 1 of 2").waitFor();
  assert.equal(await page.locator(".character-card").count(), 24);
  await pages.getByRole("button", { name: "Next" }).click();
  await pages.getByText("Page 2 of 2").waitFor();
  await sleepUntil(async () => (await page.locator(".character-card").count()) === 2);
  assert.match(page.url(), /page=2/);
  // Newest first: the first two made are on the last page.
  await page.getByRole("link", { name: `${word} 1`, exact: true }).waitFor();
  await pages.getByRole("button", { name: "Previous" }).click();
  await pages.getByText("Page 1 of 2").waitFor();
  expectClean(page);
});

test("a World Info file imports as a lorebook; a file that is not a card is refused", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "characters-bad-file"));
  const person = await createPerson("badcard", "Ed");
  await signIn(page, person);
  await page.goto("/characters/import");
  const input = page.getByLabel("Card file", { exact: true });

  await input.setInputFiles(join(CARDS, "Eldoria.json"));
  await page.getByRole("button", { name: "Import" }).click();
  await page.getByRole("status").filter({ hasText: "The file held a lorebook" }).waitFor();
  const books = await apiCall("GET", "/api/v2/lorebooks", { token: person.token });
  assert.equal(books.total, 1);

  await input.setInputFiles({ name: "notes.json", mimeType: "application/json", buffer: Buffer.from("{not json") });
  await page.getByRole("button", { name: "Import" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.innerText(), /json|card/i);

  // A picture without a card inside.
  await input.setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: DOT_PNG });
  await page.getByRole("button", { name: "Import" }).click();
  await page.getByRole("alert").filter({ hasText: /card/i }).waitFor();
  assert.match(page.url(), /\/characters\/import$/);

  // The editor refuses a picture that is not one before anything is sent.
  await page.goto("/characters/new");
  await page.getByLabel("Picture", { exact: true }).setInputFiles({
    name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hello"),
  });
  await page.getByRole("alert").filter({ hasText: "PNG, JPEG, WebP or GIF" }).waitFor();
  // Saving without a name points at the name.
  await page.getByRole("button", { name: "Create character" }).click();
  await page.getByText("A character needs a name.").waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-invalid")), "true");
  forgive(page, 415, 422);
  expectClean(page);
});

test("the character pages fit a phone's width", async (t) => {
  const page = await openPage(browser, { width: 375, height: 740 });
  t.after(() => keepEvidence(page, "characters-phone"));
  const person = await createPerson("phone", "Flo");
  const long = "A-very-long-unbroken-word-that-should-wrap-instead-of-overflowing-the-screen".repeat(2);
  const made = await apiCall("POST", "/api/v2/characters", {
    token: person.token,
    json: {
      name: "Wanderer with a rather long name for a small screen",
      description: `${long} and more words.`,
      first_message: "Hello there!",
      tags: ["travel", "long-tag-name-for-wrapping"],
      visibility: "public",
    },
  });
  await signIn(page, person);
  for (const [path, ready] of [
    ["/characters", `text=${made.name}`],
    ["/marketplace", "h1"],
    ["/characters/import", "h1"],
    [`/characters/${made.id}/edit`, "text=This character has no lorebook."],
    [`/characters/${made.id}`, "text=Knowledge and memories"],
  ]) {
    await page.goto(path);
    await page.locator(ready).first().waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `${path} is ${width}px wide at 375px`);
  }
  expectClean(page);
});
