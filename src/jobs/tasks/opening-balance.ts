import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import { getMovement, recordMovement } from "../../ledger/movements.js";
import { appendToMirror, chainOrder, openingMark } from "../../ledger/server-mirror.js";
import type { Micros } from "../../money.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";

/**
 * When an agent joins the fleet, its server balance at that moment is recorded as an `opening_balance`
 * movement, so that the local ledger (opening balance + every bet and movement since) can equal the server
 * balance to the micro-dollar. It is taken from one read of the server ledger (the balance after its newest
 * row), and that read's rows go into the mirror before an opening mark: the ledger refresh skips exactly those
 * (src/ledger/import.ts), so a credit landing in the same second as the registration is not lost.
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
  const call = signal ? { signal } : {};
  // The balance after the newest server row IS the balance at that read, and the rows of that read are exactly
  // what it contains: rows read later are not in it, whatever their (whole-second) time says.
  const entries = await readWithRetry(() => deps.client.casino.ledger(key, call), call);
  const newest = chainOrder(entries).at(-1);
  const balance = newest
    ? newest.balanceAfter
    : (await readWithRetry(() => deps.client.casino.balance(key, call), call)).balance;
  const at = Date.now();
  let inserted = false;
  try {
    inserted = await deps.storage.transaction(async (tx) => {
      const write = await recordMovement(tx, {
        agentId,
        kind: "opening_balance",
        amount: balance,
        reference: OPENING_BALANCE_REFERENCE,
        description: "server balance when the agent joined the fleet",
        at,
      });
      if (write.inserted) {
        const { appended } = await appendToMirror(tx, agentId, entries, at);
        const { lastSeq } = await tx.ledger.mirrorHead(agentId);
        const serverAt = appended.at(-1)?.at ?? at;
        await tx.ledger.appendServerRows([openingMark(agentId, balance, serverAt, lastSeq, at)]);
      }
      return write.inserted;
    });
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
