import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { listBets, type StoredBet } from "../../ledger/bets.js";
import { BETS_PER_SEED, type GameBet, seedHash, settle, verifyRoll } from "../../purpleflea/fairness.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { RevealedSeed } from "../../storage/task-memory.js";
import type { Executor } from "../../storage/types.js";
import type { TaskDefinition } from "../types.js";
import { TASK, verifyBetsArgs } from "./args.js";
import { READ_RETRY } from "./policies.js";

/**
 * `casino.verify_bets`: provably-fair verification of the agent's own ledger. Rotating the server seed reveals
 * the old one; every ledger bet placed under it is re-derived from (seed, client_seed, nonce) with the
 * published scheme and compared with what the server said: roll, result hash, win, multiplier. The casino also
 * rotates a seed by itself after 1,000 bets; those reveals are read from `GET /fairness/seeds` (and, for a seed it
 * does not list, `GET /fairness/audit/:betId`). Revealed seeds are kept, so later runs (rotate = false) re-check
 * bets recorded after the rotation.
 */

export type VerifyBetsArgs = z.infer<typeof verifyBetsArgs>;

export interface BetMismatch {
  betId: string;
  clientSeed: string;
  nonce: number;
  field: "roll" | "result_hash" | "won" | "multiplier" | "commitment";
  ledger: unknown;
  derived: unknown;
}

export interface VerifyResult {
  agentId: string;
  rotated: boolean;
  /** the commitment now in force, when rotated */
  newSeedHash: string | null;
  seeds: Array<{ seedHash: string; bets: number; commitmentOk: boolean }>;
  checked: number;
  mismatches: BetMismatch[];
}

const PAGE = 2_000;
/** Bets of one seed sit within the newest few seeds' worth of bets; stop scanning this far past the last match. */
const SCAN_PAST_LAST_MATCH = 2 * BETS_PER_SEED;

export function casinoVerifyTask(
  deps: Pick<FleetDeps, "fleet" | "client">,
): TaskDefinition<VerifyBetsArgs, VerifyResult> {
  return {
    name: TASK.verifyBets,
    // It talks to the casino (rotation) and changes the agent's seed state; it belongs with the bets.
    queue: "casino",
    moneyMoving: false,
    timeLimitMs: 120_000,
    retry: READ_RETRY,
    args: verifyBetsArgs,

    async run(ctx) {
      const { agentId, rotate } = ctx.args;
      const key = await deps.fleet.keyFor(agentId);
      let newSeedHash: string | null = null;
      if (rotate) {
        const r = await deps.client.casino.rotateSeed(key, { signal: ctx.signal });
        const revealed = { agentId, seedHash: r.previousSeedHash, seed: r.previousSeed, at: Date.now() };
        await ctx.storage.taskMemory.rememberRevealedSeed(revealed);
        newSeedHash = r.newSeedHash;
      }
      // Seeds the casino revealed by itself (every 1,000 bets) are read from it, not only those rotated here.
      const listed = await casinoRevealedSeeds(deps, key, agentId, ctx.signal);
      for (const revealed of listed.revealed) await ctx.storage.taskMemory.rememberRevealedSeed(revealed);
      let seeds = await ctx.storage.taskMemory.revealedSeeds(agentId);
      let scan = await betsUnderSeeds(ctx.storage, agentId, new Set(seeds.map((s) => s.seedHash)), listed.active);
      // Ledger bets under a seed neither known revealed nor active (the seed list could not be read): ask the
      // casino's audit of one such bet, which shows the seed once it is revealed.
      if (scan.unknown.size > 0) {
        let found = false;
        for (const [hash, betId] of [...scan.unknown].slice(0, MAX_AUDITS)) {
          const audit = await readWithRetry(() => deps.client.casino.auditBet(key, betId, { signal: ctx.signal }), {
            signal: ctx.signal,
          });
          if (audit.serverSeed === null || audit.serverSeedHash !== hash) continue;
          const at = audit.revealedAt ?? Date.now();
          await ctx.storage.taskMemory.rememberRevealedSeed({ agentId, seedHash: hash, seed: audit.serverSeed, at });
          found = true;
        }
        if (found) {
          seeds = await ctx.storage.taskMemory.revealedSeeds(agentId);
          scan = await betsUnderSeeds(ctx.storage, agentId, new Set(seeds.map((s) => s.seedHash)), listed.active);
        }
      }
      const bySeed = scan.bySeed;
      const result: VerifyResult = { agentId, rotated: rotate, newSeedHash, seeds: [], checked: 0, mismatches: [] };
      for (const { seedHash: hash, seed } of seeds) {
        const bets = bySeed.get(hash) ?? [];
        const commitmentOk = seedHash(seed) === hash;
        result.seeds.push({ seedHash: hash, bets: bets.length, commitmentOk });
        for (const bet of bets) {
          result.checked += 1;
          result.mismatches.push(...verifyBet(bet, seed, commitmentOk));
        }
        ctx.progress({ done: result.seeds.length, total: seeds.length, message: `${result.checked} bets checked` });
      }
      return result;
    },
  };
}

