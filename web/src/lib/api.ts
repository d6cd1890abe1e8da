// The one way the UI talks to the API: JSON in and out, the bearer token attached,
// an expired access token refreshed once (silently) and the request retried.
import type { components } from "./schema";
import { tokens, type TokenPair } from "./tokens";

/** A shape the API takes or answers, by its name in the API's OpenAPI spec. schema.d.ts is
 * generated from that spec (./dev web-types), so a changed API fails the UI's type check. */
export type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    /** The whole error body: a refusal's own fields (`limit`, `reset_at`, `upgrade_to`...). */
    readonly body: Record<string, unknown> = {},
    /** Retry-After, in seconds, when the answer had one. */
    readonly retryAfter: number | null = null,
  ) {
    super(detail);
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  json?: unknown;
  form?: FormData;
  query?: Query;
  signal?: AbortSignal;
  accept?: string;
}

/** Called when the session cannot be refreshed: the app sends the person to sign in. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(callback: () => void): void {
  onSignedOut = callback;
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time: parallel 401s wait for the same new token pair. */
function refreshTokens(): Promise<boolean> {
  refreshing ??= (async () => {
    const refresh = tokens.get()?.refresh_token;
    if (!refresh) return false;
    const response = await fetch("/api/v2/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: refresh } satisfies Schema<"RefreshRequest">),
    });
    if (!response.ok) {
      tokens.clear();
      return false;
    }
    tokens.set((await response.json()) as TokenPair);
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function url(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

function init(method: string, options: RequestOptions): RequestInit {
  const headers: Record<string, string> = { Accept: options.accept ?? "application/json" };
  const access = tokens.get()?.access_token;
  if (access) headers.Authorization = `Bearer ${access}`;
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  return { method, headers, body, signal: options.signal };
}

/** fetch with the token and one silent refresh; the raw Response (for streams, files). */
export async function send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  const target = url(path, options.query);
  let response = await fetch(target, init(method, options));
  if ((await sessionRefused(response)) && tokens.get() && (await refreshTokens())) {
    response = await fetch(target, init(method, options));
  }
  if (await sessionRefused(response)) {
    tokens.clear();
    onSignedOut();
  }
  if (!response.ok) throw await asError(response);
  return response;
}

/** A 401 about the session itself (expired, revoked, missing token), not a wrong
 * password given in the request (sign-in, a password change): that one is the
 * caller's to show, and must not sign anyone out. */
async function sessionRefused(response: Response): Promise<boolean> {
  if (response.status !== 401) return false;
  const body = await response
    .clone()
    .json()
    .catch(() => ({}));
  return body.error !== "invalid_credentials";
}

export async function asError(response: Response): Promise<ApiError> {
  const seconds = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  const retryAfter = Number.isFinite(seconds) ? seconds : null;
  try {
    const body = await response.json();
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    return new ApiError(response.status, body.error ?? "http_error", detail, body, retryAfter);
  } catch {
    return new ApiError(response.status, "http_error", response.statusText || "Request failed");
  }
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>("GET", path, { query }),
  post: <T>(path: string, json?: unknown) => request<T>("POST", path, { json }),
  put: <T>(path: string, json?: unknown) => request<T>("PUT", path, { json }),
  patch: <T>(path: string, json?: unknown) => request<T>("PATCH", path, { json }),
  delete: <T = void>(path: string) => request<T>("DELETE", path),
  upload: <T>(path: string, form: FormData, method = "POST") => request<T>(method, path, { form }),
};

/** A person-readable message for any error a call can throw. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error) return error.message;
  return String(error);
}
