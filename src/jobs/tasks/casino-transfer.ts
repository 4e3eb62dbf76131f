import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { recordMovement } from "../../ledger/movements.js";
import { mirrorCovers } from "../../ledger/server-mirror.js";
import type { MovementRecord, ServerRow } from "../../ledger/types.js";
import type { Micros } from "../../money.js";
import type { JobRow, ReconcileOutcome, TaskContext, TaskDefinition } from "../types.js";
import { TASK, transferArgs } from "./args.js";
import { InFlight } from "./in-flight.js";
import { trySync } from "./ledger-sync.js";
import { MONEY_RETRY, MONEY_TIME_LIMIT_MS } from "./policies.js";
import { CLOCK_MARGIN_MS, requestTag } from "./server-ledger.js";

/**
 * `casino.transfer`: an agent-to-agent payment (`POST /stats/pay`), instant and irreversible. Recorded as
 * `transfer_out` for the sender and, when the recipient is a fleet agent, `transfer_in` for it; both keyed by
 * the server's payment id (`pay_…`, the `reference` of its ledger rows). The memo still names the request, for
 * people reading it, but the server stores no memo: a lost answer is found by amount and payment id.
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
  deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
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
      // at send time: the kill switch and the operator's transfer limits (reserved against the day until this ends)
      await deps.fleet.reserveSpend(
        "transfer",
        { jobKey: ctx.job.idempotencyKey ?? ctx.job.id, agentId: args.agentId, amount: args.amount },
        { jobId: ctx.job.id },
      );
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
      // The server stores no memo (purpleflea-api.md §12): a payment is a `payment_sent` row with its amount and
      // payment id. Candidates are this agent's payments of this amount since the job began that no recorded
      // transfer has claimed. A fleet recipient's `payment_received` row tells whose each one is; failing that,
      // the unclaimed payments are candidates only while every other open transfer of this agent and amount goes
      // to the same recipient, and no more of them are unclaimed than such transfers could have made.
      // Transfers alike in payer, recipient and amount ("twins") are interchangeable: whichever payment one
      // takes, the same money moved. The oldest twin takes the oldest candidate; a younger one waits for it.
      const from = ctx.job.createdAt - CLOCK_MARGIN_MS;
      const sync = await trySync(deps, args.agentId, ctx.signal);
      const sent = (await ctx.storage.ledger.serverRows({ agentId: args.agentId, sinceAt: from })).filter(
        (r) => isPaymentSent(r) && r.amount === args.amount && r.reference !== null,
      );
      const unclaimed: ServerRow[] = [];
      for (const row of sent) {
        const owner = await ctx.storage.ledger.movement(args.agentId, row.reference as string);
        if (!owner || owner.jobId === ctx.job.id) unclaimed.push(row);
      }
      let candidates: ServerRow[] = [];
      if (unclaimed.length > 0 && (await deps.fleet.getAgent(args.toAgentId))) {
        await trySync(deps, args.toAgentId, ctx.signal);
        const received = await ctx.storage.ledger.serverRows({ agentId: args.toAgentId, sinceAt: from });
        const theirs = new Set(received.filter((r) => r.reason === "payment_received").map((r) => r.reference));
        candidates = unclaimed.filter((r) => theirs.has(r.reference));
      }
      const rivals = await openRivals(ctx);
      const twins = rivals.filter((j) => (j.args as Partial<TransferArgs>).toAgentId === args.toAgentId);
      if (candidates.length === 0 && twins.length === rivals.length && unclaimed.length <= twins.length + 1) {
        candidates = unclaimed;
      }
      if (candidates.length > 1 && twins.length > 0) {
        const older = twins.find((j) => mayHaveSent(j) && olderThan(j, ctx.job));
        if (older) {
          return {
            outcome: "unknown",
            reason: `${older.id}, an older transfer of the same amount to the same recipient, takes the older payment first`,
          };
        }
        candidates = [oldestFirst(candidates)[0] as ServerRow];
      }
      if (candidates.length === 1) {
        const [payment] = candidates as [ServerRow];
        return { outcome: "done", result: await settled(deps, ctx, payment.reference) };
      }
      if (candidates.length > 1) {
        return {
          outcome: "unknown",
          reason: `${candidates.length} unclaimed payments of this amount since the job began; which is this one cannot be told`,
        };
      }
      if (!sync.ok) return { outcome: "unknown", reason: `the server ledger could not be read: ${sync.error}` };
      if (unclaimed.length === 0 && (await mirrorCovers(ctx.storage, args.agentId, from, sync.whole))) {
        return { outcome: "not_done", reason: `no payment of ${args.agentId} of this amount since the job began` };
      }
      return {
        outcome: "unknown",
        reason:
          unclaimed.length > 0
            ? `${unclaimed.length} unclaimed payment(s) of this amount, and another open transfer of the same amount or no recipient row tells them apart`
            : "the server ledger rows seen miss some since the job began",
      };
    },
  };
}

/** The other open transfers of this agent and amount, whose payment an unclaimed row could equally be. */
async function openRivals(ctx: TaskContext<TransferArgs>): Promise<JobRow[]> {
  const { args } = ctx;
  const rivals: JobRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.storage.jobs.list({
      task: TASK.transfer,
      state: ["queued", "running", "retrying", "unknown"],
      agentId: args.agentId,
      limit: 500,
      ...(cursor ? { cursor } : {}),
    });
    for (const j of page.jobs) {
      const other = j.args as Partial<TransferArgs>;
      if (j.id !== ctx.job.id && other.agentId === args.agentId && other.amount === args.amount) rivals.push(j);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return rivals;
}

/** A transfer still being worked on that may have reached the server (not one still waiting for its first try). */
function mayHaveSent(j: JobRow): boolean {
  return j.state !== "unknown" && (j.moneyState === "intent" || j.moneyState === "unknown");
}

function olderThan(a: Pick<JobRow, "createdAt" | "id">, b: Pick<JobRow, "createdAt" | "id">): boolean {
  return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);
}

function oldestFirst(rows: readonly ServerRow[]): ServerRow[] {
  return [...rows].sort((x, y) => x.at - y.at || x.seq - y.seq);
}

function isPaymentSent(r: ServerRow): boolean {
  return r.reason === "payment_sent" && (r.type === "debit" || r.type === "reservation");
}

function memoFor(args: TransferArgs): string {
  return args.memo ? `${requestTag(args.requestId)} ${args.memo}` : requestTag(args.requestId);
}

async function settled(
  deps: Pick<FleetDeps, "fleet">,
  ctx: TaskContext<TransferArgs>,
  transferId: string | null,
): Promise<TransferResult> {
  const { args } = ctx;
  const at = Date.now();
  const description = `transfer ${transferId ?? "?"} (request ${args.requestId}) ${args.agentId} → ${args.toAgentId}`;
  // Keyed by the payment id the server's rows carry, so the ledger sync sees them as already recorded.
  const reference = transferId ?? args.requestId;
  const movements: MovementRecord[] = [
    {
      agentId: args.agentId,
      kind: "transfer_out",
      amount: -args.amount,
      reference,
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
      reference,
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