/** At most this many audit reads per run, one per seed the seed list did not show. */
const MAX_AUDITS = 20;

/**
 * The seeds `GET /fairness/seeds` shows revealed (with the casino's reveal time), and the active seed's hash. A
 * failed read is not fatal: the seeds known from earlier runs still verify, and unknown ones are audited.
 */
async function casinoRevealedSeeds(
  deps: Pick<FleetDeps, "client">,
  key: string,
  agentId: string,
  signal: AbortSignal,
): Promise<{ revealed: RevealedSeed[]; active: string | null }> {
  try {
    const seeds = await readWithRetry(() => deps.client.casino.serverSeeds(key, { signal }), { signal });
    const revealed = seeds.flatMap((s) =>
      s.seed === null ? [] : [{ agentId, seedHash: s.seedHash, seed: s.seed, at: s.revealedAt ?? Date.now() }],
    );
    return { revealed, active: seeds.find((s) => s.active)?.seedHash ?? null };
  } catch (err) {
    if (signal.aborted) throw err;
    return { revealed: [], active: null };
  }
}

/**
 * The ledger bets placed under any of `hashes`, grouped by hash (newest bets first, scanned in pages), and one bet
 * id of each other seed met on the way that is not `active` (a seed whose reveal pf-fleet has not seen).
 */
async function betsUnderSeeds(
  storage: Pick<Executor, "ledger">,
  agentId: string,
  hashes: ReadonlySet<string>,
  active: string | null,
): Promise<{ bySeed: Map<string, StoredBet[]>; unknown: Map<string, string> }> {
  const bySeed = new Map<string, StoredBet[]>();
  const unknown = new Map<string, string>();
  let sinceLastMatch = 0;
  for (let offset = 0; sinceLastMatch < SCAN_PAST_LAST_MATCH; offset += PAGE) {
    const page = await listBets(storage, { agentIds: [agentId], order: "desc", limit: PAGE, offset });
    for (const bet of page) {
      if (hashes.has(bet.serverSeedHash)) {
        const list = bySeed.get(bet.serverSeedHash) ?? [];
        list.push(bet);
        bySeed.set(bet.serverSeedHash, list);
        sinceLastMatch = 0;
      } else {
        if (bet.serverSeedHash !== active && !unknown.has(bet.serverSeedHash)) {
          unknown.set(bet.serverSeedHash, bet.betId);
          sinceLastMatch = 0; // a seed not yet known: keep scanning past it
        }
        sinceLastMatch += 1;
      }
    }
    if (page.length < PAGE) break;
  }
  return { bySeed, unknown };
}

export function verifyBet(bet: StoredBet, serverSeed: string, commitmentOk = true): BetMismatch[] {
  const at = { betId: bet.betId, clientSeed: bet.clientSeed, nonce: bet.nonce };
  const out: BetMismatch[] = [];
  if (!commitmentOk) {
    out.push({ ...at, field: "commitment", ledger: bet.serverSeedHash, derived: seedHash(serverSeed) });
  }
  const { roll, resultHash } = verifyRoll(serverSeed, bet.clientSeed, bet.nonce);
  if (resultHash !== bet.resultHash)
    out.push({ ...at, field: "result_hash", ledger: bet.resultHash, derived: resultHash });
  if (bet.roll !== null && bet.roll !== roll) out.push({ ...at, field: "roll", ledger: bet.roll, derived: roll });
  const outcome = settle({ game: bet.game, ...bet.params } as GameBet, roll);
  if (outcome.won !== bet.won) out.push({ ...at, field: "won", ledger: bet.won, derived: outcome.won });
  if (Math.round(outcome.payoutMultiplier * 10_000) !== Math.round(bet.payoutMultiplier * 10_000)) {
    out.push({ ...at, field: "multiplier", ledger: bet.payoutMultiplier, derived: outcome.payoutMultiplier });
  }
  return out;
}
