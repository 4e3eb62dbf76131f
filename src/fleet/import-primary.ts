import { setTimeout as wait } from "node:timers/promises";
import type { FleetDeps } from "../deps.js";
import { type FleetError, toFleetError } from "../errors.js";
import { recordOpeningBalance } from "../jobs/tasks/index.js";
import { assertCasinoKey } from "./keys.js";

/**
 * Imports PF_API_KEY as the fleet's primary agent: the casino tells us whose key it is (auth/balance), the
 * key goes into the fleet store, and a newly joined agent's opening balance is recorded so local PnL can
 * equal the change of its server balance.
 *
 * `state.newAgent` carries what the first try learnt across retries: an agent added by a try whose opening
 * balance then failed is still new to the fleet, and the next try records its opening balance.
 */
export async function importPrimaryAgent(
  deps: FleetDeps,
  apiKey: string,
  state: { newAgent?: boolean } = {},
  signal?: AbortSignal,
): Promise<string> {
  // a malformed key is refused here, before it is sent: the casino would only see a secret it cannot use
  assertCasinoKey(apiKey, "PF_API_KEY");
  const { agentId } = await deps.client.casino.balance(apiKey, signal ? { signal } : {});
  if (state.newAgent === undefined) state.newAgent = (await deps.fleet.getAgent(agentId)) === undefined;
  await deps.fleet.addAgent({ agentId, apiKey, source: "imported", label: state.newAgent ? "primary" : undefined });
  if (state.newAgent) await recordOpeningBalance(deps, agentId, signal);
  deps.logger.info({ agentId, newAgent: state.newAgent }, "imported the PF_API_KEY agent");
  return agentId;
}

export type PrimaryImportState = "importing" | "retrying" | "imported" | "failed" | "stopped";

export interface PrimaryImportStatus {
  state: PrimaryImportState;
  agentId?: string;
  /** tries made so far */
  attempts: number;
  /** the last try's error, `CODE: message` */
  lastError?: string;
  /** when the next try starts (retrying) */
  nextAttemptAt?: number;
}

export interface ImportRetryOptions {
  /** first wait after a transient failure; doubles per try. Default 1 s */
  baseDelayMs?: number;
  /** longest wait between tries. Default 60 s */
  maxDelayMs?: number;
  random?: () => number;
}

/**
 * The PF_API_KEY import at start, retried in the background: a transient failure (the casino unreachable, a
 * 5xx, a 429, a timeout, the database briefly away) is tried again with exponential backoff and jitter, for as
 * long as the process runs; a permanent one (the casino refuses the key: 401) stops and says why, because the
 * same key will never work. `notice()` is the line every tool answer carries until the agent is imported.
 */
export class PrimaryImport {
  readonly #deps: FleetDeps;
  readonly #apiKey: string;
  readonly #opts: Required<ImportRetryOptions>;
  readonly #abort = new AbortController();
  #status: PrimaryImportStatus = { state: "importing", attempts: 0 };
  #firstTry: Promise<void> | undefined;
  #done: Promise<void> | undefined;

