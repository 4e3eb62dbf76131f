import type { Statement } from "better-sqlite3";
import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";
import { DAY_MS } from "./period.js";

/**
 * Realised bet PnL of one UTC day, per agent and fleet-wide, read from `bet_day_totals` (kept by triggers on
 * `bets`, see schema.ts): the same Σ (payout − stake) over the bets placed that day as a scan of `bets` would
 * give, in a few rows' reading. This is what the risk checks before every bet consult.
 */
export interface DayTotals {
  /** Σ net of `agentId`'s bets placed in the UTC day starting at `dayStart` */
  agentNet(agentId: string, dayStart: number): Micros;
  /** Σ net of every agent's bets placed in that day */
  fleetNet(dayStart: number): Micros;
}

/** Statements are prepared on first use: a reader may be built before the ledger has migrated its tables. */
export function createDayTotals(db: Db): DayTotals {
  let statements: { agent: Statement; fleet: Statement } | undefined;
  const prepared = () => {
    statements ??= {
      agent: db.prepare("SELECT net FROM bet_day_totals WHERE day_start = ? AND agent_id = ?").pluck(),
      fleet: db.prepare("SELECT COALESCE(SUM(net), 0) FROM bet_day_totals WHERE day_start = ?").pluck(),
    };
    return statements;
  };
  return {
    agentNet(agentId, dayStart) {
      return ((prepared().agent.get(checkDay(dayStart), agentId) as number | undefined) ?? 0) as Micros;
    },
    fleetNet(dayStart) {
      return prepared().fleet.get(checkDay(dayStart)) as Micros;
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
