// Tools in the browser: a reply's tool call shown collapsed (the tool and its status) and
// opened (its arguments and result), still there after a reload; a tool that asks first
// pauses the reply with Approve / Decline, and approving finishes it; the editor picks
// tools and their policies, and names a tool the server no longer offers instead of
// failing the save.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiCall, createPerson, expectClean, keepEvidence, launch, openPage, screenshot, scriptReply, signIn } from "./support.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => browser?.close());

function makeCharacter(person, fields) {
  return apiCall("POST", "/api/v2/characters", { token: person.token, json: fields });
}

function makeChat(person, character) {
  return apiCall("POST", "/api/v2/chats", { token: person.token, json: { character_ids: [character.id] } });
}

/** The fake model calls the calculator, then answers with `then`. */
async function scriptASum(callId, then) {
  const call = { id: callId, name: "calculator", arguments: JSON.stringify({ expression: "6*7" }) };
  await scriptReply({ reply: "Let me work it out.", tool_calls: [call] });
  await scriptReply({ reply: then });
}

async function say(page, text) {
  await page.getByLabel("Message").fill(text);
  await page.getByRole("button", { name: "Send" }).click();
}

test("a tool call is shown collapsed, opened shows its arguments and result, and stays", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "tools-call"));
  const kim = await createPerson("tools-kim", "Kim");
  const calc = await makeCharacter(kim, { name: "Abacus", first_message: "Numbers, please.", tools: ["calculator"] });
  const chat = await makeChat(kim, calc);
  await signIn(page, kim);
  await page.goto(`/chats/${chat.id}`);
  await page.getByText("Numbers, please.").waitFor();

  await scriptASum("call_e2e_sum", " It is 42.");
  await say(page, "What is six times seven?");
  const reply = page.locator("article.message.reply", { hasText: "It is 42." });
  await reply.waitFor();
  const call = reply.locator("[data-tool-call='call_e2e_sum']");
  await call.getByText("calculator").waitFor();
  await call.getByText("done").waitFor();
  assert.equal(await call.locator(".tool-arguments").isVisible(), false); // collapsed

  await call.locator("summary").click();
  assert.match(await call.locator(".tool-arguments").innerText(), /"expression": "6\*7"/);
  assert.equal((await call.locator(".tool-result").innerText()).trim(), "6*7 = 42");
  await screenshot(page, "tool-call");

  await page.reload();
  const stored = page.locator("article.message.reply", { hasText: "It is 42." }).locator("[data-tool-call='call_e2e_sum']");
  await stored.getByText("done").waitFor();
  await stored.locator("summary").click();
  assert.equal((await stored.locator(".tool-result").innerText()).trim(), "6*7 = 42");
  expectClean(page);
});

test("a tool that asks first waits for Approve, also after a reload, and approving finishes the reply", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "tools-consent"));
  const lou = await createPerson("tools-lou", "Lou");
  const careful = await makeCharacter(lou, {
    name: "Careful",
    first_message: "I ask before I count.",
    tools: ["calculator"],
    tool_policies: { calculator: "ask" },
  });
  const chat = await makeChat(lou, careful);
  await signIn(page, lou);
  await page.goto(`/chats/${chat.id}`);
  await page.getByText("I ask before I count.").waitFor();

  await scriptASum("call_e2e_ask", " Approved, it is 42.");
  await say(page, "Six times seven?");
  const reply = page.locator("article.message.reply", { hasText: "Let me work it out." });
  const call = reply.locator("[data-tool-call='call_e2e_ask']");
  await call.getByText("waiting for approval").waitFor();
  await call.getByRole("button", { name: "Decline" }).waitFor();
  await screenshot(page, "tool-consent");

  // The page that sent the message goes; the reply waits on the server, and the prompt
  // is back when the chat is opened again.
  await page.reload();
  await call.getByText("waiting for approval").waitFor();
  await call.locator("summary").click();
  assert.match(await call.locator(".tool-arguments").innerText(), /"expression": "6\*7"/);
  await call.getByRole("button", { name: "Approve" }).click();

  await reply.getByText("Approved, it is 42.").waitFor();
  await call.getByText("done").waitFor();
  await call.getByRole("button", { name: "Approve" }).waitFor({ state: "detached" });
  const [message] = (await apiCall("GET", `/api/v2/chats/${chat.id}/messages`, { token: lou.token })).items.slice(-1);
  assert.deepEqual(message.tool_calls.map((c) => [c.name, c.ok, c.result]), [["calculator", true, "6*7 = 42"]]);
  expectClean(page);
});

test("the editor picks tools and policies, and leaves out a tool no longer offered", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "tools-editor"));
  const ray = await createPerson("tools-ray", "Ray");
  const clock = await makeCharacter(ray, { name: "Clockwork", tools: ["calculator"] });
  await signIn(page, ray);
  await page.goto(`/characters/${clock.id}/edit`);

  await page.getByRole("checkbox", { name: "current_time" }).check();
  await page.getByLabel("Policy for current_time").selectOption("ask");
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText(/^Saved at/).waitFor();
  let saved = await apiCall("GET", `/api/v2/characters/${clock.id}`, { token: ray.token });
  assert.deepEqual(saved.tools, ["calculator", "current_time"]);
  assert.deepEqual(saved.tool_policies, { current_time: "ask" });

  // As on a host that stopped offering the calculator (run_python without a sandbox).
  await page.route("**/api/v2/tools", async (route) => {
    const listed = await (await route.fetch()).json();
    await route.fulfill({ json: { items: listed.items.filter((tool) => tool.name !== "calculator") } });
  });
  await page.reload();
  await page.getByRole("alert").filter({ hasText: "No longer offered on this server: calculator" }).waitFor();
  await page.getByRole("button", { name: "Save changes" }).click();
  await page.getByText(/^Saved at/).waitFor();
  saved = await apiCall("GET", `/api/v2/characters/${clock.id}`, { token: ray.token });
  assert.deepEqual(saved.tools, ["current_time"]);
});
