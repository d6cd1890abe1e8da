// "Speak replies", remembered per chat in this browser.
const KEY = "cognitia.speakReplies";

function stored(): Record<string, boolean> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(KEY) ?? "{}");
    return value && typeof value === "object" ? (value as Record<string, boolean>) : {};
  } catch {
    return {};
  }
}

export function speaksReplies(chatId: string): boolean {
  return stored()[chatId] === true;
}

export function setSpeaksReplies(chatId: string, on: boolean): void {
  const all = stored();
  if (on) all[chatId] = true;
  else delete all[chatId];
  localStorage.setItem(KEY, JSON.stringify(all));
}
