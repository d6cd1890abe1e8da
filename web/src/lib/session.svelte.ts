// Who is signed in. The tokens live in localStorage; the user is loaded from /auth/me.
import { whenSignedOut } from "./api";
import { auth, type User } from "./auth";
import { navigate, route } from "./router.svelte";
import { tokens } from "./tokens";

export const session = $state<{ user: User | null; ready: boolean }>({ user: null, ready: false });

whenSignedOut(() => {
  session.user = null;
  if (!route.path.startsWith("/login")) navigate(`/login?next=${encodeURIComponent(route.path)}`);
});

/** At start-up: the stored session's user, if its tokens still work. */
export async function restore(): Promise<void> {
  try {
    if (tokens.get()) session.user = await auth.me();
  } catch {
    tokens.clear();
  } finally {
    session.ready = true;
  }
}

export async function signIn(email: string, password: string): Promise<void> {
  tokens.set(await auth.login(email, password));
  session.user = await auth.me();
}

export async function signOut(): Promise<void> {
  try {
    await auth.logout();
  } finally {
    tokens.clear();
    session.user = null;
    navigate("/login");
  }
}
