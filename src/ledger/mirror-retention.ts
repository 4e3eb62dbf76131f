import { DEFAULT_MIRROR_RETENTION_DAYS } from "../config.js";
import { CLOCK_MARGIN_MS } from "../jobs/tasks/server-ledger.js";
import type { Storage } from "../storage/types.js";
import { SERVER_LEDGER_WINDOW } from "./server-mirror.js";

/**
 * How long the server ledger mirror (src/ledger/server-mirror.ts) keeps rows: a busy agent writes one or two per
 * bet, so kept for good the mirror grows without bound. Rows older than the retention go, in the engine's
 * maintenance pass (src/jobs/maintenance.ts), except those a reader may still need. Each reader, and why what
 * goes is no longer needed:
 *
 * - Appending a read (`appendToMirror`: `mirrorHead`, `serverRowIds`) continues the agent's head row and numbers
 *   new rows after its highest seq: the head and every row appended after it are kept. A row it holds is skipped;
 *   a row it no longer held but a later read still showed would be appended again, behind the head and after the
 *   opening mark, and judged (imported) a second time. So a row goes only once it has left the server's 50-row
 *   window for good: 50 newer rows of its agent were seen, all before the cutoff, so no read still in flight
 *   can show it. An agent with fewer rows keeps them all.
 * - The opening mark (`heldAtOpening`: the import's `before_opening`, the faucet's "claimed before this job") is
 *   kept; rows before it that go can never be read again (above), so they are never judged again.
 * - Reconciliations of lost answers (escrow create, transfer) read an agent's rows since their job began (less
 *   CLOCK_MARGIN_MS), and `mirrorCovers` needs the gaps since then and one row before then. The cutoff is never
 *   later than the oldest money job that may still be reconciled (open, or ended failed, dead or unknown, which
 *   retry_job reconciles first) less the margin, and each agent keeps its newest row before the cutoff. Failed
 *   and dead jobs go after PF_RESULT_TTL_HOURS; an `unknown` job is kept until resolved, and holds the cutoff
 *   back that long.
 * - The faucet's reconciliation takes any faucet credit ever as THE claim (it pays an agent once): faucet rows
 *   are kept, one per agent.
 * - The ledger refresh and the syncs after bet calls import only rows new to the mirror, in the transaction that
 *   appends them; the unattributed check counts gap rows for its description; the nudger looks up the
 *   reservation rows of bets just commissioned. None reads rows days old.
 *
 * What goes is history nothing reads any more; the retention is how long it stays for inspection.
 */
export { DEFAULT_MIRROR_RETENTION_DAYS };

/** Prunes what the retention lets go, `batch` rows per transaction; returns how many went. */
export async function pruneServerMirror(
  storage: Pick<Storage, "transaction">,
  now: number,
  retentionMs: number,
  batch: number,
): Promise<number> {
  let pruned = 0;
  for (;;) {
    const n = await storage.transaction(async (tx) => {
      const oldestJob = await tx.jobs.oldestUnsettledMoneyJobAt();
      const before = Math.min(
        now - retentionMs,
        oldestJob === null ? Number.POSITIVE_INFINITY : oldestJob - CLOCK_MARGIN_MS,
      );
      return tx.ledger.pruneServerRows({ before, keepNewest: SERVER_LEDGER_WINDOW, limit: batch });
    });
    pruned += n;
    if (n < batch) return pruned;
  }
}
