// Chats: the API's shapes (taken from schema.d.ts, generated from src/cognitia/chats/schemas.py)
// and its calls. conversation.ts turns a chat's event streams into the list of messages a page
// shows. Characters and personas have their own client (characters.ts).
import { api, type Schema } from "./api";

// -- shapes --------------------------------------------------------------------------

export type TurnStrategy = Schema<"TurnStrategy">;
export type MessageStatus = Schema<"MessageStatus">;
export type AuthorType = Schema<"AuthorType">;
export type Message = Schema<"MessageRead">;
/** `items` oldest first; `has_more`: older (newest page, `before`) or newer (`after`) exist. */
export type MessagePage = Schema<"MessagePage">;
export type ChatCharacter = Schema<"ChatCharacterRead">;
export type Participant = Schema<"ParticipantRead">;
export type Chat = Schema<"ChatRead">;
/** `items` most recently active first. */
export type ChatPage = Schema<"ChatPage">;
export type ChatCreate = Schema<"ChatCreate">;
export type ChatUpdate = Schema<"ChatUpdate">;
/** `forwarded`: stopped by the API process generating it; the end comes as an event. */
export type StopResult = Schema<"StopRead">;

export const MAX_AUTO_TURNS = 10;

export const STRATEGIES: { value: TurnStrategy; label: string; hint: string }[] = [
  { value: "natural", label: "Natural", hint: "Characters you name answer first, then others join by talkativeness." },
  { value: "list", label: "In turn", hint: "Every character once, in list order." },
  { value: "pooled", label: "Pooled", hint: "Someone who hasn't spoken since everyone last did." },
  { value: "manual", label: "I choose", hint: "Only the character you pick answers." },
];

export function strategyLabel(strategy: TurnStrategy): string {
  return STRATEGIES.find((s) => s.value === strategy)?.label ?? strategy;
}

/** The chat's title, or its characters' names when it has none. */
export function chatTitle(chat: Chat): string {
  return chat.title || chat.characters.map((c) => c.name).join(", ") || "Untitled chat";
}

/** A time today, else a date: when something was said, in a list. */
export function shortDate(iso: string): string {
  const at = new Date(iso);
  const today = new Date().toDateString() === at.toDateString();
  return today
    ? at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : at.toLocaleDateString([], { day: "numeric", month: "short" });
}

/** The reply being written, if any: the newest message still streaming. */
export function replyInProgress(list: Message[]): Message | undefined {
  for (let i = list.length - 1; i >= 0; i -= 1) if (list[i].status === "streaming") return list[i];
  return undefined;
}

/** What the person may do with this message, decided by the list. */
export interface MessagePermissions {
  edit: boolean;
  delete: boolean;
  /** Regenerate and continue: the chat's last message, a character's, nothing running. */
  rework: boolean;
  /** Something generates in the chat: alternatives and branching wait. */
  busy: boolean;
}

export interface MessageHandlers {
  regenerate: (message: Message) => Promise<void>;
  continueReply: (message: Message) => Promise<void>;
  chooseSwipe: (message: Message, index: number) => Promise<void>;
  edit: (message: Message, content: string) => Promise<void>;
  remove: (message: Message) => Promise<void>;
  branch: (message: Message) => Promise<void>;
  /** Approve or decline a reply's tool call that waits for a member (docs/tools.md). */
  decideTool: (message: Message, callId: string, approve: boolean) => Promise<void>;
}

// -- calls ---------------------------------------------------------------------------

export const CHATS = "/api/v2/chats";
export const messagesOf = (chatId: string) => `${CHATS}/${chatId}/messages`;

export const chats = {
  list: (offset = 0, limit = 30) => api.get<ChatPage>(CHATS, { limit, offset }),
  get: (chatId: string) => api.get<Chat>(`${CHATS}/${chatId}`),
  create: (data: ChatCreate) => api.post<Chat>(CHATS, data),
  update: (chatId: string, data: ChatUpdate) => api.patch<Chat>(`${CHATS}/${chatId}`, data),
  remove: (chatId: string) => api.delete(`${CHATS}/${chatId}`),
  invite: (chatId: string, userId: string) =>
    api.post<Chat>(`${CHATS}/${chatId}/participants`, { user_id: userId } satisfies Schema<"ParticipantAdd">),
  sharePrivate: (chatId: string, userId: string, share: boolean) =>
    api.patch<Chat>(`${CHATS}/${chatId}/participants/${userId}`, {
      share_private: share,
    } satisfies Schema<"ParticipantUpdate">),
  removeParticipant: (chatId: string, userId: string) =>
    api.delete(`${CHATS}/${chatId}/participants/${userId}`),
  addCharacter: (chatId: string, characterId: string) =>
    api.post<Chat>(`${CHATS}/${chatId}/characters`, { character_id: characterId } satisfies Schema<"CharacterAdd">),
  removeCharacter: (chatId: string, characterId: string) =>
    api.delete<Chat>(`${CHATS}/${chatId}/characters/${characterId}`),
  branch: (chatId: string, messageId: string) =>
    api.post<Chat>(`${CHATS}/${chatId}/branch`, { message_id: messageId } satisfies Schema<"BranchRequest">),
};

export const messages = {
  /** Newest page without a cursor; `before` pages back, `after` catches up. Reading a
   * page moves the caller's read mark to its last message. */
  page: (chatId: string, cursor: { before?: number; after?: number } = {}, limit = 40) =>
    api.get<MessagePage>(messagesOf(chatId), { ...cursor, limit }),
  edit: (chatId: string, messageId: string, content: string) =>
    api.patch<Message>(`${messagesOf(chatId)}/${messageId}`, { content } satisfies Schema<"MessageEdit">),
  remove: (chatId: string, messageId: string) => api.delete(`${messagesOf(chatId)}/${messageId}`),
  chooseSwipe: (chatId: string, messageId: string, index: number) =>
    api.put<Message>(`${messagesOf(chatId)}/${messageId}/swipe`, { index } satisfies Schema<"SwipeChoice">),
  stop: (chatId: string, messageId: string) =>
    api.post<StopResult>(`${messagesOf(chatId)}/${messageId}/stop`),
};

/** Whether the person may change (edit) a message: their own, or as the chat's owner a
 * character's. Deleting: the same, and the owner deletes anyone's. */
export function mayEdit(message: Message, chat: Chat, userId: string): boolean {
  if (message.author_type === "user") return message.user_id === userId;
  return chat.owner_id === userId;
}

export function mayDelete(message: Message, chat: Chat, userId: string): boolean {
  return chat.owner_id === userId || (message.author_type === "user" && message.user_id === userId);
}
