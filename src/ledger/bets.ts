import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";
import { type RowFilter, rowFilter } from "./filter.js";
import { prepared } from "./statements.js";
import type { BetRecord } from "./types.js";
import { requireInteger, requireMicros, requireText, requireTime } from "./validate.js";

/** A bet as stored: the record plus what the ledger derives from it. */
export interface StoredBet extends BetRecord {
  /** payout − stake */
  net: Micros;
  recordedAt: number;
}

export interface BetQuery extends RowFilter {
  game?: string;
  /** newest first by default */
  order?: "asc" | "desc";
  /** 1–10,000; default 100 */
  limit?: number;
  offset?: number;
}

interface BetRow {
  agent_id: string;
  client_seed: string;
  bet_id: string;
  game: string;
  params: string;
  stake: number;
  multiplier_basis: number;
  won: number;
  payout: number;
  net: number;
  server_seed_hash: string;
  nonce: number;
  result_hash: string;
  roll: number | null;
  job_id: string | null;
  placed_at: number;
  source: "response" | "reconciled";
  recorded_at: number;
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
 * Stores a bet receipt once. The same receipt again (a retried commit, a reconciliation that found a bet the
 * response already recorded) is a no-op; a *different* receipt for the same client_seed or bet_id means a
 * double bet or corrupt data, and throws CONFLICT rather than pick one.
 * Runs on the caller's handle, so inside the caller's transaction; the day's running total the risk checks read
 * (`bet_day_totals`) moves in the same statement.
 */
export function recordBet(db: Db, rec: BetRecord, now: number = Date.now()): { inserted: boolean } {
  const basis = validateBet(rec);
  const result = prepared(
    db,
    `INSERT INTO bets (agent_id, client_seed, bet_id, game, params, stake, multiplier_basis, payout_multiplier, won,
         payout, server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
  ).run(
    rec.agentId,
    rec.clientSeed,
    rec.betId,
    rec.game,
    JSON.stringify(rec.params),
    rec.stake,
    basis,
    rec.payoutMultiplier,
    rec.won ? 1 : 0,
    rec.payout,
    rec.serverSeedHash,
    rec.nonce,
    rec.resultHash,
    rec.roll,
    rec.jobId ?? null,
    rec.placedAt,
    rec.source,
    now,
  );
  if (result.changes === 1) return { inserted: true };

  const existing = getBetByClientSeed(db, rec.clientSeed) ?? getBetByBetId(db, rec.betId);
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

const SELECT = `SELECT agent_id, client_seed, bet_id, game, params, stake, multiplier_basis, won,
  payout, net, server_seed_hash, nonce, result_hash, roll, job_id, placed_at, source, recorded_at FROM bets`;

export function getBetByClientSeed(db: Db, clientSeed: string): StoredBet | undefined {
  const row = prepared(db, `${SELECT} WHERE client_seed = ?`).get(clientSeed) as BetRow | undefined;
  return row && toBet(row);
}

/** The recorded bets among `clientSeeds`, by client seed (absent seeds are simply missing). */
export function getBetsByClientSeeds(db: Db, clientSeeds: readonly string[]): Map<string, StoredBet> {
  const rows = prepared(db, `${SELECT} WHERE client_seed IN (SELECT value FROM json_each(?))`).all(
    JSON.stringify(clientSeeds),
  ) as BetRow[];
  return new Map(rows.map((r) => [r.client_seed, toBet(r)]));
}

/** The bets each of `jobIds` recorded, by job id (jobs without bets are missing). */
export function getBetsByJobIds(db: Db, jobIds: readonly string[]): Map<string, StoredBet[]> {
  const rows = prepared(db, `${SELECT} WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY id`).all(
    JSON.stringify(jobIds),
  ) as BetRow[];
  const out = new Map<string, StoredBet[]>();
  for (const r of rows) {
    const bet = toBet(r);
    const list = out.get(bet.jobId as string);
    if (list) list.push(bet);
    else out.set(bet.jobId as string, [bet]);
  }
  return out;
}

export function getBetByBetId(db: Db, betId: string): StoredBet | undefined {
  const row = prepared(db, `${SELECT} WHERE bet_id = ?`).get(betId) as BetRow | undefined;
  return row && toBet(row);
}

export function listBets(db: Db, q: BetQuery = {}): StoredBet[] {
  const limit = requireInteger("limit", q.limit ?? 100, 1, 10_000);
  const offset = requireInteger("offset", q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
  if (q.order !== undefined && q.order !== "asc" && q.order !== "desc") {
    throw new FleetError("INVALID_INPUT", `order must be \`asc\` or \`desc\`, got \`${q.order}\``);
  }
  const where = rowFilter(q, "placed_at", q.game === undefined ? [] : ["game = @game"]);
  const dir = q.order === "asc" ? "ASC" : "DESC";
  const rows = db
    .prepare(`${SELECT} ${where.sql} ORDER BY placed_at ${dir}, id ${dir} LIMIT @limit OFFSET @offset`)
    .all({ ...where.params, ...(q.game === undefined ? {} : { game: q.game }), limit, offset }) as BetRow[];
  return rows.map(toBet);
}

function toBet(row: BetRow): StoredBet {
  return {
    agentId: row.agent_id,
    clientSeed: row.client_seed,
    betId: row.bet_id,
    game: row.game,
    params: JSON.parse(row.params) as Record<string, unknown>,
    stake: row.stake,
    payoutMultiplier: row.multiplier_basis / 10_000,
    won: row.won === 1,
    payout: row.payout,
    net: row.net,
    serverSeedHash: row.server_seed_hash,
    nonce: row.nonce,
    resultHash: row.result_hash,
    roll: row.roll,
    jobId: row.job_id,
    placedAt: row.placed_at,
    source: row.source,
    recordedAt: row.recorded_at,
  };
}
