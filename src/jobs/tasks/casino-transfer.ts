import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { containsToken } from "../../ledger/import.js";
import { recordMovement } from "../../ledger/movements.js";
import type { MovementRecord } from "../../ledger/types.js";
import type { Micros } from "../../money.js";
import type { LedgerEntry } from "../../purpleflea/types.js";
import type { ReconcileOutcome, TaskContext, TaskDefinition } from "../types.js";
import { TASK, transferArgs } from "./args.js";
import { InFlight } from "./in-flight.js";
import { errorMessage } from "./messages.js";
import { MONEY_RETRY, MONEY_TIME_LIMIT_MS } from "./policies.js";
import { readServerLedger, requestTag } from "./server-ledger.js";

/**
 * `casino.transfer`: an agent-to-agent payment (`POST /stats/pay`), instant and irreversible. The request id
 * leads the memo (` [pf:<requestId>]`, first so a length cap cannot cut it), so a payment whose answer was
 * lost is found in the sender's server ledger. Recorded as `transfer_out` for the sender and, when the
 * recipient is a fleet agent, `transfer_in` for it; both keyed by the request id.
 */

export type TransferArgs = z.infer<typeof transferArgs>;

export interface TransferResult {
  requestId: string;
  transferId: string | null;
  fromAgentId: string;
  toAgentId: string;
  amount: Micros;
}

export function casinoTransferTask(
  deps: Pick<FleetDeps, "fleet" | "client">,
): TaskDefinition<TransferArgs, TransferResult> {
  const inFlight = new InFlight();
  return {
    name: TASK.transfer,
    queue: "casino",
    moneyMoving: true,
    timeLimitMs: MONEY_TIME_LIMIT_MS,
    retry: MONEY_RETRY,
    args: transferArgs,
    idempotencyKey: (args) => `casino.transfer:${args.requestId}`,

    async run(ctx) {
      const { args } = ctx;
      const key = await deps.fleet.keyFor(args.agentId);
      const t = await inFlight.track(
        args.requestId,
        deps.client.casino.pay(key, { toAgentId: args.toAgentId, amount: args.amount, memo: memoFor(args) }),
      );
      return await settled(deps, ctx, t.transferId);
    },

    async reconcile(ctx): Promise<ReconcileOutcome<TransferResult>> {
      const { args } = ctx;
      await inFlight.released(args.requestId);
      try {
        const key = await deps.fleet.keyFor(args.agentId);
        const window = await readServerLedger(deps.client.casino, key, ctx.job.createdAt, { signal: ctx.signal });
        const debits = window.recent.filter((e) => e.type === "debit" || e.type === "reservation");
        const tagged = debits.find((e) => names(e, args.requestId));
        if (tagged) return { outcome: "done", result: await settled(deps, ctx, tagged.reference) };
        // The memo is the only link; if a same-sized payment exists without it, we cannot tell whose it is.
        const lookalike = debits.find((e) => Math.abs(e.amount) === args.amount && !/escrow/i.test(e.service));
        if (lookalike) {
          return {
            outcome: "unknown",
            reason: `a debit of the same amount (${lookalike.id}) exists but does not name request ${args.requestId}`,
          };
        }
        if (window.coversSince) {
          return {
            outcome: "not_done",
            reason: `no debit of ${args.agentId} since the job began names ${args.requestId}`,
          };
        }
        return { outcome: "unknown", reason: "the last 50 server ledger rows do not reach back to the job" };
      } catch (err) {
        return { outcome: "unknown", reason: `the server ledger could not be read: ${errorMessage(err)}` };
      }
    },
  };
}

function memoFor(args: TransferArgs): string {
  return args.memo ? `${requestTag(args.requestId)} ${args.memo}` : requestTag(args.requestId);
}

function names(entry: LedgerEntry, requestId: string): boolean {
  return containsToken(entry.reason, requestId) || containsToken(entry.reference ?? "", requestId);
}

async function settled(
  deps: Pick<FleetDeps, "fleet">,
  ctx: TaskContext<TransferArgs>,
  transferId: string | null,
): Promise<TransferResult> {
  const { args } = ctx;
  const at = Date.now();
  const description = `transfer ${transferId ?? args.requestId} ${args.agentId} → ${args.toAgentId}`;
  const movements: MovementRecord[] = [
    {
      agentId: args.agentId,
      kind: "transfer_out",
      amount: -args.amount,
      reference: args.requestId,
      description,
      jobId: ctx.job.id,
      at,
    },
  ];
  if (await deps.fleet.getAgent(args.toAgentId)) {
    movements.push({
      agentId: args.toAgentId,
      kind: "transfer_in",
      amount: args.amount,
      reference: args.requestId,
      description,
      jobId: ctx.job.id,
      at,
    });
  }
  ctx.onCommit(async (tx) => {
    for (const m of movements) await recordMovement(tx, m);
  });
  return {
    requestId: args.requestId,
    transferId,
    fromAgentId: args.agentId,
    toAgentId: args.toAgentId,
    amount: args.amount,
  };
}
