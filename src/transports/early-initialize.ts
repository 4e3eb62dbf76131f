import { isDeepStrictEqual } from "node:util";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  type InitializeResult,
  type JSONRPCMessage,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/sdk/types.js";

/**
 * A transport that answers `initialize` before the server behind it exists. Loading pf-fleet (tools, storage,
 * engine, sandbox) takes several hundred milliseconds; a host times its server's start-up by the `initialize`
 * answer, which depends on nothing but constants. So the entry point starts this wrapper first, answers
 * `initialize` from those constants, and buffers every message until the real server connects. The server then
 * sees the whole conversation from the start, `initialize` included (so it learns the client's capabilities),
 * and its own answer to that `initialize` is dropped: the client already has one. If that answer ever differs from
 * the early one, `onMismatch` says so (a test keeps the two equal).
 */

export type EarlyAnswer = Pick<InitializeResult, "capabilities" | "serverInfo" | "instructions">;

export class EarlyInitializeTransport implements Transport {
  onmessage?: Transport["onmessage"];
  onclose?: Transport["onclose"];
  onerror?: Transport["onerror"];

  private readonly buffered: JSONRPCMessage[] = [];
  private attached = false;
  private innerClosed = false;
  private answered: { id: string | number; result: InitializeResult } | undefined;

  /** told when the server's own answer to `initialize` differs from the early one */
  onMismatch: (early: InitializeResult, real: unknown) => void = () => undefined;

  constructor(
    private readonly inner: Transport,
    private readonly answer: EarlyAnswer,
  ) {}

  /** Starts reading from the inner transport at once, long before a server connects. */
  async listen(): Promise<void> {
    this.inner.onmessage = (message) => this.receive(message);
    this.inner.onerror = (error) => this.onerror?.(error);
    this.inner.onclose = () => {
      this.innerClosed = true;
      if (this.attached) this.onclose?.();
    };
    await this.inner.start();
  }

  /** Called by the server's `connect`: replays what arrived so far, then passes messages straight through. */
  async start(): Promise<void> {
    this.attached = true;
    for (const message of this.buffered.splice(0)) this.onmessage?.(message);
    if (this.innerClosed) this.onclose?.();
  }

  async send(message: JSONRPCMessage, options?: Parameters<Transport["send"]>[1]): Promise<void> {
    const early = this.answered;
    if (early && "id" in message && message.id === early.id && ("result" in message || "error" in message)) {
      this.answered = undefined;
      if (!("result" in message) || !isDeepStrictEqual(message.result, early.result)) {
        this.onMismatch(early.result, "result" in message ? message.result : message.error);
      }
      return;
    }
    await this.inner.send(message, options);
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId;
  }

  private receive(message: JSONRPCMessage): void {
    if (this.attached) {
      this.onmessage?.(message);
      return;
    }
    if (this.answered === undefined && isInitialize(message)) {
      const result = this.initializeResult(message.params);
      this.answered = { id: message.id, result };
      this.inner.send({ jsonrpc: "2.0", id: message.id, result }).catch((err) => this.onerror?.(err as Error));
    }
    this.buffered.push(message);
  }

  /** The SDK's own negotiation: the client's version if supported, else the newest. */
  private initializeResult(params: { protocolVersion: string }): InitializeResult {
    const requested = params.protocolVersion;
    const protocolVersion = SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
    return { protocolVersion, ...this.answer };
  }
}

/** A well-formed `initialize` request; anything else waits for the real server, which answers errors itself. */
function isInitialize(
  message: JSONRPCMessage,
): message is JSONRPCMessage & { id: string | number; params: { protocolVersion: string } } {
  if (!("method" in message) || message.method !== "initialize" || !("id" in message)) return false;
  const params = message.params as Record<string, unknown> | undefined;
  return (
    typeof params?.protocolVersion === "string" &&
    typeof params.capabilities === "object" &&
    params.capabilities !== null &&
    typeof params.clientInfo === "object" &&
    params.clientInfo !== null
  );
}
