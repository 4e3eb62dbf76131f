import { UNATTRIBUTED_PREFIX } from "../../ledger/matching.js";
import { recordMovement } from "../../ledger/movements.js";
import { formatUsd, type Micros } from "../../money.js";
import type { Storage, Tx } from "../../storage/types.js";
import type { JobState, QueueName } from "../types.js";

/**
 * Money the server moved that no server row pf-fleet saw accounts for. `GET /auth/ledger` shows the newest 50 rows
 * and orders rows of one second in no defined order, so rows can be missed however often it is read: more than 50
 * in one second, or more than 50 between two reads. After a sync, the server's balance (`GET /auth/balance`, the
 * raw float) is compared with the local ledger; when they differ and nothing pf-fleet does can be between the two,
 * the difference is recorded as one `external` movement, `unattributed:<time>`, whose description is the evidence.
 * It is never dropped and never guessed into a kind it may not be. A credit landing between the ledger read and
 * the balance read is counted here and then imported by the next sync: the next quiet refresh takes it back out
 * (each one records what is left over, so they converge).
 *
 * "Nothing in between": no money job open (queued, running, retrying, or unknown: its money may have moved) and
 * none finished since the read began. Otherwise the refresh leaves it to the next run.
 */

const MONEY_QUEUES: ReadonlySet<QueueName> = new Set(["casino", "escrow", "wallet"]);
const OPEN: ReadonlySet<JobState> = new Set(["queued", "running", "retrying", "unknown"]);

/** Whether no money job is open now and none finished since `since`. */
export async function moneyQuiet(x: Pick<Tx, "jobs">, since: number): Promise<boolean> {
  const counts = await x.jobs.stateCounts();
  if (counts.some((c) => MONEY_QUEUES.has(c.queue) && OPEN.has(c.state) && c.count > 0)) return false;
  return !(await x.jobs.finishedSince(since)).some((run) => MONEY_QUEUES.has(run.queue));
}

/**
 * After a sync that began at `readStartedAt`, with the server's balance read after it: the difference from the
 * local ledger, recorded as unattributed (null when there is none or it cannot be judged now).
 */
export async function recordUnattributed(
  storage: Pick<Storage, "transaction">,
  agentId: string,
  server: { balance: Micros; readAt: number },
  readStartedAt: number,
  jobId: string | null,
): Promise<Micros | null> {
  return storage.transaction(async (tx) => {
    if (!(await moneyQuiet(tx, readStartedAt))) return null;
    const local = await tx.ledger.localBalance(agentId);
    const difference = server.balance - local;
    if (difference === 0) return null;
    const gaps = await tx.ledger.serverRows({ agentId, gapsOnly: true });
    await recordMovement(tx, {
      agentId,
      kind: "external",
      amount: difference,
      reference: `${UNATTRIBUTED_PREFIX}${server.readAt}`,
      description:
        `unattributed: the server's balance was $${formatUsd(server.balance, 6)}, the local ledger's ` +
        `$${formatUsd(local, 6)}; server ledger rows its 50-row window never showed ` +
        `(${gaps.length} gap(s) seen between reads, or rows of one busy second)`,
      jobId,
      at: server.readAt,
    });
    return difference;
  });
}
