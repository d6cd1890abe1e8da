// Server-Sent Events over fetch: EventSource cannot send a bearer token or a POST body.
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { send, type RequestOptions } from "./api";

export interface StreamEvent {
  event: string;
  data: unknown;
}

/** Send a request that answers text/event-stream and call `onEvent` for each event
 * until the stream ends or `signal` aborts. Errors before the stream starts throw ApiError. */
export async function stream(
  method: string,
  path: string,
  onEvent: (event: StreamEvent) => void,
  options: RequestOptions = {},
): Promise<void> {
  const response = await send(method, path, { ...options, accept: "text/event-stream" });
  if (!response.body) return;
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      onEvent({ event: message.event ?? "message", data: parse(message.data) });
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
  } catch (error) {
    if (!(error instanceof DOMException && error.name === "AbortError")) throw error;
  } finally {
    reader.releaseLock();
  }
}

function parse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}
