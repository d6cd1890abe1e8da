// Accounts and credentials: signing up and in, the e-mail links, API keys. The API's shapes
// (schema.d.ts, generated from src/cognitia/auth/schemas.py) and the one client of /auth
// and /api-keys. The access token's silent refresh lives with the transport (api.ts).
import { api, type Schema } from "./api";
import type { TokenPair } from "./tokens";

export type User = Schema<"UserRead">;
export type Registration = Schema<"RegisterRequest">;

const AUTH = "/api/v2/auth";

export const auth = {
  register: (form: Registration) => api.post<User>(`${AUTH}/register`, form),
  login: (email: string, password: string) =>
    api.post<TokenPair>(`${AUTH}/login`, { email, password } satisfies Schema<"LoginRequest">),
  me: () => api.get<User>(`${AUTH}/me`),
  logout: () => api.post<void>(`${AUTH}/logout`),
  verifyEmail: (token: string) => api.post<User>(`${AUTH}/verify-email`, { token } satisfies Schema<"TokenRequest">),
  resendVerification: (email: string) =>
    api.post<Schema<"Accepted">>(`${AUTH}/resend-verification`, { email } satisfies Schema<"EmailRequest">),
  requestPasswordReset: (email: string) =>
    api.post<Schema<"Accepted">>(`${AUTH}/request-password-reset`, { email } satisfies Schema<"EmailRequest">),
  resetPassword: (token: string, newPassword: string) =>
    api.post<void>(`${AUTH}/reset-password`, {
      token,
      new_password: newPassword,
    } satisfies Schema<"ResetPasswordRequest">),
};

// ---- API keys ------------------------------------------------------------------------

/** full: everything but the account's own credentials; chat: chats and /v1 only. */
export type ApiKeyScope = Schema<"ApiKeyScope">;
/** `prefix`: the key's first characters, to tell keys apart; the key itself is never shown again. */
export type ApiKey = Schema<"ApiKeyRead">;
/** Only the creation's answer carries the key itself. */
export type CreatedApiKey = Schema<"ApiKeyCreated">;
/** A new key's settings; creating one needs the current password. */
export type ApiKeyFields = Schema<"ApiKeyCreate">;

/** The lifetimes offered for a new key (the API takes 1 to 3650 days, or none). */
export const KEY_LIFETIMES = [
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
  { days: 365, label: "1 year" },
  { days: null, label: "Never expires" },
] as const;

const KEYS = "/api/v2/api-keys";

export const apiKeys = {
  list: () => api.get<ApiKey[]>(KEYS),
  create: (fields: ApiKeyFields) => api.post<CreatedApiKey>(KEYS, fields),
  /** Revoking keeps the key in the list, with `revoked_at` set. */
  revoke: (id: string) => api.delete<ApiKey>(`${KEYS}/${encodeURIComponent(id)}`),
};
