import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";
import type { Executor } from "../storage/types.js";
import { UNATTRIBUTED_PREFIX } from "./matching.js";
import type { ReconciliationLine } from "./types.js";
import { requireMicros, requireText } from "./validate.js";

/**
 * What the ledger says an agent holds: Σ movements (opening balance included) + Σ bet net. Invariant 3 of
 * DESIGN.md is that this equals the server's balance to the micro-dollar.
 */
export async function localBalance(x: Pick<Executor, "ledger">, agentId: string): Promise<Micros> {
  requireText("agentId", agentId);
  return x.ledger.localBalance(agentId);
}

/**
 * One line per agent in `serverBalances` (in its order): the local ledger against the server's balance.
 * A difference is reported as it is, however small; nothing is rounded away or netted across agents.
 */
export async function reconciliationReport(
  x: Pick<Executor, "ledger">,
  serverBalances: ReadonlyMap<string, Micros>,
): Promise<ReconciliationLine[]> {
  if (!(serverBalances instanceof Map)) {
    throw new FleetError("INVALID_INPUT", "serverBalances must be a Map of agent id → micro-USD");
  }
  for (const [agentId, server] of serverBalances) {
    requireText("agent id", agentId);
    requireMicros(`server balance of ${agentId}`, server);
  }
  const lines: ReconciliationLine[] = [];
  for (const [agentId, server] of serverBalances) {
    const local = await x.ledger.localBalance(agentId);
    const difference = server - local;
    const unattributed = await unattributedTotal(x, agentId);
    lines.push({ agentId, local, server, difference, unattributed, ok: difference === 0 });
  }
  return lines;
}

/** Σ of the agent's `unattributed:` movements (few: at most one per ledger refresh that found a difference). */
async function unattributedTotal(x: Pick<Executor, "ledger">, agentId: string): Promise<Micros> {
  const rows = await x.ledger.listMovements({
    agentIds: [agentId],
    referencePrefix: UNATTRIBUTED_PREFIX,
    order: "asc",
    limit: 10_000,
    offset: 0,
  });
  return rows.reduce((sum, m) => sum + m.amount, 0);
}
