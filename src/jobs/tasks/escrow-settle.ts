import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import { listMovements } from "../../ledger/movements.js";
import type { Micros } from "../../money.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { ChordMemberOutcome, TaskDefinition } from "../types.js";
import { escrowSettleArgs, escrowSettleReportArgs, TASK } from "./args.js";
import type { EscrowReleaseResult } from "./escrow-release.js";
import { validateEscrow } from "./escrow-validate.js";
import { errorMessage } from "./messages.js";
import { FLEET_SWEEP_TIME_LIMIT_MS, READ_RETRY } from "./policies.js";

/**
 * `escrow.settle`, the weekly settlement: the fleet's own escrows (or a given list) that pass validation are
 * released, each by its own `escrow.release` job (durable intent, reconciled like any release), gathered in a
 * chord whose callback, `escrow.settle_report`, reports what was settled and what failed, with reasons.
 * The settle job itself only reads and enqueues, so it never holds an escrow worker while releases wait.
 */

export type EscrowSettleArgs = z.infer<typeof escrowSettleArgs>;

export interface SettleSkip {
  escrowId: string;
  status: string;
  reason: string;
}

export interface SettleReport {
  settled: Array<{ escrowId: string; amountReleased: Micros; counterpartyId: string | null }>;
  failed: Array<{ escrowId: string; reason: string }>;
  skipped: SettleSkip[];
}

export interface SettleResult extends SettleReport {
  /** the chord of release jobs; its result is the final SettleReport. null when nothing was to release */
  chordId: string | null;
  releasing: string[];
}

/** An escrow lives at most 720 h; a lock older than this is settled one way or another. */
const ESCROW_LIFETIME_MS = 31 * 24 * 3_600_000;
const MAX_SUBMIT_TRIES = 20;

export function escrowSettleTask(
  deps: Pick<FleetDeps, "fleet" | "client" | "storage" | "engine">,
): TaskDefinition<EscrowSettleArgs, SettleResult> {
  return {
    name: TASK.escrowSettle,
    queue: "escrow",
    // Not critical itself: its releases are, each in its own job.
    moneyMoving: false,
    timeLimitMs: FLEET_SWEEP_TIME_LIMIT_MS,
    retry: READ_RETRY,
    args: escrowSettleArgs,

    async run(ctx) {
      const { args } = ctx;
      const explicit = args.escrowIds !== undefined;
      const ids = args.escrowIds ?? (await fleetEscrowIds(deps));
      const skipped: SettleSkip[] = [];
      const releasable: Array<{ agentId: string; escrowId: string; requestId: string }> = [];
      for (const [i, escrowId] of ids.entries()) {
        ctx.progress({ done: i, total: ids.length, message: `validating ${escrowId}` });
        try {
          const escrow = await readWithRetry(
            () => deps.client.escrow.get(escrowId, undefined, { signal: ctx.signal }),
            {
              signal: ctx.signal,
            },
          );
          const settledAlready = escrow.status === "released" || escrow.status === "refunded";
          if (settledAlready && !explicit) continue;
          if (!(await deps.fleet.getAgent(escrow.creatorId))) {
            skipped.push({
              escrowId,
              status: escrow.status,
              reason: `created by ${escrow.creatorId}, not a fleet agent; only the creator can release`,
            });
            continue;
          }
          const verdict = await validateEscrow(
            (signal) => readWithRetry(() => deps.client.escrow.get(escrowId, undefined, { signal }), { signal }),
            args.policy,
            ctx.signal,
          );
          if (verdict.passed)
            releasable.push({ agentId: escrow.creatorId, escrowId, requestId: `settle-${ctx.job.id}` });
          else skipped.push({ escrowId, status: verdict.status, reason: verdict.reason });
        } catch (err) {
          if (ctx.signal.aborted) throw err;
          skipped.push({ escrowId, status: "unknown", reason: `could not be read: ${errorMessage(err)}` });
        }
      }
      return await submitReleases(deps, releasable, skipped);
    },
  };
}

/** The fleet's escrow locks of the last 31 days, oldest first. */
export async function fleetEscrowIds(deps: Pick<FleetDeps, "storage">): Promise<string[]> {
  const locks = await listMovements(deps.storage, {
    kinds: ["escrow_lock"],
    from: Date.now() - ESCROW_LIFETIME_MS,
    order: "asc",
    limit: 10_000,
  });
  const ids = locks.map((m) => /esc_[0-9A-Za-z]+/.exec(m.reference)?.[0]).filter((id): id is string => !!id);
  return [...new Set(ids)];
}

/**
 * One chord of releases. A release job that already exists for an escrow (released by hand, or by an earlier
 * settlement) refuses the chord; that escrow is reported as skipped with the existing job, and the rest go on.
 */
async function submitReleases(
  deps: Pick<FleetDeps, "engine">,
  releasable: Array<{ agentId: string; escrowId: string; requestId: string }>,
  skipped: SettleSkip[],
): Promise<SettleResult> {
  let pending = releasable;
  for (let tries = 0; pending.length > 0 && tries < MAX_SUBMIT_TRIES; tries++) {
    try {
      const chord = await deps.engine.chord({
        members: pending.map((args) => ({ task: TASK.escrowRelease, args })),
        callback: { task: TASK.escrowSettleReport, args: { skipped } },
      });
      return { chordId: chord.id, releasing: pending.map((p) => p.escrowId), settled: [], failed: [], skipped };
    } catch (err) {
      const holder = err instanceof FleetError && err.code === "CONFLICT" ? err.details?.jobId : undefined;
      const existing = typeof holder === "string" ? await deps.engine.get(holder) : undefined;
      const escrowId = (existing?.args as { escrowId?: string } | undefined)?.escrowId;
      if (!existing || !escrowId) throw err;
      skipped.push({
        escrowId,
        status: "unknown",
        reason: `release job ${existing.id} already exists (${existing.state})`,
      });
      pending = pending.filter((p) => p.escrowId !== escrowId);
    }
  }
  return { chordId: null, releasing: [], settled: [], failed: [], skipped };
}

export type SettleReportArgs = z.infer<typeof escrowSettleReportArgs>;

/** The chord callback: one line per release job, from its result or its error. */
export function escrowSettleReportTask(
  deps: Pick<FleetDeps, "engine">,
): TaskDefinition<SettleReportArgs, SettleReport> {
  return {
    name: TASK.escrowSettleReport,
    queue: "analytics",
    moneyMoving: false,
    timeLimitMs: 30_000,
    retry: READ_RETRY,
    args: escrowSettleReportArgs,

    async run(ctx) {
      const report: SettleReport = { settled: [], failed: [], skipped: ctx.args.skipped };
      for (const raw of ctx.args.results) {
        const outcome = raw as ChordMemberOutcome;
        const result = outcome.result as EscrowReleaseResult | undefined;
        const escrowId =
          result?.escrowId ??
          ((await deps.engine.get(outcome.jobId))?.args as { escrowId?: string } | undefined)?.escrowId ??
          "?";
        if (outcome.state === "succeeded" && result?.released) {
          report.settled.push({
            escrowId,
            amountReleased: result.amountReleased,
            counterpartyId: result.counterpartyId,
          });
        } else if (outcome.state === "succeeded") {
          report.failed.push({ escrowId, reason: result?.reason ?? "not released" });
        } else {
          const why = outcome.error
            ? `${String(outcome.error.code)}: ${String(outcome.error.message)}`
            : "no error recorded";
          report.failed.push({ escrowId, reason: `release job ${outcome.jobId} ended ${outcome.state}: ${why}` });
        }
      }
      return report;
    },
  };
}
