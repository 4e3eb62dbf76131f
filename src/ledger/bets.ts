import { FleetError } from "../errors.js";
import type { BetWrite, NewBet } from "../storage/ledger.js";
import type { Executor } from "../storage/types.js";
import { type RowFilter, rowFilter } from "./filter.js";
import type { BetRecord, StoredBet } from "./types.js";
import { requireInteger, requireMicros, requireText, requireTime } from "./validate.js";

export type { StoredBet };

/** The ledger of a storage or of a transaction (a money job's `ReceiptWriter` included). */
type Ledger = Pick<Executor, "ledger">;

export interface BetQuery extends RowFilter {
  game?: string;
  /** newest first by default */
  order?: "asc" | "desc";
  /** 1–10,000; default 100 */
  limit?: number;
  offset?: number;
}

/** The engine's multipliers have at most 4 decimals; storing ×10^4 as an integer keeps them exact. */
function multiplierBasis(multiplier: unknown): number {
  const scaled = typeof multiplier === "number" ? multiplier * 10_000 : Number.NaN;
  const basis = Math.round(scaled);
  if (!Number.isFinite(scaled) || basis <= 0 || Math.abs(scaled - basis) > 1e-6) {
    throw new FleetError(
      "INVALID_INPUT",
      `payoutMultiplier must be a number > 0 with at most 4 decimals, got \`${String(multiplier)}\``,
    );
  }
  return basis;
}

function validateBet(rec: BetRecord): number {
  requireText("agentId", rec.agentId);
  requireText("clientSeed", rec.clientSeed);
  requireText("betId", rec.betId);
  requireText("game", rec.game);
  requireMicros("stake", rec.stake, "nonnegative");
  if (rec.stake === 0) throw new FleetError("INVALID_INPUT", "stake must be a whole number of micro-USD > 0, got `0`");
  requireMicros("payout", rec.payout, "nonnegative");
  if (typeof rec.won !== "boolean") throw new FleetError("INVALID_INPUT", `won must be a boolean, got \`${rec.won}\``);
  if (!rec.won && rec.payout !== 0) {
    throw new FleetError("INVALID_INPUT", `payout of a lost bet must be 0, got \`${rec.payout}\` (${rec.clientSeed})`);
  }
  requireText("serverSeedHash", rec.serverSeedHash);
  requireText("resultHash", rec.resultHash);
  requireInteger("nonce", rec.nonce, 0, Number.MAX_SAFE_INTEGER);
  requireTime("placedAt", rec.placedAt);
  if (rec.roll !== null && !Number.isFinite(rec.roll)) {
    throw new FleetError("INVALID_INPUT", `roll must be a number or null, got \`${rec.roll}\``);
  }
  if (rec.source !== "response" && rec.source !== "reconciled") {
    throw new FleetError("INVALID_INPUT", `source must be \`response\` or \`reconciled\`, got \`${rec.source}\``);
  }
  if (rec.params === null || typeof rec.params !== "object" || Array.isArray(rec.params)) {
    throw new FleetError("INVALID_INPUT", `params must be an object, got \`${JSON.stringify(rec.params)}\``);
  }
  return multiplierBasis(rec.payoutMultiplier);
}

/** What makes two receipts the same bet. Timing, params, roll and source may legitimately differ. */
const IDENTITY: ReadonlyArray<keyof BetRecord> = [
  "agentId",
  "clientSeed",
  "betId",
  "game",
  "stake",
  "won",
  "payout",
  "serverSeedHash",
  "nonce",
  "resultHash",
];

function differences(stored: StoredBet, rec: BetRecord): string[] {
  const diffs = IDENTITY.filter((k) => stored[k] !== rec[k]).map(
    (k) => `${k} ${JSON.stringify(stored[k])} ≠ ${JSON.stringify(rec[k])}`,
  );
  if (multiplierBasis(stored.payoutMultiplier) !== multiplierBasis(rec.payoutMultiplier)) {
    diffs.push(`payoutMultiplier ${stored.payoutMultiplier} ≠ ${rec.payoutMultiplier}`);
  }
  return diffs;
}

/**
 * The receipt checked, with its exact multiplier. Written out field by field, not `{ ...rec, multiplierBasis }`:
 * on Node 20's V8 a property added to a spread copy misses the inline cache on every call (~1 µs, against ~30 ns
 * for this literal), and this runs for every bet the engine records.
 */
