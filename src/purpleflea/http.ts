import { Agent, request } from "undici";
import type { z } from "zod";
import type { ServiceUrls } from "../config.js";
import { FleetError } from "../errors.js";
import type { Logger } from "../log.js";
import type { CallContext, ServiceName, SideEffect } from "./call-context.js";
import { type AbortCause, cancelledBeforeSend, errorFromNetwork, errorFromUnreadableBody } from "./network-errors.js";
import type { ApiKey, CallOptions } from "./types.js";
import { errorFromResponse } from "./upstream-errors.js";

/**
 * The one HTTP path to Purple Flea: a shared keep-alive pool, the bearer key per call, a deadline merged
 * with the caller's AbortSignal, and every failure turned into a FleetError that says whether the request
 * can have been processed. No identity headers (X-Forwarded-For, X-Real-IP) are ever sent.
 */

export interface HttpRequest {
  service: ServiceName;
  method: "GET" | "POST" | "PUT";
  /** under the service's base URL, starting with `/`; path parameters already encoded */
  path: string;
  effect: SideEffect;
  key?: ApiKey;
  query?: Record<string, string | number | undefined>;
  /** JSON body; POST and PUT send `{}` when absent, since some handlers parse the body unconditionally */
  body?: unknown;
}

export interface TransportOptions {
  urls: ServiceUrls;
  timeoutMs: number;
  logger: Logger;
  /** sockets per origin */
  connections: number;
}

/** Larger than any documented answer (a 10,000-row CSV export is ~2 MB); guards memory. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export class HttpTransport {
  readonly #agent: Agent;
  readonly #urls: ServiceUrls;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  #closed = false;

  constructor(opts: TransportOptions) {
    assertTimeout("timeoutMs", opts.timeoutMs);
    if (!Number.isInteger(opts.connections) || opts.connections < 1) {
      throw new FleetError("INVALID_INPUT", `connections must be an integer ≥ 1, got \`${opts.connections}\``);
    }
    this.#urls = {
      casino: baseUrl("casino", opts.urls.casino),
      escrow: baseUrl("escrow", opts.urls.escrow),
      faucet: baseUrl("faucet", opts.urls.faucet),
      domains: baseUrl("domains", opts.urls.domains),
      wallet: baseUrl("wallet", opts.urls.wallet),
    };
    this.#timeoutMs = opts.timeoutMs;
    this.#logger = opts.logger;
    this.#agent = new Agent({ connections: opts.connections, maxResponseSize: MAX_RESPONSE_BYTES });
  }

  /** Sends the request and validates the JSON answer with `schema` (which may transform it). */
  async json<T>(req: HttpRequest, schema: z.ZodType<T>, call: CallOptions = {}): Promise<T> {
    const { status, text } = await this.#send(req, "application/json", call);
    try {
      return schema.parse(JSON.parse(text));
    } catch (err) {
      throw errorFromUnreadableBody(contextOf(req), status, err);
    }
  }

  /** Sends the request and decodes a text answer (the CSV export) with `decode`. */
  async text<T>(req: HttpRequest, decode: (text: string) => T, call: CallOptions = {}): Promise<T> {
    const { status, text } = await this.#send(req, "text/csv, text/plain;q=0.9, */*;q=0.1", call);
    try {
      return decode(text);
    } catch (err) {
      throw errorFromUnreadableBody(contextOf(req), status, err);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#agent.close();
  }

  async #send(req: HttpRequest, accept: string, call: CallOptions): Promise<{ status: number; text: string }> {
    const ctx = contextOf(req);
    if (this.#closed) {
      throw new FleetError("INTERNAL", `the Purple Flea client is closed; ${req.method} ${req.path} was not sent`);
    }
    if (call.signal?.aborted) throw cancelledBeforeSend(ctx);
    const timeoutMs = call.timeoutMs ?? this.#timeoutMs;
    assertTimeout("timeoutMs", timeoutMs);

    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
    const abortCause = (): AbortCause | undefined =>
      call.signal?.aborted ? "cancelled" : deadline.aborted ? "timeout" : undefined;
    const headers: Record<string, string> = { accept, "user-agent": "pf-fleet" };
    if (req.key !== undefined) headers.authorization = `Bearer ${req.key}`;
    let body: string | undefined;
    if (req.method !== "GET") {
      headers["content-type"] = "application/json";
      body = JSON.stringify(req.body ?? {});
    }

    let status: number;
    let retryAfter: string | undefined;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(this.#url(req), { dispatcher: this.#agent, method: req.method, headers, body, signal });
      status = response.statusCode;
      const header = response.headers["retry-after"];
      retryAfter = Array.isArray(header) ? header[0] : header;
    } catch (err) {
      this.#logger.debug({ service: req.service, method: req.method, path: req.path }, "purple flea request failed");
      throw errorFromNetwork(ctx, err, abortCause(), timeoutMs);
    }

    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      this.#logger.debug({ service: req.service, method: req.method, path: req.path, status }, "body lost");
      // A refusal (4xx) proves nothing was done even if its explanation was cut off.
      if (status >= 400 && status < 500 && status !== 408) throw errorFromResponse(ctx, status, "", retryAfter);
      throw errorFromNetwork(ctx, err, abortCause(), timeoutMs);
    }

    this.#logger.debug({ service: req.service, method: req.method, path: req.path, status }, "purple flea request");
    if (status < 200 || status >= 300) throw errorFromResponse(ctx, status, text, retryAfter);
    return { status, text };
  }

  #url(req: HttpRequest): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) params.set(name, String(value));
    }
    const qs = params.toString();
    return `${this.#urls[req.service]}${req.path}${qs ? `?${qs}` : ""}`;
  }
}

function contextOf(req: HttpRequest): CallContext {
  return { service: req.service, method: req.method, path: req.path, effect: req.effect };
}

/** Validates a service base URL and drops trailing slashes, so `${base}${path}` joins cleanly. */
function baseUrl(service: ServiceName, url: string): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== "http:" && protocol !== "https:") {
    throw new FleetError("INVALID_INPUT", `urls.${service} must be an http(s) URL, got \`${url}\``);
  }
  return url.replace(/\/+$/, "");
}

function assertTimeout(name: string, ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new FleetError("INVALID_INPUT", `${name} must be a number of milliseconds > 0, got \`${ms}\``);
  }
}
