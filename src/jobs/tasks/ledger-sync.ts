import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import { type ImportResult, importServerLedger } from "../../ledger/import.js";
import { appendToMirror, type MirrorAppend, SERVER_LEDGER_WINDOW } from "../../ledger/server-mirror.js";
import type { ServerRow } from "../../ledger/types.js";
import type { Logger } from "../../log.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { CallOptions, LedgerEntry } from "../../purpleflea/types.js";
import { type Clock, systemClock } from "../clock.js";
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
 * Keeps busy agents' mirrors complete. An agent's bet calls go out one at a time (its "lane"), at least
 * LANE_PACE_MS apart, and its ledger is synced after each before the next. A call writes at most 40 rows,
 * so each read reaches back to the last; and as the server orders rows of one second in no defined order and cuts
 * its window anywhere inside a second, no second may hold more than 50 of them: with calls 2 s apart a second
 * holds the rows of one call. The sync after a call waits a second past its answer, so it reads in a later server
 * second than the call's rows: a credit landing after that read shares no second with them, and the rows of the
 * read's second onwards (that credit and the next call's ≤ 40) all fit in the next window. (Read at once, a credit
 * landing just after the read would share the call's second, and the next read, cutting into that second, could
 * miss it.) The real casino allows 10 batch calls a minute per agent (one per 6 s), so neither the waits nor the
 * pace cost anything there; a batch's last call answers its job a second later.
 *
 * A referrer earns a row on each lost bet of the agents it referred, without calling anything itself. So a call
 * of a bettor also holds the lanes of its referrers in the fleet and syncs them after it: between two syncs of a
 * referrer there is then one call's worth of rows, its own or a bettor's. Who referred whom is learned from the
 * commission rows (`referral_commission_l<n>:<bet id>`; the bet's reservation row in a bettor's mirror names the
 * bettor): after each of an agent's first PROBE_CALLS calls in this process, every other fleet agent is synced to
 * find the commissions it caused. Learned links last for the process.
 *
 * The lane is fleet-wide: processes (and machines) on one database send calls of the same agent too. A call first
 * takes the lanes in this process (so calls here wait in memory, not by polling the database), then the same
 * lanes in storage (`storage.lanes`, all or none, paced and leased on the engine's clock: a dead process's lane
 * frees itself after LANE_LEASE_MS), and frees them once its syncs are done.
 *
 * Best effort: a failed sync is logged, and the next call, the ledger refresh or a reconciliation reads again.
 * Completeness never blocks money: when storage cannot give the fleet-wide lane, the call is sent without it
 * (logged), and rows another process's call pushed out of the window are caught later as an `unattributed`
 * movement.
 */
export class LedgerNudger {
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  /** bettor → the fleet agents its lost bets pay commission to */
  readonly #referrers = new Map<string, Set<string>>();
  /** per agent, the tail of the calls holding its lane in this process */
  readonly #lanes = new Map<string, Promise<void>>();
  /** per agent, when the next call holding its lane may start (ms) */
  readonly #notBefore = new Map<string, number>();
  /** calls of an agent after which the rest of the fleet is still synced, to learn its referrers */
  readonly #probesLeft = new Map<string, number>();
  /** names this process's holds on fleet-wide lanes; each call adds its own number */
  readonly #holderPrefix = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  #calls = 0;

  constructor(
    private readonly deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
    private readonly logger: Pick<Logger, "warn">,
    private readonly clock: Pick<Clock, "now"> = systemClock,
  ) {}

