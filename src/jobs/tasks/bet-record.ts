import type { FleetErrorCode } from "../../errors.js";
import type { BetRecord } from "../../ledger/types.js";
import { payoutMicros } from "../../money.js";
import { settle } from "../../purpleflea/fairness.js";
import type { BetReceipt, BetRequest, ExportedBet } from "../../purpleflea/types.js";
import type { BetArgs, BetResult } from "./args.js";

/**
 * A bet job's three shapes: the request it sends, the ledger row it commits, and the result the chord
 * callback reads. Amounts stay integer micro-USD; the payout is always stake × multiplier exactly (§11).
 */

export function betRequest(args: BetArgs): BetRequest {
  // The bet's fields spread last: adding properties to a spread copy misses V8's inline cache on every call
  // (~1 µs a bet on Node 20). args.bet is a parsed gameBet, so it has no amount or clientSeed to collide with.
  return { amount: args.amount, clientSeed: args.clientSeed, ...args.bet };
}

/** The game fields without the game name: what the ledger keeps as `params`. */
function gameParams(args: BetArgs): Record<string, unknown> {
  const { game: _game, ...params } = args.bet;
  return params;
}

export function recordFromReceipt(args: BetArgs, receipt: BetReceipt, jobId: string, placedAt: number): BetRecord {
  return {
    agentId: args.agentId,
    clientSeed: args.clientSeed,
    betId: receipt.betId,
    game: args.bet.game,
    params: gameParams(args),
    stake: receipt.stake,
    payoutMultiplier: receipt.payoutMultiplier,
    won: receipt.won,
    payout: receipt.payout,
    serverSeedHash: receipt.proof.serverSeedHash,
    nonce: receipt.proof.nonce,
    resultHash: receipt.proof.resultHash,
    roll: receipt.roll,
    jobId,
    placedAt,
    source: "response",
  };
}

/**
 * A bet found in the server's export. The export rounds amounts to 2 dp, so the stake is the job's own
 * (checked against the rounded one by the caller) and the payout is recomputed exactly.
 */
export function recordFromExport(args: BetArgs, row: ExportedBet, jobId: string): BetRecord {
  const placedAt = Date.parse(row.timestamp);
  // A lost bet may be exported with multiplier 0; the game's own price is what the bet was placed at.
  const multiplier = row.payoutMultiplier > 0 ? row.payoutMultiplier : settle(args.bet, 0).payoutMultiplier;
  return {
    agentId: args.agentId,
    clientSeed: args.clientSeed,
    betId: row.betId,
    game: args.bet.game,
    params: gameParams(args),
    stake: args.amount,
    payoutMultiplier: multiplier,
    won: row.won,
    payout: row.won ? payoutMicros(args.amount, multiplier) : 0,
    serverSeedHash: row.serverSeedHash,
    nonce: row.nonce,
    resultHash: row.resultHash,
    roll: rollFromResultHash(row.resultHash),
    jobId,
    placedAt: Number.isFinite(placedAt) ? placedAt : Date.now(),
    source: "reconciled",
  };
}

/** Why an exported row cannot be this job's bet, or null when it fits (same game, stake to the cent). */
export function exportMismatch(args: BetArgs, row: ExportedBet): string | null {
  if (row.game !== args.bet.game) return `game ${row.game} ≠ ${args.bet.game}`;
  const stakeCents = Math.round(args.amount / 10_000);
  const rowCents = Math.round(row.amount / 10_000);
  if (stakeCents !== rowCents) return `stake ${row.amount} µUSD (2 dp) ≠ ${args.amount} µUSD`;
  return null;
}

/** The roll the result hash encodes (purpleflea-api.md §2.3), or null for a hash we cannot read. */
export function rollFromResultHash(resultHash: string): number | null {
  if (!/^[0-9a-f]{8}/i.test(resultHash)) return null;
  return (Number.parseInt(resultHash.slice(0, 8), 16) % 10_000) / 100;
}

export function betResult(rec: BetRecord): BetResult {
  return {
    agentId: rec.agentId,
    clientSeed: rec.clientSeed,
    betId: rec.betId,
    game: rec.game,
    stake: rec.stake,
    payout: rec.payout,
    net: rec.payout - rec.stake,
    won: rec.won,
  };
}

/** pf-fleet's code for the casino's per-bet refusal code inside a settled batch. */
export function refusalCode(upstreamCode: string): FleetErrorCode {
  if (upstreamCode === "kelly_limit_exceeded") return "KELLY_LIMIT_EXCEEDED";
  if (upstreamCode === "insufficient_balance") return "INSUFFICIENT_BALANCE";
  if (upstreamCode === "minimum_bet" || upstreamCode.startsWith("invalid_")) return "INVALID_INPUT";
  return "UPSTREAM_REJECTED";
}
