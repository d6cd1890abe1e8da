// The editor's form: the character's fields as the inputs hold them (text for lists and
// JSON, numbers that may be empty), and back to a body for POST or PATCH.
import { joinList, splitList, type Character, type CharacterFields, type JsonObject } from "../../lib/characters";

/** The fields as the inputs hold them: text for lists, JSON and optional strings. */
type AsText = "tags" | "voice_model" | "voice_settings" | "model" | "extensions" | "card_extra";

export type CharacterForm = Omit<CharacterFields, AsText | "lorebook_id"> & Record<AsText, string>;

/** Everything but the lorebook, which the editor's lorebook panel links by itself. */
export type FormFields = Omit<CharacterFields, "lorebook_id">;

export type Problems = Partial<Record<keyof CharacterForm, string>>;

function json(value: JsonObject): string {
  return Object.keys(value).length ? JSON.stringify(value, null, 2) : "";
}

export function toForm(character?: Character): CharacterForm {
  return {
    name: character?.name ?? "",
    description: character?.description ?? "",
    personality: character?.personality ?? "",
    scenario: character?.scenario ?? "",
    first_message: character?.first_message ?? "",
    alternate_greetings: [...(character?.alternate_greetings ?? [])],
    group_only_greetings: [...(character?.group_only_greetings ?? [])],
    example_dialogue: character?.example_dialogue ?? "",
    system_prompt: character?.system_prompt ?? "",
    post_history_instructions: character?.post_history_instructions ?? "",
    prompt_template: character?.prompt_template ?? "chat",
    creator_notes: character?.creator_notes ?? "",
    creator: character?.creator ?? "",
    character_version: character?.character_version ?? "",
    tags: joinList(character?.tags ?? []),
    voice_model: character?.voice_model ?? "",
    voice_settings: json(character?.voice_settings ?? {}),
    model: character?.model ?? "",
    temperature: character?.temperature ?? null,
    top_p: character?.top_p ?? null,
    max_tokens: character?.max_tokens ?? null,
    talkativeness: character?.talkativeness ?? 0.5,
    extensions: json(character?.extensions ?? {}),
    card_extra: json(character?.card_extra ?? {}),
    visibility: character?.visibility ?? "private",
    share_lorebook: character?.share_lorebook ?? false,
    tools: [...(character?.tools ?? [])],
    tool_policies: { ...(character?.tool_policies ?? {}) },
  };
}

function parseObject(text: string, field: keyof CharacterForm, problems: Problems): JsonObject {
  if (!text.trim()) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) return value as JsonObject;
    problems[field] = "This must be a JSON object, in braces: {…}.";
  } catch (failure) {
    problems[field] = `Not valid JSON: ${failure instanceof Error ? failure.message : failure}`;
  }
  return {};
}

function optionalNumber(value: number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function optionalText(value: string): string | null {
  return value.trim() ? value.trim() : null;
}

/** The tools the form names that this server does not offer (any more: run_python where
 * the sandbox does not work); none while the offered list is unknown (null). */
export function unofferedTools(form: CharacterForm, offered: string[] | null): string[] {
  if (offered === null) return [];
  const names = new Set([...form.tools, ...Object.keys(form.tool_policies)]);
  return [...names].filter((name) => !offered.includes(name)).sort();
}

/** The body for POST/PATCH, and what is wrong with the form (empty when nothing). Tags typed
 * as they were keep the stored list, so a tag holding a comma survives an edit elsewhere.
 * Tools the server does not offer (`offered`, when known) are left out: the API would
 * refuse the whole save (422 unknown_tool); the tools panel says so before. */
export function fromForm(
  form: CharacterForm,
  original?: Character,
  offered: string[] | null = null,
): { data: FormFields; problems: Problems } {
  const problems: Problems = {};
  if (!form.name.trim()) problems.name = "A character needs a name.";
  const tags = original && form.tags === joinList(original.tags) ? original.tags : splitList(form.tags);
  if (tags.length > 30) problems.tags = "At most 30 tags.";
  else if (tags.some((tag) => tag.length > 64)) problems.tags = "A tag may be at most 64 characters long.";
  const temperature = optionalNumber(form.temperature);
  if (temperature !== null && (temperature < 0 || temperature > 2)) problems.temperature = "Between 0 and 2.";
  const topP = optionalNumber(form.top_p);
  if (topP !== null && (topP <= 0 || topP > 1)) problems.top_p = "More than 0, at most 1.";
  const maxTokens = optionalNumber(form.max_tokens);
  if (maxTokens !== null && (!Number.isInteger(maxTokens) || maxTokens < 1)) problems.max_tokens = "A whole number, at least 1.";
  const talkativeness = optionalNumber(form.talkativeness) ?? 0.5;
  if (talkativeness < 0 || talkativeness > 1) problems.talkativeness = "Between 0 and 1.";
  const cardExtra = parseObject(form.card_extra, "card_extra", problems);
  if (Object.keys(cardExtra).some((key) => key !== "card" && key !== "data")) {
    problems.card_extra = 'Only "card" and "data" may be set here.';
  }
  const data: FormFields = {
    name: form.name.trim(),
    description: form.description,
    personality: form.personality,
    scenario: form.scenario,
    first_message: form.first_message,
    alternate_greetings: form.alternate_greetings.filter((text) => text.trim()),
    group_only_greetings: form.group_only_greetings.filter((text) => text.trim()),
    example_dialogue: form.example_dialogue,
    system_prompt: form.system_prompt,
    post_history_instructions: form.post_history_instructions,
    prompt_template: form.prompt_template,
    creator_notes: form.creator_notes,
    creator: form.creator,
    character_version: form.character_version,
    tags,
    voice_model: optionalText(form.voice_model),
    voice_settings: parseObject(form.voice_settings, "voice_settings", problems),
    model: optionalText(form.model),
    temperature,
    top_p: topP,
    max_tokens: maxTokens,
    talkativeness,
    extensions: parseObject(form.extensions, "extensions", problems),
    card_extra: cardExtra,
    visibility: form.visibility,
    share_lorebook: form.share_lorebook,
    ...knownTools(form, offered),
  };
  return { data, problems };
}

function knownTools(form: CharacterForm, offered: string[] | null): Pick<FormFields, "tools" | "tool_policies"> {
  const gone = new Set(unofferedTools(form, offered));
  const policies = Object.entries(form.tool_policies).filter(([name]) => !gone.has(name));
  return { tools: form.tools.filter((name) => !gone.has(name)), tool_policies: Object.fromEntries(policies) };
}
