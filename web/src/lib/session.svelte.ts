// Who is signed in. The tokens live in localStorage; the user is loaded from /auth/me.
import { api, whenSignedOut } from "./api";
import { navigate, route } from "./router.svelte";
import { tokens, type TokenPair } from "./tokens";

export interface User {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: string;
  is_active: boolean;
  is_verified: boolean;
  created_at: string;
}

export const session = $state<{ user: User | null; ready: boolean }>({ user: null, ready: false });

whenSignedOut(() => {
  session.user = null;
  if (!route.path.startsWith("/login")) navigate(`/login?next=${encodeURIComponent(route.path)}`);
});

/** At start-up: the stored session's user, if its tokens still work. */
export async function restore(): Promise<void> {
  try {
    if (tokens.get()) session.user = await api.get<User>("/api/v2/auth/me");
  } catch {
    tokens.clear();
  } finally {
    session.ready = true;
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  tokens.set(await api.post<TokenPair>("/api/v2/auth/login", { email, password }));
  session.user = await api.get<User>("/api/v2/auth/me");
}

export async function signOut(): Promise<void> {
  try {
    await api.post("/api/v2/auth/logout");
  } finally {
    tokens.clear();
    session.user = null;
    navigate("/login");
  }
}