  constructor(deps: FleetDeps, apiKey: string, opts: ImportRetryOptions = {}) {
    this.#deps = deps;
    this.#apiKey = apiKey;
    this.#opts = {
      baseDelayMs: opts.baseDelayMs ?? 1_000,
      maxDelayMs: opts.maxDelayMs ?? 60_000,
      random: opts.random ?? Math.random,
    };
  }

  status(): PrimaryImportStatus {
    return { ...this.#status };
  }

  /** starts the tries; resolves once the first one has ended (imported or not), the rest go on in the background */
  start(): Promise<void> {
    if (!this.#done) {
      let firstEnded!: () => void;
      this.#firstTry = new Promise((resolve) => {
        firstEnded = resolve;
      });
      this.#done = this.#run(firstEnded);
    }
    return this.#firstTry as Promise<void>;
  }

  /** settles when the import is done, refused, or stopped */
  get done(): Promise<void> {
    return this.#done ?? Promise.resolve();
  }

  /** stops retrying (the server is closing) and waits for a try in flight */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.done;
  }

  /** the line a tool answer carries while the primary agent is not imported; undefined once it is */
  notice(): string | undefined {
    const s = this.#status;
    const last = s.lastError ? ` Last error: ${s.lastError}.` : "";
    switch (s.state) {
      case "imported":
      case "stopped":
        return undefined;
      case "importing":
        return s.attempts === 0
          ? "the primary agent (PF_API_KEY) is not yet imported: its import is starting."
          : `the primary agent (PF_API_KEY) is not yet imported: try ${s.attempts + 1} is under way.${last}`;
      case "retrying": {
        const wait = Math.max(0, Math.round(((s.nextAttemptAt ?? Date.now()) - Date.now()) / 1_000));
        return (
          `the primary agent (PF_API_KEY) is not yet imported: ${s.attempts} ${s.attempts === 1 ? "try" : "tries"} failed with a ` +
          `transient error and it is retried (next in ~${wait} s).${last} Its jobs and schedules cannot act for it ` +
          "until then; do not register a new agent to replace it."
        );
      }
      case "failed":
        return `the primary agent (PF_API_KEY) could not be imported and will not be retried.${last} Fix PF_API_KEY and restart pf-fleet.`;
    }
  }

  async #run(firstEnded: () => void): Promise<void> {
    const { logger } = this.#deps;
    const signal = this.#abort.signal;
    const carried: { newAgent?: boolean } = {};
    try {
      for (;;) {
        if (signal.aborted) {
          this.#status = { ...this.#status, state: "stopped" };
          return;
        }
        this.#status = { ...this.#status, state: "importing", nextAttemptAt: undefined };
        try {
          const agentId = await importPrimaryAgent(this.#deps, this.#apiKey, carried, signal);
          this.#status = { state: "imported", agentId, attempts: this.#status.attempts + 1 };
          return;
        } catch (err) {
          const e = toFleetError(err);
          const attempts = this.#status.attempts + 1;
          const lastError = `${e.code}: ${e.message}`;
          if (signal.aborted) {
            this.#status = { state: "stopped", attempts, lastError };
            return;
          }
          if (!isTransient(e)) {
            this.#status = { state: "failed", attempts, lastError };
            logger.error(
              { err: e.toJSON(), attempts },
              "PF_API_KEY could not be imported and will not be retried (the key was refused); fix it and restart pf-fleet",
            );
            return;
          }
          const delay = this.#delay(attempts, e);
          this.#status = { state: "retrying", attempts, lastError, nextAttemptAt: Date.now() + delay };
          logger.warn(
            { err: e.toJSON(), attempts, retryInMs: delay },
            "importing PF_API_KEY failed with a transient error; retrying",
          );
          firstEnded();
          await sleep(delay, signal);
        }
      }
    } finally {
      firstEnded();
    }
  }

  #delay(attempts: number, e: FleetError): number {
    const { baseDelayMs, maxDelayMs, random } = this.#opts;
    const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1));
    const jittered = Math.round(backoff * (0.8 + 0.4 * random()));
    return Math.min(maxDelayMs, Math.max(jittered, e.retryAfterMs ?? 0));
  }
}

/**
 * A GET that failed may be repeated: anything but the server's own refusal (the key is wrong: 401, 403, a
 * validation error) or a configuration mistake is worth another try.
 */
function isTransient(e: FleetError): boolean {
  if (e.kind !== "permanent") return true;
  return e.code === "STORAGE_UNAVAILABLE" || e.code === "UPSTREAM_UNAVAILABLE" || e.code === "TIMEOUT";
}

/** Waits `ms` (not holding the process open), or less if `signal` aborts. */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  await wait(ms, undefined, { signal, ref: false }).catch(() => undefined);
}