  /**
   * Sends one bet call of the agent in its lane (and its known referrers' lanes), then syncs them all. `signal`
   * stops the wait for the lanes (the call is then not sent); a call once sent runs to its answer.
   */
  async lane<T>(agentId: string, send: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    // one global order of acquisition: two calls that share lanes can never wait for each other in a circle
    const agents = [...new Set([agentId, ...(this.#referrers.get(agentId) ?? [])])].sort();
    const release: Array<() => void> = [];
    try {
      for (const a of agents) release.push(await this.#acquire(a));
      const holder = await this.#holdFleetWide(agents, signal);
      try {
        const wait = Math.max(0, ...agents.map((a) => (this.#notBefore.get(a) ?? 0) - Date.now()));
        if (wait > 0) await sleep(wait, undefined, signal ? { signal } : undefined).catch(() => undefined);
        // stopped (cancelled, shutting down) while it waited: the call is not sent, and the lanes free at once
        if (signal?.aborted) throw stoppedBeforeSent(agents, signal);
        const startedAt = Date.now();
        for (const a of agents) this.#notBefore.set(a, startedAt + LANE_PACE_MS);
        try {
          return await send();
        } finally {
          // read in a later server second than the call's rows (see LedgerNudger); at once if the job is stopping
          await sleep(SYNC_AFTER_ANSWER_MS, undefined, signal ? { signal } : undefined).catch(() => undefined);
          for (const a of agents) await this.#syncOnce(a);
          this.#probe(agentId);
        }
      } finally {
        if (holder !== undefined) await this.#releaseFleetWide(agents, holder);
      }
    } finally {
      for (const r of release) r();
    }
  }

  /** Takes the agents' lanes in storage, waiting while another process holds them; undefined if storage failed. */
  async #holdFleetWide(agents: readonly string[], signal: AbortSignal | undefined): Promise<string | undefined> {
    const holder = `${this.#holderPrefix}:${++this.#calls}`;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const now = this.clock.now();
        const taken = await this.deps.storage.lanes.tryAcquire(agents, holder, now, LANE_LEASE_MS, LANE_PACE_MS);
        if (taken.acquired) return holder;
        await sleep(Math.max(1, taken.retryAt - now), undefined, signal ? { signal } : undefined);
      }
    } catch (err) {
      if (signal?.aborted) throw stoppedBeforeSent(agents, signal);
      this.logger.warn(
        { err, agents },
        "could not take the fleet-wide ledger lane; sending without it (rows may be caught later as unattributed)",
      );
      return undefined;
    }
  }

  async #releaseFleetWide(agents: readonly string[], holder: string): Promise<void> {
    try {
      await this.deps.storage.lanes.release(agents, holder);
    } catch (err) {
      this.logger.warn(
        { err, agents },
        "could not free the fleet-wide ledger lane; it frees itself when its lease ends",
      );
    }
  }

  async #acquire(agentId: string): Promise<() => void> {
    const previous = this.#lanes.get(agentId) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    const tail = previous.then(() => mine);
    this.#lanes.set(agentId, tail);
    await previous;
    return () => {
      done();
      if (this.#lanes.get(agentId) === tail) this.#lanes.delete(agentId);
    };
  }

  /** After one of an agent's first calls: sync the rest of the fleet, to find the commissions the call caused. */
  #probe(agentId: string): void {
    const left = this.#probesLeft.get(agentId) ?? PROBE_CALLS;
    if (left <= 0) return;
    this.#probesLeft.set(agentId, left - 1);
    void this.deps.fleet.listAgents().then(
      (agents) => {
        for (const a of agents) if (a.agentId !== agentId) this.#sync(a.agentId);
      },
      (err: unknown) => this.logger.warn({ err }, "could not list the fleet's agents for a ledger sync"),
    );
  }

  /** At most one background sync per agent; requests that arrive meanwhile fold into one more. */
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

  /** Each commission row names a bet; the bettor is whichever agent's mirror holds that bet's reservation row. */
  async #learnReferrals(referrer: string, rows: readonly ServerRow[]): Promise<void> {
    const betIds = new Set(rows.flatMap((r) => COMMISSION.exec(r.reason)?.[1] ?? []));
    if (betIds.size === 0) return;
    const known = [...this.#referrers].filter(([, refs]) => refs.has(referrer)).map(([bettor]) => bettor);
    const unknown = (await this.deps.fleet.listAgents())
      .map((a) => a.agentId)
      .filter((a) => a !== referrer && !known.includes(a));
    let lookups = 0;
    for (const betId of betIds) {
      if ((await this.#holder(known, betId)) !== undefined) continue;
      if (unknown.length === 0 || ++lookups > MAX_LOOKUPS) return;
      const bettor = await this.#holder(unknown, betId);
      if (bettor === undefined) continue; // a bettor outside the fleet
      this.#referrers.set(bettor, new Set([...(this.#referrers.get(bettor) ?? []), referrer]));
      known.push(bettor);
      unknown.splice(unknown.indexOf(bettor), 1);
    }
  }

  /** The first of `agents` whose mirror holds a row referencing `betId`. */
  async #holder(agents: readonly string[], betId: string): Promise<string | undefined> {
    for (const agentId of agents) {
      if ((await this.deps.storage.ledger.serverRows({ agentId, reference: betId, limit: 1 })).length > 0) {
        return agentId;
      }
    }
    return undefined;
  }
}

function stoppedBeforeSent(agents: readonly string[], signal: AbortSignal): FleetError {
  return new FleetError("CANCELLED", `the bet call of ${agents.join(", ")} was stopped before it was sent`, {
    kind: "retryable",
    cause: signal.reason,
  });
}

/** The least time between the starts of two calls holding one agent's lane (see LedgerNudger). */
const LANE_PACE_MS = 2_000;
/** The wait between a call's answer and its sync: one server second (whole-second row times) and a margin. */
const SYNC_AFTER_ANSWER_MS = 1_050;
/** How long a fleet-wide lane stays held without a release: a call and its syncs, with room (a dead holder's ends). */
const LANE_LEASE_MS = 60_000;
/** An agent's first calls in a process after which the whole fleet is synced to learn its referrers. */
const PROBE_CALLS = 3;
/** Commission rows of one sync looked up among agents not yet known as bettors (the rest are skipped). */
const MAX_LOOKUPS = 5;

/** `referral_commission_l<level>:<bet id>` (purpleflea-api.md §12) */
const COMMISSION = /^referral_commission_l\d+:(bet_[0-9A-Za-z_-]+)/;
