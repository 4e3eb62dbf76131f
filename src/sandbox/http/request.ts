import type { IncomingMessage } from "node:http";
import { HttpError } from "./http-error.js";

const MAX_BODY_BYTES = 1_048_576;

/** One API request as handlers see it: parsed URL, route params, lazily read JSON body. */
export class ApiRequest {
  #body: Promise<string> | undefined;
  #agentId: string | undefined;
  /** the `partial` fault: a handler that works item by item stops halfway (the server "dies" mid-request) */
  partial = false;

  constructor(
    readonly raw: IncomingMessage,
    readonly url: URL,
    readonly params: Record<string, string>,
  ) {}

  get method(): string {
    return this.raw.method ?? "GET";
  }

  /** The full path, e.g. `/api/v1/games/dice` (the per-IP limiters key on it). */
  get path(): string {
    return this.url.pathname;
  }

  get query(): URLSearchParams {
    return this.url.searchParams;
  }

  header(name: string): string | undefined {
    const value = this.raw.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  /**
   * The services' idea of the caller, as production's proxy gives it: X-Forwarded-For's first hop, else X-Real-IP,
   * else the connection's peer address (so machines with their own IPs have their own per-IP limits).
   */
  get ip(): string {
    const forwarded = this.header("x-forwarded-for")?.split(",")[0]?.trim() || this.header("x-real-ip");
    if (forwarded) return forwarded;
    const peer = this.raw.socket.remoteAddress;
    return peer ? peer.replace(/^::ffff:/, "") : "unknown";
  }

  /** The key after `Bearer ` (the services accept nothing else), or undefined. */
  bearer(): string | undefined {
    const auth = this.header("authorization");
    return auth?.startsWith("Bearer ") ? auth.slice(7) : undefined;
  }

  /** Set once auth has resolved the caller; the stats count requests by it. */
  get agentId(): string | undefined {
    return this.#agentId;
  }

  identify(agentId: string): void {
    this.#agentId = agentId;
  }

  /** The body as a JSON object. Invalid JSON → 400 invalid_json; valid non-objects read as `{}`. */
  async json(): Promise<Record<string, unknown>> {
    return asObject(await this.jsonValue());
  }

  /** The body as any JSON value (null included). Invalid JSON → 400 invalid_json. */
  async jsonValue(): Promise<unknown> {
    const text = await this.#readBody();
    try {
      return JSON.parse(text);
    } catch {
      throw new HttpError(400, "invalid_json", "Request body must be valid JSON");
    }
  }

  /** Like `c.req.json().catch(() => ({}))` in the services: anything unparseable reads as `{}`. */
  async jsonOrEmpty(): Promise<Record<string, unknown>> {
    const text = await this.#readBody();
    try {
      return asObject(JSON.parse(text));
    } catch {
      return {};
    }
  }

  /**
   * Starts reading the body now. A real server has the whole request before it is slow to answer, so a caller that
   * goes away during injected latency still gets its request processed (its answer is what is lost).
   */
  receive(): void {
    this.#readBody().catch(() => undefined);
  }

  #readBody(): Promise<string> {
    this.#body ??= new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      this.raw.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reject(new HttpError(413, "payload_too_large", `request body must be at most ${MAX_BODY_BYTES} bytes`));
          this.raw.resume();
          return;
        }
        chunks.push(chunk);
      });
      this.raw.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      this.raw.on("error", reject);
    });
    return this.#body;
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
