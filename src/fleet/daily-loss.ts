import type { Db } from "../db.js";
import { createDayTotals } from "../ledger/day-totals.js";
import type { Micros } from "../money.js";

/**
 * Realised trading loss of the current UTC day, from the ledger's bets (src/ledger): the sum of every settled
 * bet's net, counted as a loss only when negative. Escrow, faucet and transfers are not trading. The ledger keeps
 * that sum per agent and day as bets are recorded, so this reads a row, not the day's bets.
 */
export function createDailyLoss(db: Db, now: () => number) {
  const totals = createDayTotals(db);
  return {
    agent(agentId: string): Micros {
      return Math.max(0, -totals.agentNet(agentId, utcDayStart(now())));
    },
    fleet(): Micros {
      return Math.max(0, -totals.fleetNet(utcDayStart(now())));
    },
  };
}

export function utcDayStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
