// Tasks in the browser: start one from the Tasks page with an extra agent, see its plan as a
// graph (a step after two that run side by side), watch steps finish live, the result, the
// cost per task and per agent and the prompt versions; cancel another while a step runs; a
// refused start and a task that fails, each saying why.
//
// The fake upstream plays every model: the plan lane (planner and critic) and the summarize
// lane are "fake-extract"; the agents' characters name "fake-task", a priced model, so their
// steps cost something. Replies are scripted per model, first in first out; a reply scripted
// with `hold` waits for POST /_fake/release, so a step stays "running" until the test has seen it.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  UPSTREAM_URL, apiCall, createPerson, expectClean, keepEvidence, launch, openPage, screenshot,
  scriptReply, signIn,
} from "./support.mjs";

const PLANNER = "fake-extract"; // the plan and summarize lanes (tests/e2e/test_web_ui.py)
const AGENT_MODEL = "fake-task";
const ACCEPT = JSON.stringify({ verdict: "accept", feedback: "" });

let browser;
before(async () => (browser = await launch()));
after(async () => {
  await resetUpstream();
  await browser?.close();
});

/** Nothing scripted by an earlier test (or suite) is left for this one's requests, and
 * nothing is held. */
function resetUpstream() {
  return control("reset");
}

/** Let the requests scripted with `hold: true` answer (and any later ones, until a reset). */
function releaseHeld() {
  return control("release");
}

async function control(action) {
  const response = await fetch(`${UPSTREAM_URL}/_fake/${action}`, { method: "POST" });
  assert.ok(response.ok, `${action}: ${response.status}`);
}

function makeCharacter(person, name) {
  return apiCall("POST", "/api/v2/characters", {
    token: person.token,
    json: { name, description: `${name} works on tasks.`, model: AGENT_MODEL },
  });
}

function planReply(steps) {
  return scriptReply({ reply: JSON.stringify({ steps }) }, { model: PLANNER });
}

/** A step of the plan on the page (with that status). */
function step(page, key, status) {
  const withStatus = status ? `[data-status="${status}"]` : "";
  return page.locator(`article.step[data-step="${key}"]${withStatus}`);
}

/** The task's own status tag, showing `status`. */
function taskStatus(page, status) {
  return page.locator(`.head .status[data-status="${status}"]`);
}

