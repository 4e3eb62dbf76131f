import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { escrowIdOf, escrowReference } from "../../ledger/classify.js";
import { recordMovement } from "../../ledger/movements.js";
import { mirrorCovers } from "../../ledger/server-mirror.js";
import type { MovementRecord } from "../../ledger/types.js";
import type { Micros } from "../../money.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { Escrow } from "../../purpleflea/types.js";
import { escrowLimits } from "../rate-limit.js";
import type { ReconcileOutcome, TaskDefinition } from "../types.js";
import { escrowCreateArgs, TASK } from "./args.js";
import { InFlight } from "./in-flight.js";
import { trySync } from "./ledger-sync.js";
import { MONEY_RETRY, MONEY_TIME_LIMIT_MS } from "./policies.js";
import { CLOCK_MARGIN_MS, requestTag } from "./server-ledger.js";

/**
 * `escrow.create`: locks the creator's casino balance for a counterparty (purpleflea-api.md §3). Escrow ids
 * are made by the server, so the request id rides in the description (` [pf:<requestId>]`): a create whose
 * answer was lost is found by walking the creator's escrow lock debits since the job began — in the server
 * ledger mirror, which keeps rows the 50-row window has dropped — and reading each escrow's description. The lock is recorded as an `escrow_lock` movement (−amount, fee = commission).
 */

export type EscrowCreateArgs = z.infer<typeof escrowCreateArgs>;

/** What the chain's validate step receives as `previous`. */
export interface EscrowCreateResult {
  escrowId: string;
  creatorId: string;
  counterpartyId: string;
  amount: Micros;
  commission: Micros;
  netToCounterparty: Micros;
  status: Escrow["status"];
  autoReleaseAt: string | null;
  description: string;
  requestId: string;
}

export function escrowCreateTask(
  deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
): TaskDefinition<EscrowCreateArgs, EscrowCreateResult> {
  const inFlight = new InFlight();
  return {
    name: TASK.escrowCreate,
    queue: "escrow",
    moneyMoving: true,
    timeLimitMs: MONEY_TIME_LIMIT_MS,
    retry: MONEY_RETRY,
    args: escrowCreateArgs,
    idempotencyKey: (args) => `escrow.create:${args.requestId}`,
    rateLimits: () => escrowLimits("create"),

    async run(ctx) {
      const { args } = ctx;
      // at send time: the kill switch and the operator's escrow limits (reserved against the day until this ends)
      await deps.fleet.reserveSpend(
        "escrow",
        { jobKey: ctx.job.idempotencyKey ?? ctx.job.id, agentId: args.agentId, amount: args.amount },
        { jobId: ctx.job.id },
      );
      const key = await deps.fleet.keyFor(args.agentId);
      const escrow = await inFlight.track(
        args.requestId,
        deps.client.escrow.create(key, {
          amount: args.amount,
          description: taggedDescription(args.description, args.requestId),
          counterpartyAgentId: args.counterpartyAgentId,
          ...(args.timeoutHours === undefined ? {} : { timeoutHours: args.timeoutHours }),
          ...(args.referralCode === undefined ? {} : { referralCode: args.referralCode }),
        }),
      );
      const lock = lockMovement(args, escrow, ctx.job.id);
      ctx.onCommit((tx) => recordMovement(tx, lock));
      return createResult(args, escrow);
    },

    async reconcile(ctx): Promise<ReconcileOutcome<EscrowCreateResult>> {
      const { args } = ctx;
      const key = await deps.fleet.keyFor(args.agentId);
      const tag = requestTag(args.requestId);
      await inFlight.released(args.requestId);
      // The lock row may have left the server's 50-row window long ago (the agent kept betting): the mirror
      // kept it if any sync read it. Sync once more, then look at every lock since the job began.
      const from = ctx.job.createdAt - CLOCK_MARGIN_MS;
      const sync = await trySync(deps, args.agentId, ctx.signal);
      const rows = await ctx.storage.ledger.serverRows({ agentId: args.agentId, sinceAt: from });
      const lockIds = new Set(
        rows
          .filter((r) => r.service === "escrow" && r.type === "debit")
          .flatMap((r) => escrowIdOf(r.reference, r.reason) ?? []),
      );
      const unread: string[] = [];
      for (const escrowId of lockIds) {
        let escrow: Escrow;
        try {
          escrow = await readWithRetry(() => deps.client.escrow.get(escrowId, key, { signal: ctx.signal }), {
            signal: ctx.signal,
          });
        } catch {
          unread.push(escrowId); // one unreadable escrow does not stop the others being checked
          continue;
        }
        if (escrow.description.includes(tag)) {
          const lock = lockMovement(args, escrow, ctx.job.id);
          ctx.onCommit((tx) => recordMovement(tx, lock));
          return { outcome: "done", result: createResult(args, escrow) };
        }
      }
      if (unread.length > 0) {
        return { outcome: "unknown", reason: `escrow(s) ${unread.join(", ")} could not be read; asked again later` };
      }
      if (!sync.ok) {
        return { outcome: "unknown", reason: `the creator's server ledger could not be read: ${sync.error}` };
      }
      if (await mirrorCovers(ctx.storage, args.agentId, from, sync.whole)) {
        return { outcome: "not_done", reason: `no escrow of ${args.agentId} since the job began carries ${tag}` };
      }
      return {
        outcome: "unknown",
        reason: `no escrow carrying ${tag} among the server ledger rows seen, which miss some since the job began`,
      };
    },
  };
}

export function taggedDescription(description: string, requestId: string): string {
  return `${description} ${requestTag(requestId)}`;
}

function lockMovement(args: EscrowCreateArgs, escrow: Escrow, jobId: string): MovementRecord {
  return {
    agentId: args.agentId,
    kind: "escrow_lock",
    amount: -escrow.amount,
    reference: escrowReference(escrow.escrowId, "lock"),
    fee: escrow.commission,
    description: `escrow ${escrow.escrowId} for ${escrow.counterpartyId}: ${args.description}`.slice(0, 500),
    jobId,
    at: Date.now(),
  };
}

function createResult(args: EscrowCreateArgs, escrow: Escrow): EscrowCreateResult {
  return {
    escrowId: escrow.escrowId,
    creatorId: escrow.creatorId,
    counterpartyId: escrow.counterpartyId,
    amount: escrow.amount,
    commission: escrow.commission,
    netToCounterparty: escrow.netToCounterparty,
    status: escrow.status,
    autoReleaseAt: escrow.autoReleaseAt,
    description: args.description,
    requestId: args.requestId,
  };
}
