/**
 * Server-sent event streams (the `text/event-stream` format of the HTML
 * standard), at most a set number open at once, each on a channel (live
 * reload's: one per served folder). A stream ends when its reader cancels
 * it (the client went away), when the signal it was opened with aborts (the
 * server shuts down), or when it falls too far behind.
 *
 * @example
 * ```ts
 * import { EventStreams } from "./streams.ts";
 *
 * const streams = new EventStreams(2);
 * const stopping = new AbortController();
 * const stream = streams.open("site", stopping.signal)!;
 * streams.send("site", "reload", '["/index.html"]', "7");
 * const reader = stream.getReader();
 * await reader.read(); // the first bytes: "retry: 1000\n\n"
 * const { value } = await reader.read();
 * console.log(new TextDecoder().decode(value)); // 'event: reload\nid: 7\ndata: ["/index.html"]\n\n'
 * stopping.abort(); // the stream ends
 * console.log((await reader.read()).done); // true
 * ```
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * What a stream sends first: how long a browser waits before it reconnects
 * (ms), so that pages find a restarted server within a second.
 */
const RETRY = encoder.encode("retry: 1000\n\n");

/**
 * Events a stream may hold unread before it is ended: a client that reads
 * nothing must not make the server hold events for it without end.
 */
const MAX_QUEUED = 16;

/**
 * One event in the stream's format. `id` must hold no line break and no
 * NUL (the format drops such an id): the callers give their own tokens.
 */
function eventBytes(event: string, data: string, id?: string): Uint8Array {
  return encoder.encode(
    `event: ${event}\n${id === undefined ? "" : `id: ${id}\n`}${
      data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join("")
    }\n`,
  );
}

/**
 * What one stream is sent of an event's data: its own version of it, or
 * null for nothing.
 */
export type Tailor = (data: string) => string | null;

/** One open stream's end of it. */
interface Subscriber {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Ends the stream and forgets it; only its first call does anything. */
  end: () => void;
  /** Its own version of each event's data; every event whole without. */
  tailor?: Tailor;
}

/** Event streams of one process, at most {@link EventStreams.max} open. */
export class EventStreams {
  readonly #channels = new Map<string, Set<Subscriber>>();
  #count = 0;

  /**
   * @param max the most streams open at once
   * @param onEmpty called when the last stream of a channel has ended
   */
  constructor(
    readonly max: number,
    readonly onEmpty: (channel: string) => void = () => {},
  ) {}

  /** How many streams are open, on `channel` or on all. */
  count(channel?: string): number {
    return channel === undefined
      ? this.#count
      : this.#channels.get(channel)?.size ?? 0;
  }

  /**
   * A new stream on `channel`, which ends once `signal` aborts; null when
   * {@link max} are open already. `hello`, when given, is the stream's first
   * event, sent to it alone; `tailor`, when given, what it is sent of each
   * event after it.
   */
  open(
    channel: string,
    signal: AbortSignal,
    hello?: { event: string; data: string },
    tailor?: Tailor,
  ): ReadableStream<Uint8Array> | null {
    if (this.#count >= this.max) return null;
    let subscriber: Subscriber;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        let ended = false;
        const end = () => {
          if (ended) return;
          ended = true;
          signal.removeEventListener("abort", end);
          this.#forget(channel, subscriber);
          try {
            controller.close();
          } catch {
            // Cancelled by its reader: already closed.
          }
        };
        subscriber = { controller, end, tailor };
        controller.enqueue(RETRY);
        if (hello !== undefined) {
          controller.enqueue(eventBytes(hello.event, hello.data));
        }
      },
      cancel: () => subscriber.end(),
    }, { highWaterMark: MAX_QUEUED });
    if (signal.aborted) {
      subscriber!.end();
      return stream;
    }
    signal.addEventListener("abort", subscriber!.end);
    let subscribers = this.#channels.get(channel);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#channels.set(channel, subscribers);
    }
    subscribers.add(subscriber!);
    this.#count++;
    return stream;
  }

  /**
   * Sends one event to every stream on `channel`: `event: <event>`, `id:
   * <id>` when given (a browser's `lastEventId`), and the lines of `data`. A
   * stream that has fallen {@link MAX_QUEUED} events behind is ended instead.
   * A stream opened with a tailor is sent what it makes of `data`.
   */
  send(channel: string, event: string, data: string, id?: string): void {
    const subscribers = this.#channels.get(channel);
    if (subscribers === undefined) return;
    const bytes = eventBytes(event, data, id);
    for (const subscriber of [...subscribers]) {
      const own = subscriber.tailor?.(data);
      if (own === null) continue;
      if ((subscriber.controller.desiredSize ?? 0) <= 0) subscriber.end();
      else {
        subscriber.controller.enqueue(
          own === undefined ? bytes : eventBytes(event, own, id),
        );
      }
    }
  }

  /** Ends every stream on `channel`. */
  endAll(channel: string): void {
    for (const subscriber of [...this.#channels.get(channel) ?? []]) {
      subscriber.end();
    }
  }

  #forget(channel: string, subscriber: Subscriber): void {
    const subscribers = this.#channels.get(channel);
    if (subscribers === undefined || !subscribers.delete(subscriber)) return;
    this.#count--;
    if (subscribers.size > 0) return;
    this.#channels.delete(channel);
    this.onEmpty(channel);
  }
}
