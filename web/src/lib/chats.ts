// Chats: the API's shapes and its calls (shapes follow src/cognitia/chats/schemas.py).
// conversation.ts turns a chat's event streams into the list of messages a page shows.
import { api } from "./api";

// -- shapes --------------------------------------------------------------------------

export type TurnStrategy = "natural" | "list" | "pooled" | "manual";
export type MessageStatus = "complete" | "streaming" | "stopped" | "error";
export type AuthorType = "user" | "character" | "system";

export interface Message {
  id: string;
  chat_id: string;
  seq: number;
  author_type: AuthorType;
  user_id: string | null;
  character_id: string | null;
  name: string;
  content: string;
  status: MessageStatus;
  swipe_index: number;
  swipe_count: number;
  model: string | null;
  error: string | null;
  usage: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface MessagePage {
  items: Message[]; // oldest first
  has_more: boolean;
}

export interface ChatCharacter {
  id: string;
  name: string;
  position: number;
  model: string | null;
  talkativeness: number;
}

export interface Participant {
  user_id: string;
  first_name: string;
  is_owner: boolean;
  last_read_seq: number;
  share_private: boolean;
}

export interface Chat {
  id: string;
  owner_id: string;
  title: string;
  strategy: TurnStrategy;
  auto_turns: number;
  persona_id: string | null;
  branched_from_message_id: string | null;
  last_seq: number;
  characters: ChatCharacter[];
  participants: Participant[];
  unread_count: number;
  last_message: Message | null;
  created_at: string;
  updated_at: string;
}

export interface ChatPage {
  items: Chat[]; // most recently active first
  total: number;
  limit: number;
  offset: number;
}

export interface ChatCreate {
  title: string;
  character_ids: string[];
  strategy: TurnStrategy;
  auto_turns: number;
  persona_id: string | null;
}

export interface ChatUpdate {
  title?: string;
  strategy?: TurnStrategy;
  auto_turns?: number;
  persona_id?: string | null;
}

/** What the chat pages need of a character (the API sends much more). */
export interface CharacterSummary {
  id: string;
  owner_id: string;
  name: string;
  description: string;
  visibility: "private" | "unlisted" | "public";
  avatar_url: string | null;
}

interface CharacterPage {
  items: CharacterSummary[];
  total: number;
}

export interface Persona {
  id: string;
  name: string;
  description: string;
  is_default: boolean;
}

export interface StopResult {
  message: Message;
  forwarded: boolean; // stopped by the API process generating it; the end comes as an event
}

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
    api.post<Chat>(`${CHATS}/${chatId}/participants`, { user_id: userId }),
  sharePrivate: (chatId: string, userId: string, share: boolean) =>
    api.patch<Chat>(`${CHATS}/${chatId}/participants/${userId}`, { share_private: share }),
  removeParticipant: (chatId: string, userId: string) =>
    api.delete(`${CHATS}/${chatId}/participants/${userId}`),
  addCharacter: (chatId: string, characterId: string) =>
    api.post<Chat>(`${CHATS}/${chatId}/characters`, { character_id: characterId }),
  removeCharacter: (chatId: string, characterId: string) =>
    api.delete<Chat>(`${CHATS}/${chatId}/characters/${characterId}`),
  branch: (chatId: string, messageId: string) =>
    api.post<Chat>(`${CHATS}/${chatId}/branch`, { message_id: messageId }),
};

export const messages = {
  /** Newest page without a cursor; `before` pages back, `after` catches up. Reading a
   * page moves the caller's read mark to its last message. */
  page: (chatId: string, cursor: { before?: number; after?: number } = {}, limit = 40) =>
    api.get<MessagePage>(messagesOf(chatId), { ...cursor, limit }),
  edit: (chatId: string, messageId: string, content: string) =>
    api.patch<Message>(`${messagesOf(chatId)}/${messageId}`, { content }),
  remove: (chatId: string, messageId: string) => api.delete(`${messagesOf(chatId)}/${messageId}`),
  chooseSwipe: (chatId: string, messageId: string, index: number) =>
    api.put<Message>(`${messagesOf(chatId)}/${messageId}/swipe`, { index }),
  stop: (chatId: string, messageId: string) =>
    api.post<StopResult>(`${messagesOf(chatId)}/${messageId}/stop`),
};

export const characters = {
  mine: () => api.get<CharacterPage>("/api/v2/characters", { limit: 200 }),
  marketplace: (q = "") => api.get<CharacterPage>("/api/v2/characters/marketplace", { q, limit: 50 }),
};

export const personas = {
  list: () => api.get<Persona[]>("/api/v2/personas"),
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