test("start a task: its plan as a graph, steps finishing live, the result and the cost", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "tasks-run"));
  await resetUpstream();
  const kim = await createPerson("task-kim", "Kim");
  await makeCharacter(kim, "Ada");
  await makeCharacter(kim, "Rex");

  await planReply([
    { key: "gather", title: "Gather owl facts", instruction: "List three facts about owls.", agent: "researcher", tool: "calculator" },
    { key: "outline", title: "Outline the poem", instruction: "Outline a four-line poem.", agent: "primary" },
    { key: "write", title: "Write the poem", instruction: "Write the poem from the facts and the outline.", agent: "primary", depends_on: ["gather", "outline"] },
  ]);
  await scriptReply({ reply: ACCEPT }, { model: PLANNER, times: 3 }); // the critic, once per step
  await scriptReply({ reply: "Owls glide in silence, and the poem says so." }, { model: PLANNER });
  // The two first steps run side by side and answer alike; the last one is held until the
  // test has seen it running.
  await scriptReply({ reply: "Owls fly silently, hunt at night and turn their heads far." }, { model: AGENT_MODEL, times: 2 });
  const poem = "Silent wings at midnight, eyes that turn around, a hunter in the moonlight who never makes a sound.";
  await scriptReply({ reply: poem, hold: true }, { model: AGENT_MODEL });

  await signIn(page, kim);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tasks" }).click();
  await page.getByText("No tasks yet.").waitFor();
  const goal = "Write a short poem about owls";
  await page.getByLabel("Goal").fill(goal);
  await page.getByLabel("Character", { exact: true }).selectOption({ label: "Ada" });
  await page.getByRole("button", { name: "Add an agent" }).click();
  await page.getByLabel("Agent 1", { exact: true }).selectOption({ label: "Rex" });
  await page.getByLabel("Role of agent 1").fill("researcher");
  await page.getByRole("button", { name: "Start task" }).click();

  await page.waitForURL(/\/tasks\/[^/]+$/);
  const taskId = new URL(page.url()).pathname.split("/").pop();
  await page.getByRole("heading", { level: 1, name: goal }).waitFor();
  // Set once: a reload would lose it, so finding it at the end shows the page moved on its own.
  await page.evaluate(() => (window.e2eSamePage = true));

  // The graph: two stages, the step that waits for both in the second, saying so.
  const plan = page.getByRole("list", { name: "Plan" });
  await step(page, "write").waitFor();
  const stages = plan.getByRole("listitem");
  assert.equal(await stages.count(), 2);
  assert.deepEqual(
    (await stages.nth(0).locator("article.step").evaluateAll((nodes) => nodes.map((n) => n.dataset.step))).sort(),
    ["gather", "outline"],
  );
  assert.equal(await stages.nth(1).locator("article.step").getAttribute("data-step"), "write");
  await step(page, "write").getByText("after: Gather owl facts, Outline the poem").waitFor();
  await step(page, "gather").getByText("Rex").waitFor();
  await step(page, "gather").getByText("calculator").waitFor();

  // Live: the last step is seen running, then done, and the task with it, without a reload.
  await step(page, "write", "running").waitFor();
  await taskStatus(page, "running").waitFor();
  await page.getByRole("button", { name: "Cancel task" }).waitFor();
  assert.equal(await step(page, "gather").getAttribute("data-status"), "succeeded");
  await releaseHeld();
  await step(page, "write", "succeeded").waitFor();
  await taskStatus(page, "succeeded").waitFor();
  assert.equal(await page.evaluate(() => window.e2eSamePage), true, "the page was reloaded");
  await page.getByRole("button", { name: "Cancel task" }).waitFor({ state: "detached" });

  for (const key of ["gather", "outline", "write"]) {
    const card = step(page, key);
    assert.equal(await card.getAttribute("data-status"), "succeeded", key);
    await card.getByText("accept").waitFor(); // the critic's verdict
  }
  const write = step(page, "write");
  assert.equal(await write.getByText(poem).isVisible(), false, "a step's result starts folded");
  await write.getByText("Result", { exact: true }).click();
  await write.getByText(poem).waitFor();
  await step(page, "gather").getByText("Instruction", { exact: true }).click();
  await step(page, "gather").getByText("List three facts about owls.").waitFor();

  await page.getByRole("region", { name: "Result" }).getByText("Owls glide in silence, and the poem says so.").waitFor();

  // Cost: the agents' model is priced, so the task cost something, and each agent too.
  const costs = page.getByRole("region", { name: "Cost" });
  const total = (await costs.locator('[data-total="cost"]').innerText()).trim();
  assert.match(total, /^\$\d/);
  assert.notEqual(total, "$0.00");
  const rows = costs.getByRole("row");
  for (const [name, role] of [["Ada", "primary"], ["Rex", "researcher"]]) {
    const row = rows.filter({ hasText: name });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${role}.*\\$0?\\.?\\d`, "s"));
  }
  const detail = await apiCall("GET", `/api/v2/tasks/${taskId}`, { token: kim.token });
  assert.ok(detail.usage.cost_usd > 0, "the API has a cost for the task");

  const prompts = page.getByRole("region", { name: "Prompt versions" });
  for (const version of Object.values(detail.prompt_versions)) await prompts.getByText(version).waitFor();
  await screenshot(page, "task");

  // At phone width the stages stack: the last step below the first ones, not beside them.
  await page.setViewportSize({ width: 375, height: 740 });
  const [first, last] = [await step(page, "gather").boundingBox(), await step(page, "write").boundingBox()];
  assert.ok(last.y > first.y + first.height, "the second stage is below the first");
  assert.ok(last.x + last.width <= 375, "nothing runs off the screen");
  await page.setViewportSize({ width: 1280, height: 800 });

  // The list: the task, done, with its cost.
  await page.getByRole("link", { name: "‹ Tasks" }).click();
  const listed = page.getByRole("row", { name: new RegExp(goal) });
  await listed.getByText("Done").waitFor();
  assert.match(await listed.innerText(), /\$\d/);
  await screenshot(page, "tasks");
  expectClean(page);
});

test("cancel a running task (followed without its event stream): the steps not started are cancelled", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "tasks-cancel"));
  await resetUpstream();
  const lou = await createPerson("task-lou", "Lou");
  const ada = await makeCharacter(lou, "Ada");

  await planReply([
    { key: "draft", title: "Draft the saga", instruction: "Draft a long saga.", agent: "primary" },
    { key: "polish", title: "Polish the saga", instruction: "Polish the draft.", agent: "primary", depends_on: ["draft"] },
  ]);
  // The draft's reply is held: the task is cancelled while it is being written.
  await scriptReply({ reply: "A long saga, at last.", hold: true }, { model: AGENT_MODEL });
  const task = await apiCall("POST", "/api/v2/tasks", {
    token: lou.token,
    json: { goal: "Write a long saga", character_id: ada.id },
  });

  await signIn(page, lou);
  // No event stream (as behind a proxy that breaks it): the page asks again and again instead.
  await page.route("**/api/v2/tasks/*/events", (route) => route.abort());
  await page.goto(`/tasks/${task.id}`);
  await step(page, "draft", "running").waitFor();
  assert.equal(await step(page, "polish").getAttribute("data-status"), "pending");
  await page.getByRole("button", { name: "Cancel task" }).click();
  await page.getByRole("button", { name: "Yes, cancel it" }).click();

  await taskStatus(page, "cancelled").waitFor();
  await step(page, "polish", "cancelled").waitFor();
  await page.getByRole("button", { name: "Cancel task" }).waitFor({ state: "detached" });
  // The draft's reply ends: the page, still following, shows the step cancelled with what it
  // wrote; the task stays cancelled and the step after it never ran.
  await releaseHeld();
  const draft = step(page, "draft", "cancelled");
  await draft.waitFor();
  await draft.getByText("Result", { exact: true }).click();
  await draft.getByText("A long saga, at last.").waitFor();
  await taskStatus(page, "cancelled").waitFor();
  assert.equal(await step(page, "polish").getAttribute("data-status"), "cancelled");
  const asked = await (await fetch(`${UPSTREAM_URL}/_fake/requests`)).json();
  assert.equal(asked.filter((r) => r.body.model === AGENT_MODEL).length, 1, "only the draft was written");

  const answer = await fetch(new URL(`/api/v2/tasks/${task.id}/cancel`, page.url()), {
    method: "POST",
    headers: { Authorization: `Bearer ${lou.token}` },
  });
  assert.equal(answer.status, 409, "a finished task cannot be cancelled again");

  await page.goto("/tasks");
  await page.getByRole("row", { name: /Write a long saga/ }).getByText("Cancelled").waitFor();
  page.problems = page.problems.filter((p) => !p.includes("net::ERR_FAILED")); // the stream, refused above
  expectClean(page);
});

test("a refused start and a task that fails say why", async (t) => {
  const page = await openPage(browser);
  t.after(() => keepEvidence(page, "tasks-failed"));
  await resetUpstream();
  const max = await createPerson("task-max", "Max");
  await makeCharacter(max, "Ada");
  await makeCharacter(max, "Rex");
  await signIn(page, max);
  await page.goto("/tasks");

  // "primary" is the main character's role: the API refuses it, the form says so.
  const goal = "Plan a picnic";
  await page.getByLabel("Goal").fill(goal);
  await page.getByRole("button", { name: "Add an agent" }).click();
  await page.getByLabel("Role of agent 1").fill("primary");
  await page.getByRole("button", { name: "Start task" }).click();
  await page.getByRole("alert").getByText("'primary' is the main character's").waitFor();
  assert.equal(new URL(page.url()).pathname, "/tasks");
  // The refusal shows up as a console error too: that one is expected.
  page.problems = page.problems.filter((p) => !p.includes("status of 422"));

  // The planner answers twice with something that is not a plan: the task fails, and says why.
  await scriptReply({ reply: "Sure! First we buy bread." }, { model: PLANNER, times: 2 });
  await page.getByRole("button", { name: "Remove agent 1" }).click();
  await page.getByRole("button", { name: "Start task" }).click();
  await page.waitForURL(/\/tasks\/[^/]+$/);
  await taskStatus(page, "failed").waitFor();
  await page.getByRole("alert").getByText("did not give a plan that can run").waitFor();
  await page.getByText("No plan was made.").waitFor();
  await page.getByRole("button", { name: "Cancel task" }).waitFor({ state: "detached" });
  expectClean(page);
});
