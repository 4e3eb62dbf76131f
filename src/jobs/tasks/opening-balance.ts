import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import { getMovement, recordMovement } from "../../ledger/movements.js";
import type { Micros } from "../../money.js";

/**
 * When an agent joins the fleet, its server balance at that moment is recorded as an `opening_balance`
 * movement, so that the local ledger (opening balance + every bet and movement since) can equal the server
 * balance to the micro-dollar. Server ledger rows up to this moment are part of it: the ledger refresh skips
 * them (src/ledger/import.ts).
 */

/** One opening balance per agent, ever. */
export const OPENING_BALANCE_REFERENCE = "opening_balance";

export interface OpeningBalance {
  agentId: string;
  balance: Micros;
  at: number;
  /** false when the agent already had one (nothing was written) */
  recorded: boolean;
}

export async function recordOpeningBalance(
  deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
  agentId: string,
  signal?: AbortSignal,
): Promise<OpeningBalance> {
  const existing = await getMovement(deps.storage, agentId, OPENING_BALANCE_REFERENCE);
  if (existing) return { agentId, balance: existing.amount, at: existing.at, recorded: false };
  const key = await deps.fleet.keyFor(agentId);
  // The moment the balance is read from: server rows up to then are inside the balance we get.
  const at = Date.now();
  const { balance } = await deps.client.casino.balance(key, signal ? { signal } : {});
  let inserted = false;
  try {
    const write = await recordMovement(deps.storage, {
      agentId,
      kind: "opening_balance",
      amount: balance,
      reference: OPENING_BALANCE_REFERENCE,
      description: "server balance when the agent joined the fleet",
      at,
    });
    inserted = write.inserted;
  } catch (err) {
    if (!(err instanceof FleetError && err.code === "CONFLICT")) throw err;
  }
  if (!inserted) {
    // Another process recorded it between our check and our write: theirs stands.
    const theirs = await getMovement(deps.storage, agentId, OPENING_BALANCE_REFERENCE);
    if (theirs) return { agentId, balance: theirs.amount, at: theirs.at, recorded: false };
  }
  return { agentId, balance, at, recorded: inserted };
}
