import type { FleetDeps } from "../../deps.js";
import { type ImportResult, importServerLedger } from "../../ledger/import.js";
import { appendToMirror, type MirrorAppend, SERVER_LEDGER_WINDOW } from "../../ledger/server-mirror.js";
import type { ServerRow } from "../../ledger/types.js";
import type { Logger } from "../../log.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { CallOptions, LedgerEntry } from "../../purpleflea/types.js";
import { errorMessage } from "./messages.js";

/**
 * One sync of an agent's server ledger: read `GET /auth/ledger` (its newest 50 rows), keep every row in the
 * mirror (src/ledger/server-mirror.ts) and import the rows pf-fleet did not cause (src/ledger/import.ts), in
 * one transaction. Only rows new to the mirror are judged: a held row was judged in the transaction that
 * appended it. An agent without an opening balance yet (it is joining right now) has its rows kept, not imported:
 * they are part of the opening balance about to be read (src/jobs/tasks/opening-balance.ts). Run after every bet call of the agent (`LedgerNudger`), by the ledger refresh and by the
 * reconciliations that look for a lost answer's money.
 */

export interface LedgerSync extends MirrorAppend {
  agentId: string;
  /** every row the server returned */
  entries: LedgerEntry[];
  /** fewer than 50 rows: the agent's whole ledger was read */
  whole: boolean;
  imported: ImportResult;
}

export async function syncServerLedger(
  deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
  agentId: string,
  opts: CallOptions & { jobId?: string | null } = {},
): Promise<LedgerSync> {
  const { jobId, ...call } = opts;
  const key = await deps.fleet.keyFor(agentId);
  const entries = await readWithRetry(() => deps.client.casino.ledger(key, call), { signal: call.signal });
  const now = Date.now();
  return deps.storage.transaction(async (tx) => {
    const mirror = await appendToMirror(tx, agentId, entries, now);
    const fresh = new Set(mirror.appended.map((r) => r.entryId));
    const opened = (await tx.ledger.openingBalanceAt(agentId)) !== undefined;
    const imported =
      fresh.size === 0 || !opened
        ? { agentId, imported: 0, decisions: [] }
        : await importServerLedger(
            tx,
            agentId,
            entries.filter((e) => fresh.has(e.id)),
            { jobId: jobId ?? null, now },
          );
    return { agentId, entries, whole: entries.length < SERVER_LEDGER_WINDOW, ...mirror, imported };
  });
}

/** A sync for a reconciliation: a failed read is an answer too (the mirror may still hold what is sought). */
export async function trySync(
  deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
  agentId: string,
  signal: AbortSignal,
): Promise<{ ok: true; whole: boolean } | { ok: false; error: string }> {
  try {
    return { ok: true, whole: (await syncServerLedger(deps, agentId, { signal })).whole };
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
}

/**
 * Syncs an agent's ledger soon after each of its bet calls, so the rows other services write for it (escrow
 * locks, payments in) are read before the agent's own bets push them out of the 50-row window. A referrer earns
 * a row on each lost bet of the agents it referred, without calling anything itself: so a bettor's referrers
 * in the fleet are synced with it. Who referred whom is learned from the commission rows synced (they name the
 * bet, the ledger knows its agent); the first nudge in a process syncs every fleet agent once to learn it.
 *
 * Per agent at most one sync runs in a process; nudges that arrive meanwhile fold into one more. Best effort:
 * a failed sync is logged, and the next call, the ledger refresh or a reconciliation reads again.
 */
export class LedgerNudger {
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  /** bettor → the fleet agents its lost bets pay commission to */
  readonly #referrers = new Map<string, Set<string>>();
  /** per agent, the tail of its bet calls in this process */
  readonly #lanes = new Map<string, Promise<void>>();
  #bootstrapped = false;

  constructor(
    private readonly deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
    private readonly logger: Pick<Logger, "warn">,
  ) {}

  /**
   * Sends one bet call of the agent after its previous one (in this process) and syncs its ledger before the next:
   * a call writes at most 40 rows, so each sync still sees the rows written since the last one. The real casino
   * allows 10 batch calls a minute per agent, so waiting for the previous call costs nothing there.
   */
  async lane<T>(agentId: string, send: () => Promise<T>): Promise<T> {
    const previous = this.#lanes.get(agentId) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const tail = previous.then(() => mine);
    this.#lanes.set(agentId, tail);
    await previous;
    try {
      return await send();
    } finally {
      await this.#syncOnce(agentId);
      done();
      if (this.#lanes.get(agentId) === tail) this.#lanes.delete(agentId);
      this.#syncOthers(agentId);
    }
  }

  /** The agents a call of `agentId` writes rows for without their own call: its known referrers (and, the first
   * time in this process, every fleet agent, to learn who referred whom). */
  #syncOthers(agentId: string): void {
    if (!this.#bootstrapped) {
      this.#bootstrapped = true;
      void this.deps.fleet.listAgents().then(
        (agents) => {
          for (const a of agents) if (a.agentId !== agentId) this.#sync(a.agentId);
        },
        (err: unknown) => this.logger.warn({ err }, "could not list the fleet's agents for a ledger sync"),
      );
    }
    for (const referrer of this.#referrers.get(agentId) ?? []) this.#sync(referrer);
  }

  /** At most one background sync per agent; nudges that arrive meanwhile fold into one more. */
  #sync(agentId: string): void {
    if (this.#running.has(agentId)) {
      this.#again.add(agentId);
      return;
    }
    const run = (async () => {
      do {
        this.#again.delete(agentId);
        await this.#syncOnce(agentId);
      } while (this.#again.has(agentId));
    })().finally(() => this.#running.delete(agentId));
    this.#running.set(agentId, run);
  }

  async #syncOnce(agentId: string): Promise<void> {
    try {
      const sync = await syncServerLedger(this.deps, agentId);
      await this.#learnReferrals(agentId, sync.appended);
    } catch (err) {
      this.logger.warn({ err, agentId }, "server ledger sync failed; the next bet call or refresh reads again");
    }
  }

  async #learnReferrals(referrer: string, rows: readonly ServerRow[]): Promise<void> {
    const betIds = new Set(rows.flatMap((r) => COMMISSION.exec(r.reason)?.[1] ?? []));
    for (const betId of betIds) {
      const bettor = (await this.deps.storage.ledger.betByBetId(betId))?.agentId;
      if (bettor === undefined || bettor === referrer) continue;
      const set = this.#referrers.get(bettor) ?? new Set<string>();
      set.add(referrer);
      this.#referrers.set(bettor, set);
    }
  }
}

/** `referral_commission_l<level>:<bet id>` (purpleflea-api.md §12) */
const COMMISSION = /^referral_commission_l\d+:(bet_[0-9A-Za-z_-]+)/;
