// The session's tokens, kept in localStorage so a reload (or a second tab) stays signed in.
import type { Schema } from "./api";

export type TokenPair = Schema<"TokenPair">;

const KEY = "cognitia.tokens";

export const tokens = {
  get(): TokenPair | null {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as TokenPair;
    } catch {
      localStorage.removeItem(KEY);
      return null;
    }
  },
  set(pair: TokenPair): void {
    localStorage.setItem(KEY, JSON.stringify(pair));
  },
  clear(): void {
    localStorage.removeItem(KEY);
  },
};
