import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { escrowReference } from "../../ledger/classify.js";
import { recordMovement } from "../../ledger/movements.js";
import type { MovementRecord } from "../../ledger/types.js";
import type { Micros } from "../../money.js";
import type { Escrow } from "../../purpleflea/types.js";
import { escrowLimits } from "../rate-limit.js";
import type { ReconcileOutcome, TaskDefinition } from "../types.js";
import { escrowCreateArgs, TASK } from "./args.js";
import { InFlight } from "./in-flight.js";
import { errorMessage } from "./messages.js";
import { MONEY_RETRY, MONEY_TIME_LIMIT_MS } from "./policies.js";
import { readServerLedger, requestTag } from "./server-ledger.js";

/**
 * `escrow.create`: locks the creator's casino balance for a counterparty (purpleflea-api.md §3). Escrow ids
 * are made by the server, so the request id rides in the description (` [pf:<requestId>]`): a create whose
 * answer was lost is found by walking the creator's escrow lock debits and reading each escrow's
 * description. The lock is recorded as an `escrow_lock` movement (−amount, fee = commission).
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
  deps: Pick<FleetDeps, "fleet" | "client">,
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
      try {
        const window = await readServerLedger(deps.client.casino, key, ctx.job.createdAt, { signal: ctx.signal });
        const lockIds = window.recent
          .filter((e) => e.service === "escrow" && e.type === "debit")
          .map((e) => escrowIdOf(e.reference ?? e.reason))
          .filter((id): id is string => id !== null);
        for (const escrowId of new Set(lockIds)) {
          const escrow = await deps.client.escrow.get(escrowId, key, { signal: ctx.signal });
          if (escrow.description.includes(tag)) {
            const lock = lockMovement(args, escrow, ctx.job.id);
            ctx.onCommit((tx) => recordMovement(tx, lock));
            return { outcome: "done", result: createResult(args, escrow) };
          }
        }
        if (window.coversSince) {
          return { outcome: "not_done", reason: `no escrow of ${args.agentId} since the job began carries ${tag}` };
        }
        return {
          outcome: "unknown",
          reason: `no escrow carrying ${tag} among the last 50 server ledger rows, which do not reach back to the job`,
        };
      } catch (err) {
        return { outcome: "unknown", reason: `the creator's escrows could not be read: ${errorMessage(err)}` };
      }
    },
  };
}

export function taggedDescription(description: string, requestId: string): string {
  return `${description} ${requestTag(requestId)}`;
}

function escrowIdOf(text: string): string | null {
  return /esc_[0-9A-Za-z]+/.exec(text)?.[0] ?? null;
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
