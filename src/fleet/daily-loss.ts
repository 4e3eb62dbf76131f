import type { Micros } from "../money.js";

/**
 * Realised trading loss of the current UTC day, from the ledger's bets (src/ledger): the sum of every settled
 * bet's net, counted as a loss only when negative. Escrow, faucet and transfers are not trading. The ledger keeps
 * that sum per agent and day as bets are recorded, so the risk read (`FleetRepo.riskSnapshot`) reads a row, not the
 * day's bets; this turns the day's net into the loss the limits are checked against.
 */
export function realisedLoss(netToday: Micros): Micros {
  return Math.max(0, -netToday);
}

export function utcDayStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
