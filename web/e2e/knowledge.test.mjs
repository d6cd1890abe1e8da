// Knowledge: the data bank (upload, ingestion statuses, refusals, retry, replace, delete),
// a character's documents, and what a character remembers about the person.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  apiCall, createPerson, expectClean, keepEvidence, launch, openPage, screenshot, scriptReply,
  signIn, sleepUntil,
} from "./support.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

const LIGHTHOUSE = `# The Northern Light

The lighthouse on the northern cliffs was built in 1871 from granite quarried on the island.

## Keeping the lamp

The keeper trims the wick at dusk and winds the clockwork every four hours through the night.
`;

const TIDES = "High tide at the harbour: 06:12 and 18:40.\nLow tide: 00:05 and 12:27.\n";

function file(name, mimeType, text) {
  return { name, mimeType, buffer: Buffer.from(text) };
}

/** A 4xx the test provoked on purpose shows in the console as a failed resource load. */
function forgiveExpected(page, ...statuses) {
  page.problems = page.problems.filter((p) => !statuses.some((status) => p.includes(`status of ${status}`)));
}

function documentRow(page, filename) {
  return page.getByRole("list", { name: "Documents" }).getByRole("listitem").filter({ hasText: filename });
}

test("the data bank: upload, watch ingestion, refusals, retry, replace and delete", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "knowledge-data-bank"));
  const person = await createPerson("bank", "Nell");
  await signIn(page, person);
  await page.goto("/knowledge");
  await page.getByText("No documents yet").waitFor();

  // Two at once through the file field; each is ingested in the background.
  await page.getByLabel("Document", { exact: true }).setInputFiles([
    file("lighthouse.md", "text/markdown", LIGHTHOUSE),
    file("tide-tables.txt", "text/plain", TIDES),
  ]);
  await documentRow(page, "lighthouse.md").getByText("Ready", { exact: true }).waitFor();
  await documentRow(page, "tide-tables.txt").getByText("Ready", { exact: true }).waitFor();
  assert.match(await documentRow(page, "lighthouse.md").innerText(), /Markdown/);

  // Refused at once, each with the API's reason next to its name.
  await page.getByLabel("Document", { exact: true }).setInputFiles([
    file("empty.txt", "text/plain", ""),
    { name: "scan.pdf", mimeType: "application/pdf", buffer: Buffer.from([0, 159, 146, 150, 255, 1, 2, 3, 0, 200]) },
    file("lighthouse copy.md", "text/markdown", LIGHTHOUSE),
  ]);
  const refusals = page.getByRole("alert");
  await refusals.filter({ hasText: "empty.txt" }).filter({ hasText: "empty" }).waitFor();
  await refusals.filter({ hasText: "scan.pdf" }).filter({ hasText: "supported" }).waitFor();
  await refusals.filter({ hasText: "lighthouse copy.md" }).filter({ hasText: "already" }).waitFor();
  forgiveExpected(page, 409, 415, 422);

  // The embedder fails every attempt of the next ingestion: the document ends "failed",
  // with the reason, and a retry (the embedder healthy again) makes it ready.
  await scriptReply({ status: 500, message: "embedder on fire" }, { model: "embed-fake", times: 3 });
  await page.getByLabel("Document", { exact: true }).setInputFiles(file("harbour-log.txt", "text/plain", "The ferry ran late on Tuesday."));
  const failed = documentRow(page, "harbour-log.txt");
  await failed.getByText("Failed", { exact: true }).waitFor({ timeout: 30000 });
  assert.match(await failed.innerText(), /embedder on fire|500/);
  await screenshot(page, "knowledge");
  await failed.getByRole("button", { name: "Retry" }).click();
  await failed.getByText("Ready", { exact: true }).waitFor();

  // A new version of a document keeps its place and is ingested again.
  const before = (await apiCall("GET", "/api/v2/documents", { token: person.token })).items
    .find((d) => d.filename === "tide-tables.txt");
  await page.getByLabel("New version of tide-tables.txt").setInputFiles(
    file("tide-tables.txt", "text/plain", `${TIDES}Spring tides next week: take care on the causeway.\n`),
  );
  await sleepUntil(async () => {
    const now = await apiCall("GET", `/api/v2/documents/${before.id}`, { token: person.token });
    return now.sha256 !== before.sha256 && now.status === "ready";
  });
  await documentRow(page, "tide-tables.txt").getByText("Ready", { exact: true }).waitFor();

  const row = documentRow(page, "lighthouse.md");
  await row.getByRole("button", { name: "Delete lighthouse.md" }).click();
  await row.getByRole("button", { name: "Delete document" }).click();
  await row.waitFor({ state: "detached" });
  const left = await apiCall("GET", "/api/v2/documents", { token: person.token });
  assert.deepEqual(left.items.map((d) => d.filename).sort(), ["harbour-log.txt", "tide-tables.txt"]);
  expectClean(page);
});

test("at phone width the data bank fits the screen", async (t) => {
  const page = await openPage(browser, { width: 375, height: 740 });
  t.after(() => keepEvidence(page, "knowledge-phone"));
  const person = await createPerson("bankphone");
  await signIn(page, person);
  await page.goto("/knowledge");
  await page.getByLabel("Document", { exact: true }).setInputFiles(
    file("a-document-with-a-rather-long-name-for-a-small-screen.md", "text/markdown", LIGHTHOUSE),
  );
  await documentRow(page, "a-document-with").getByText("Ready", { exact: true }).waitFor();
  const { scroll, width } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    width: window.innerWidth,
  }));
  assert.ok(scroll <= width, `the page is ${scroll}px wide in a ${width}px viewport`);
  expectClean(page);
});

