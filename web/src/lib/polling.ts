// Asking again until there is nothing more to wait for: a task's progress reaches the page
// this way (the API has no live stream a page can follow for a task). One request at a time:
// the next is asked `intervalMs` after the last answer, so a slow server is never flooded.

export interface PollOptions {
  intervalMs?: number;
  /** The wait after a failed request, doubled each time up to `maxBackoffMs`. */
  maxBackoffMs?: number;
}

/** Call `load` now and again after each answer while it returns true; the returned
 * function stops it. A `load` that throws is retried later, more slowly; `onError` hears why. */
export function poll(
  load: () => Promise<boolean>,
  onError: (error: unknown) => void,
  { intervalMs = 1000, maxBackoffMs = 8000 }: PollOptions = {},
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let backoff = intervalMs;

  async function round() {
    let again = true;
    try {
      again = await load();
      backoff = intervalMs;
    } catch (error) {
      if (!stopped) onError(error);
      backoff = Math.min(backoff * 2, maxBackoffMs);
    }
    if (again && !stopped) timer = setTimeout(round, backoff);
  }

  void round();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
