import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { toFleetError } from "../../errors.js";
import type { Micros } from "../../money.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { TaskDefinition } from "../types.js";
import { ledgerRefreshArgs, TASK } from "./args.js";
import { syncServerLedger } from "./ledger-sync.js";
import { errorMessage } from "./messages.js";
import { FLEET_SWEEP_TIME_LIMIT_MS, READ_RETRY } from "./policies.js";
import { recordUnattributed } from "./unattributed.js";

/**
 * `ledger.refresh`: each agent's server ledger (`GET /auth/ledger`, its newest 50 rows) kept in the mirror and
 * imported into the local ledger, so credits pf-fleet did not cause (deposits, referral commissions, payments
 * in) keep local PnL equal to the server balance. Busy agents are also synced after each bet call
 * (ledger-sync.ts); this sweep catches agents that receive money without betting (a referrer, a payee), and
 * records what no row seen explains as unattributed (unattributed.ts).
 */

export type LedgerRefreshArgs = z.infer<typeof ledgerRefreshArgs>;

export interface LedgerRefreshResult {
  agents: Array<{ agentId: string; rows: number; imported: number; unattributed: Micros | null }>;
  errors: Array<{ agentId: string; error: string }>;
}

export function ledgerRefreshTask(
  deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
): TaskDefinition<LedgerRefreshArgs, LedgerRefreshResult> {
  return {
    name: TASK.ledgerRefresh,
    // Bookkeeping over reads: it moves nothing and can wait behind the money queues.
    queue: "analytics",
    moneyMoving: false,
    timeLimitMs: FLEET_SWEEP_TIME_LIMIT_MS,
    retry: READ_RETRY,
    args: ledgerRefreshArgs,

    async run(ctx) {
      const ids = ctx.args.agentIds ?? (await deps.fleet.listAgents()).map((a) => a.agentId);
      const result: LedgerRefreshResult = { agents: [], errors: [] };
      let firstError: unknown;
      for (const agentId of ids) {
        try {
          const began = Date.now();
          const sync = await syncServerLedger(deps, agentId, { signal: ctx.signal, jobId: ctx.job.id });
          const key = await deps.fleet.keyFor(agentId);
          const { balance } = await readWithRetry(() => deps.client.casino.balance(key, { signal: ctx.signal }), {
            signal: ctx.signal,
          });
          const server = { balance, readAt: Date.now() };
          const unattributed = await recordUnattributed(deps.storage, agentId, server, began, ctx.job.id);
          result.agents.push({ agentId, rows: sync.entries.length, imported: sync.imported.imported, unattributed });
        } catch (err) {
          firstError ??= err;
          result.errors.push({ agentId, error: errorMessage(err) });
        }
        ctx.progress({ done: result.agents.length + result.errors.length, total: ids.length });
      }
      if (firstError !== undefined && result.agents.length === 0) throw toFleetError(firstError);
      return result;
    },
  };
}