function checkedBet(rec: BetRecord): NewBet {
  return {
    agentId: rec.agentId,
    clientSeed: rec.clientSeed,
    betId: rec.betId,
    game: rec.game,
    params: rec.params,
    stake: rec.stake,
    payoutMultiplier: rec.payoutMultiplier,
    won: rec.won,
    payout: rec.payout,
    serverSeedHash: rec.serverSeedHash,
    nonce: rec.nonce,
    resultHash: rec.resultHash,
    roll: rec.roll,
    jobId: rec.jobId,
    placedAt: rec.placedAt,
    source: rec.source,
    multiplierBasis: validateBet(rec),
  };
}

/**
 * Stores a bet receipt once. The same receipt again (a retried commit, a reconciliation that found a bet the
 * response already recorded) is a no-op; a *different* receipt for the same client_seed or bet_id means a
 * double bet or corrupt data, and throws CONFLICT rather than pick one.
 * Runs on the caller's ledger, so inside the caller's transaction when given one (a money job's
 * `ReceiptWriter`); the day's running total the risk checks read (`bet_day_totals`) moves in the same statement.
 */
export async function recordBet(x: Ledger, rec: BetRecord, now: number = Date.now()): Promise<{ inserted: boolean }> {
  return settle(rec, await x.ledger.recordBet(checkedBet(rec), now));
}

/**
 * `recordBet` for many receipts (a `bets/batch` call's), in one multi-row insert: the same answer per receipt, in
 * order, as recording them one by one. Every receipt is checked before anything is written. A CONFLICT throws
 * after the insert, which stored the other receipts: inside the caller's transaction (how a job's receipts are
 * written) the throw rolls them back with it.
 */
export async function recordBets(
  x: Ledger,
  recs: readonly BetRecord[],
  now: number = Date.now(),
): Promise<Array<{ inserted: boolean }>> {
  const bets = recs.map(checkedBet);
  if (bets.length === 0) return [];
  const writes = await x.ledger.recordBets(bets, now);
  return writes.map((write, i) => settle(recs[i] as BetRecord, write));
}

/** What the write found: inserted, the same receipt again, or a different one (CONFLICT). */
function settle(rec: BetRecord, write: BetWrite): { inserted: boolean } {
  if (write.inserted) return { inserted: true };
  const existing = write.existing;
  if (!existing) throw new FleetError("INTERNAL", `bet ${rec.clientSeed} was neither inserted nor found`);
  const diffs = differences(existing, rec);
  if (diffs.length) {
    throw new FleetError(
      "CONFLICT",
      `a different receipt is already recorded for bet client_seed \`${rec.clientSeed}\` / bet_id \`${rec.betId}\`: ${diffs.join("; ")}`,
      {
        hint: "two receipts for one logical bet mean a double bet or corrupt data; check the agent's bet export",
        details: { clientSeed: rec.clientSeed, betId: rec.betId, differences: diffs },
      },
    );
  }
  return { inserted: false };
}

export function getBetByClientSeed(x: Ledger, clientSeed: string): Promise<StoredBet | undefined> {
  return x.ledger.betByClientSeed(clientSeed);
}

/** The recorded bets among `clientSeeds`, by client seed (absent seeds are simply missing). */
export async function getBetsByClientSeeds(x: Ledger, clientSeeds: readonly string[]): Promise<Map<string, StoredBet>> {
  const bets = await x.ledger.betsByClientSeeds(clientSeeds);
  return new Map(bets.map((b) => [b.clientSeed, b]));
}

/** The bets each of `jobIds` recorded, by job id (jobs without bets are missing). */
export async function getBetsByJobIds(x: Ledger, jobIds: readonly string[]): Promise<Map<string, StoredBet[]>> {
  const out = new Map<string, StoredBet[]>();
  for (const bet of await x.ledger.betsByJobIds(jobIds)) {
    const list = out.get(bet.jobId as string);
    if (list) list.push(bet);
    else out.set(bet.jobId as string, [bet]);
  }
  return out;
}

export function getBetByBetId(x: Ledger, betId: string): Promise<StoredBet | undefined> {
  return x.ledger.betByBetId(betId);
}

export async function listBets(x: Ledger, q: BetQuery = {}): Promise<StoredBet[]> {
  const limit = requireInteger("limit", q.limit ?? 100, 1, 10_000);
  const offset = requireInteger("offset", q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
  if (q.order !== undefined && q.order !== "asc" && q.order !== "desc") {
    throw new FleetError("INVALID_INPUT", `order must be \`asc\` or \`desc\`, got \`${q.order}\``);
  }
  const filter = rowFilter(q);
  return x.ledger.listBets({
    ...filter,
    ...(q.game === undefined ? {} : { game: q.game }),
    order: q.order ?? "desc",
    limit,
    offset,
  });
}
