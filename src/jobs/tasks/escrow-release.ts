import { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { FleetError, toFleetError } from "../../errors.js";
import { escrowReference } from "../../ledger/classify.js";
import { recordMovement } from "../../ledger/movements.js";
import type { MovementRecord } from "../../ledger/types.js";
import { formatUsd, type Micros } from "../../money.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { Escrow, EscrowStatus } from "../../purpleflea/types.js";
import { escrowLimits } from "../rate-limit.js";
import type { ReconcileOutcome, TaskContext, TaskDefinition } from "../types.js";
import { escrowReleaseArgs, TASK } from "./args.js";
import { targetEscrowId } from "./escrow-validate.js";
import { InFlight } from "./in-flight.js";
import { errorMessage } from "./messages.js";
import { MONEY_RETRY, MONEY_TIME_LIMIT_MS } from "./policies.js";

/**
 * `escrow.release` (creator only): pays the counterparty amount − 1%. As a chain's last step it releases only
 * if the validation before it passed; otherwise it answers, without error, that the escrow stays funded and
 * how to act on it by hand. A lost answer is reconciled from the escrow's status (`released` = done). When
 * the counterparty is a fleet agent its `escrow_release` credit is recorded with the job's success.
 */

export type EscrowReleaseArgs = z.infer<typeof escrowReleaseArgs>;

export interface EscrowReleaseResult {
  released: boolean;
  escrowId: string;
  status: EscrowStatus | "unchanged";
  /** credited to the counterparty (amount − commission), 0 when not released */
  amountReleased: Micros;
  counterpartyId: string | null;
  /** why it was not released, and what to do instead */
  reason: string | null;
}

const previousValidation = z.object({ passed: z.boolean(), reason: z.string(), status: z.string() });

export function escrowReleaseTask(
  deps: Pick<FleetDeps, "fleet" | "client">,
): TaskDefinition<EscrowReleaseArgs, EscrowReleaseResult> {
  const inFlight = new InFlight();
  return {
    name: TASK.escrowRelease,
    queue: "escrow",
    moneyMoving: true,
    critical: true,
    timeLimitMs: MONEY_TIME_LIMIT_MS,
    retry: MONEY_RETRY,
    args: escrowReleaseArgs,
    idempotencyKey: (args) =>
      args.requestId
        ? `escrow.release:${targetEscrowId(args)}:${args.requestId}`
        : `escrow.release:${targetEscrowId(args)}`,
    rateLimits: () => escrowLimits("release"),

    async run(ctx) {
      const { args } = ctx;
      const escrowId = targetEscrowId(args);
      const refusal = validationRefusal(escrowId, args.previous);
      if (refusal) return refusal;
      // the kill switch, at send time: a release queued before a pause is not sent after it (failed, not_done)
      await deps.fleet.assertCanMoveMoney(args.agentId, { action: `the release of ${escrowId}`, jobId: ctx.job.id });

      const key = await deps.fleet.keyFor(args.agentId);
      let r: Awaited<ReturnType<typeof deps.client.escrow.release>>;
      try {
        r = await inFlight.track(escrowId, deps.client.escrow.release(key, escrowId));
      } catch (err) {
        return await alreadyReleased(deps, ctx, escrowId, key, err);
      }
      const credit = await releaseMovement(deps, escrowId, r.counterpartyId, r.amountReleased, ctx.job.id);
      if (credit) ctx.onCommit((tx) => recordMovement(tx, credit));
      return {
        released: true,
        escrowId,
        status: "released",
        amountReleased: r.amountReleased,
        counterpartyId: r.counterpartyId,
        reason: null,
      };
    },

    async reconcile(ctx): Promise<ReconcileOutcome<EscrowReleaseResult>> {
      const { args } = ctx;
      const escrowId = targetEscrowId(args);
      await inFlight.released(escrowId);
      try {
        const key = await deps.fleet.keyFor(args.agentId);
        const escrow = await readWithRetry(() => deps.client.escrow.get(escrowId, key, { signal: ctx.signal }), {
          signal: ctx.signal,
        });
        if (escrow.status !== "released") {
          return { outcome: "not_done", reason: `escrow ${escrowId} is ${escrow.status}, not released` };
        }
        const credit = await releaseMovement(
          deps,
          escrowId,
          escrow.counterpartyId,
          escrow.netToCounterparty,
          ctx.job.id,
        );
        if (credit) ctx.onCommit((tx) => recordMovement(tx, credit));
        return {
          outcome: "done",
          result: {
            released: true,
            escrowId,
            status: "released",
            amountReleased: escrow.netToCounterparty,
            counterpartyId: escrow.counterpartyId,
            reason: null,
          },
        };
      } catch (err) {
        return { outcome: "unknown", reason: `escrow ${escrowId} could not be read: ${errorMessage(err)}` };
      }
    },
  };
}

/**
 * A release the server refused with `409 invalid_status`. When the escrow reads `released`, another release (a
 * racing job, a second session, the creator by hand) got there first: the payment this job was for has happened,
 * so it succeeds having moved nothing. The counterparty's credit is recorded under the escrow's one release
 * reference, which the first release uses too, so it is in the ledger once whoever recorded it. Any other status,
 * or another refusal, is passed on as it is.
 */
async function alreadyReleased(
  deps: Pick<FleetDeps, "fleet" | "client">,
  ctx: TaskContext<EscrowReleaseArgs>,
  escrowId: string,
  key: string,
  err: unknown,
): Promise<EscrowReleaseResult> {
  const refusal = toFleetError(err);
  if (refusal.code !== "CONFLICT" || refusal.upstreamCode !== "invalid_status") throw err;
  let escrow: Escrow;
  try {
    escrow = await readWithRetry(() => deps.client.escrow.get(escrowId, key, { signal: ctx.signal }), {
      signal: ctx.signal,
    });
  } catch (readErr) {
    // A refusal proves this release moved nothing; only the reason is unknown.
    throw new FleetError(
      "CONFLICT",
      `${refusal.message}; the escrow could not be read to say why: ${errorMessage(readErr)}`,
      {
        kind: "permanent",
        upstreamCode: refusal.upstreamCode,
        hint: "get_escrow shows its status; a released escrow needs nothing more",
        cause: err,
      },
    );
  }
  if (escrow.status !== "released") {
    throw new FleetError(
      "CONFLICT",
      `${refusal.message}; escrow ${escrowId} is ${escrow.status}, so it cannot be released`,
      {
        kind: "permanent",
        upstreamCode: refusal.upstreamCode,
        hint:
          escrow.status === "refunded"
            ? "it timed out and the creator was refunded less 1%; nothing moved now"
            : "a disputed escrow stays locked until Purple Flea resolves it by hand; nothing moved now",
        cause: err,
      },
    );
  }
  const credit = await releaseMovement(deps, escrowId, escrow.counterpartyId, escrow.netToCounterparty, ctx.job.id);
  if (credit) ctx.onCommit((tx) => recordMovement(tx, credit));
  return {
    released: false,
    escrowId,
    status: "released",
    amountReleased: 0,
    counterpartyId: escrow.counterpartyId,
    reason:
      `already released: escrow ${escrowId} was released before this request` +
      `${escrow.releasedAt ? ` (at ${escrow.releasedAt})` : ""}, by another release; the server refused this ` +
      `second one (409 invalid_status), so nothing moved twice. The counterparty received ` +
      `$${formatUsd(escrow.netToCounterparty)} once.`,
  };
}

/** When chained after a validation that did not pass: the answer, with nothing sent. */
function validationRefusal(escrowId: string, previous: unknown): EscrowReleaseResult | null {
  if (previous === undefined) return null;
  const v = previousValidation.safeParse(previous);
  if (v.success && v.data.passed) return null;
  const why = v.success ? v.data.reason : "the step before did not report a passed validation";
  return {
    released: false,
    escrowId,
    status: "unchanged",
    amountReleased: 0,
    counterpartyId: null,
    reason:
      `not released: ${why}. The escrow stays funded until it is released or times out (then the creator is ` +
      `refunded less 1%). To pay anyway use release_escrow; to contest the work use dispute_escrow with a reason.`,
  };
}

/** The counterparty's credit, when the counterparty is one of the fleet's own agents. */
async function releaseMovement(
  deps: Pick<FleetDeps, "fleet">,
  escrowId: string,
  counterpartyId: string,
  amount: Micros,
  jobId: string,
): Promise<MovementRecord | null> {
  if (!(await deps.fleet.getAgent(counterpartyId))) return null;
  return {
    agentId: counterpartyId,
    kind: "escrow_release",
    amount,
    reference: escrowReference(escrowId, "release"),
    description: `escrow ${escrowId} released`,
    jobId,
    at: Date.now(),
  };
}
