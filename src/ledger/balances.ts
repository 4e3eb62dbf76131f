import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";
import type { ReconciliationLine } from "./types.js";
import { requireMicros, requireText } from "./validate.js";

/**
 * What the ledger says an agent holds: Σ movements (opening balance included) + Σ bet net. Invariant 3 of
 * DESIGN.md is that this equals the server's balance to the micro-dollar.
 */
export function localBalance(db: Db, agentId: string): Micros {
  requireText("agentId", agentId);
  const row = db
    .prepare(
      `SELECT (SELECT COALESCE(SUM(amount), 0) FROM movements WHERE agent_id = @agentId)
            + (SELECT COALESCE(SUM(net), 0) FROM bets WHERE agent_id = @agentId) AS balance`,
    )
    .get({ agentId }) as { balance: number };
  return row.balance;
}

/**
 * One line per agent in `serverBalances` (in its order): the local ledger against the server's balance.
 * A difference is reported as it is, however small; nothing is rounded away or netted across agents.
 */
export function reconciliationReport(db: Db, serverBalances: ReadonlyMap<string, Micros>): ReconciliationLine[] {
  if (!(serverBalances instanceof Map)) {
    throw new FleetError("INVALID_INPUT", "serverBalances must be a Map of agent id → micro-USD");
  }
  for (const [agentId, server] of serverBalances) {
    requireText("agent id", agentId);
    requireMicros(`server balance of ${agentId}`, server);
  }
  return [...serverBalances].map(([agentId, server]) => {
    const local = localBalance(db, agentId);
    const difference = server - local;
    return { agentId, local, server, difference, ok: difference === 0 };
  });
}
