import type { Statement } from "better-sqlite3";
import type { Db } from "../db.js";
import type { Micros } from "../money.js";

/**
 * Realised trading loss of the current UTC day, read from the ledger's `bets` table (src/ledger): the sum of
 * every settled bet's net, counted as a loss only when negative. Escrow, faucet and transfers are not trading.
 */
export function createDailyLoss(db: Db, now: () => number) {
  // Prepared on first use: the ledger migrates its own tables, possibly after the fleet store is built.
  let statements: { byAgent: Statement; fleet: Statement } | undefined;
  const prepared = () => {
    statements ??= {
      byAgent: db
        .prepare("SELECT COALESCE(SUM(net), 0) FROM bets WHERE agent_id = ? AND placed_at >= ? AND placed_at < ?")
        .pluck(),
      fleet: db.prepare("SELECT COALESCE(SUM(net), 0) FROM bets WHERE placed_at >= ? AND placed_at < ?").pluck(),
    };
    return statements;
  };

  const today = (): [number, number] => {
    const start = utcDayStart(now());
    return [start, start + 86_400_000];
  };

  return {
    agent(agentId: string): Micros {
      return Math.max(0, -(prepared().byAgent.get(agentId, ...today()) as number));
    },
    fleet(): Micros {
      return Math.max(0, -(prepared().fleet.get(...today()) as number));
    },
  };
}

export function utcDayStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
