// A task as it changes, for the page that shows it. The task's live events
// (GET /api/v2/tasks/{id}/events: task.updated, task.step.updated, docs/tasks.md) say *that*
// something changed; the page then reads the whole task again (GET /api/v2/tasks/{id}), which
// sums its costs from the model calls so far and so never shows an event's partial picture.
// When the stream cannot be had or breaks off, the page asks every few seconds instead.
import { ApiError } from "./api";
import { poll } from "./polling";
import { stream } from "./sse";
import { TASKS, taskSettled, tasks, type TaskDetail } from "./tasks";

export interface TaskFollower {
  /** Each newer reading of the task. */
  onTask: (task: TaskDetail) => void;
  /** The task is not there (any more) or not this person's: nothing more comes. */
  onMissing: () => void;
  /** A reading failed; another follows. */
  onError: (error: unknown) => void;
}

const FALLBACK_INTERVAL_MS = 2000;

/** Follow task `id` until nothing more will change in it (taskSettled) or the returned
 * function is called. The event stream ends when the task finishes; a step still running
 * then (the task was cancelled) is followed by polling until it ends. */
export function followTask(id: string, follower: TaskFollower): () => void {
  const aborter = new AbortController();
  let stopPolling: (() => void) | null = null;
  let settled = false;
  const stopped = () => aborter.signal.aborted;

  /** Read the task; false once nothing more will change in it. */
  async function read(): Promise<boolean> {
    try {
      const task = await tasks.get(id);
      if (stopped()) return false;
      follower.onTask(task);
      settled = taskSettled(task);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      if (!stopped()) follower.onMissing();
      settled = true;
    }
    if (settled) aborter.abort();
    return !settled;
  }

  const reader = coalesced(() => read().catch((error) => !stopped() && follower.onError(error)));

  // The stream's first event (`ready`) comes once it is subscribed: reading the task then
  // misses nothing that happened before.
  stream("GET", `${TASKS}/${encodeURIComponent(id)}/events`, () => reader(), { signal: aborter.signal })
    .catch(() => {}) // no stream to be had, a dropped connection: polled below
    .finally(() => {
      if (!stopped() && !settled) stopPolling = poll(read, follower.onError, { intervalMs: FALLBACK_INTERVAL_MS });
    });

  return () => {
    aborter.abort();
    stopPolling?.();
  };
}

/** `run` at most once at a time; calls while it runs make one more run after it. */
function coalesced(run: () => Promise<unknown>): () => void {
  let running = false;
  let again = false;
  const go = async () => {
    running = true;
    do {
      again = false;
      await run();
    } while (again);
    running = false;
  };
  return () => {
    if (running) again = true;
    else void go();
  };
}
