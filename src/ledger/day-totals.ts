import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";
import type { Executor } from "../storage/types.js";
import { DAY_MS } from "./period.js";

/**
 * Realised bet PnL of one UTC day, per agent and fleet-wide, read from the running totals the ledger keeps per
 * day and agent (`bet_day_totals` on SQLite, moved by triggers on `bets` in the statement that records a bet):
 * the same Σ (payout − stake) over the bets placed that day as a scan of the bets would give, in a few rows'
 * reading. This is what the risk checks before every bet consult.
 */
export interface DayTotals {
  /** Σ net of `agentId`'s bets placed in the UTC day starting at `dayStart` */
  agentNet(agentId: string, dayStart: number): Promise<Micros>;
  /** Σ net of every agent's bets placed in that day */
  fleetNet(dayStart: number): Promise<Micros>;
}

/** Reads through `x`'s ledger on each call (a storage, or a transaction's view inside it). */
export function createDayTotals(x: Pick<Executor, "ledger">): DayTotals {
  return {
    async agentNet(agentId, dayStart) {
      return x.ledger.agentDayNet(agentId, checkDay(dayStart));
    },
    async fleetNet(dayStart) {
      return x.ledger.fleetDayNet(checkDay(dayStart));
    },
  };
}

/** A day start that is not a UTC midnight would silently read nothing; it is a caller bug. */
function checkDay(dayStart: number): number {
  if (!Number.isSafeInteger(dayStart) || dayStart % DAY_MS !== 0) {
    throw new FleetError("INVALID_INPUT", `dayStart must be a UTC midnight in ms since the epoch, got \`${dayStart}\``);
  }
  return dayStart;
}