test("a character's documents and what it remembers: list, search, edit, forget, clear", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "knowledge-character"));
  const person = await createPerson("memories", "Pat");
  const character = await apiCall("POST", "/api/v2/characters", {
    token: person.token,
    json: { name: "Mira", description: "A ship's navigator who never forgets a face." },
  });

  // The chat's reply echoes (the fake's default); the extract lane's model answers with
  // a fact to remember.
  await scriptReply({
    reply: JSON.stringify({
      operations: [{ op: "add", content: "Pat's sister Ana lives in Lisbon.", category: "relationship" }],
    }),
  }, { model: "fake-extract" });
  const chat = await apiCall("POST", "/api/v2/chats", { token: person.token, json: { character_ids: [character.id] } });
  await apiCall("POST", `/api/v2/chats/${chat.id}/messages`, {
    token: person.token,
    json: { content: "My sister Ana lives in Lisbon and she loves sailing." },
  });
  // Facts and episodes are written by background jobs after the reply.
  await sleepUntil(async () => {
    const found = await apiCall("GET", `/api/v2/characters/${character.id}/memories`, { token: person.token });
    return found.items.some((m) => m.kind === "fact") && found.items.some((m) => m.kind === "episode");
  });

  await signIn(page, person);
  await page.goto(`/characters/${character.id}/knowledge`);
  await page.getByRole("heading", { name: "Mira: knowledge and memories" }).waitFor();

  await page.getByLabel("Document", { exact: true }).setInputFiles(
    file("mira-logbook.md", "text/markdown", "# Logbook\n\nCharted the reef passage south of the island in fair weather.\n"),
  );
  await documentRow(page, "mira-logbook.md").getByText("Ready", { exact: true }).waitFor();
  const stored = await apiCall("GET", `/api/v2/characters/${character.id}/documents`, { token: person.token });
  assert.deepEqual(stored.items.map((d) => d.filename), ["mira-logbook.md"]);

  const memories = page.getByRole("list", { name: "Memories" });
  const fact = memories.getByRole("listitem").filter({ hasText: "Fact" });
  const episode = memories.getByRole("listitem").filter({ hasText: "From a chat" });
  await fact.getByText("Pat's sister Ana lives in Lisbon.").waitFor();
  await episode.getByText(/loves sailing/).first().waitFor();
  await page.getByRole("heading", { name: "What Mira remembers about you" })
    .evaluate((heading) => heading.scrollIntoView({ block: "start" }));
  await screenshot(page, "memories");

  await page.getByRole("searchbox", { name: "Search memories" }).fill("sailing");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByText("Best matches for “sailing”").waitFor();
  assert.match(await memories.innerText(), /sailing/);
  await page.getByRole("button", { name: "Show all" }).click();
  await page.getByText(/^\d+ memor(y|ies)$/).waitFor();

  await fact.getByRole("button", { name: "Edit" }).click();
  const editor = memories.getByRole("listitem").filter({ has: page.getByRole("button", { name: "Save" }) });
  await editor.getByLabel("Memory").fill("Pat's sister Ana moved to Porto.");
  await editor.getByRole("button", { name: "Save" }).click();
  await memories.getByText("Pat's sister Ana moved to Porto.").waitFor();
  let remembered = await apiCall("GET", `/api/v2/characters/${character.id}/memories`, { token: person.token });
  assert.ok(remembered.items.some((m) => m.kind === "fact" && m.content === "Pat's sister Ana moved to Porto."));

  const episodes = await episode.count();
  const firstEpisode = episode.first();
  await firstEpisode.getByRole("button", { name: "Forget" }).click();
  await firstEpisode.getByRole("button", { name: "Forget it" }).click();
  await sleepUntil(async () => (await episode.count()) === episodes - 1);
  remembered = await apiCall("GET", `/api/v2/characters/${character.id}/memories`, { token: person.token });
  assert.equal(remembered.items.filter((m) => m.kind === "episode").length, episodes - 1);

  await page.getByRole("button", { name: "Forget everything" }).click();
  await page.getByRole("group", { name: /forget everything/ }).getByRole("button", { name: "Forget everything" }).click();
  await page.getByText("Mira doesn't remember anything about you yet").waitFor();
  remembered = await apiCall("GET", `/api/v2/characters/${character.id}/memories`, { token: person.token });
  assert.equal(remembered.total, 0);
  expectClean(page);
});

test("someone else's character: its documents stay the owner's; a private one is not found", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "knowledge-not-yours"));
  const owner = await createPerson("owner");
  const secret = await apiCall("POST", "/api/v2/characters", { token: owner.token, json: { name: "Secret" } });
  const open = await apiCall("POST", "/api/v2/characters", {
    token: owner.token,
    json: { name: "Beacon", visibility: "public" },
  });
  const stranger = await createPerson("stranger");
  await signIn(page, stranger);

  // A public character: its memories of the visitor are theirs, its documents are not.
  await page.goto(`/characters/${open.id}/knowledge`);
  await page.getByText("Only the character's owner sees and manages its documents.").waitFor();
  await page.getByText("Beacon doesn't remember anything about you yet").waitFor();
  assert.equal(await page.getByLabel("Document", { exact: true }).count(), 0);

  await page.goto(`/characters/${secret.id}/knowledge`);
  await page.getByRole("alert").filter({ hasText: /not found|no such/i }).waitFor();
  await page.getByRole("link", { name: "Back to your characters" }).waitFor();
  forgiveExpected(page, 404);
  expectClean(page);
});
