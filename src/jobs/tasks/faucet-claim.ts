import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { FleetError, toFleetError } from "../../errors.js";
import { getMovement, recordMovement } from "../../ledger/movements.js";
import type { MovementRecord } from "../../ledger/types.js";
import type { Micros } from "../../money.js";
import type { LedgerEntry } from "../../purpleflea/types.js";
import { faucetClaimLimits } from "../rate-limit.js";
import type { ReconcileOutcome, TaskContext, TaskDefinition } from "../types.js";
import { faucetClaimArgs, TASK } from "./args.js";
import { InFlight } from "./in-flight.js";
import { errorMessage } from "./messages.js";
import { OPENING_BALANCE_REFERENCE } from "./opening-balance.js";
import { MONEY_RETRY, MONEY_TIME_LIMIT_MS } from "./policies.js";
import { entryTime, readServerLedger } from "./server-ledger.js";

/**
 * `faucet.claim`: the faucet pays $1 once per agent, ever (and once per IP per 24 h). A claim is recorded as
 * a `faucet` movement, and the agent is remembered as having claimed, so the balance check never asks again.
 * `already_claimed` means the claim happened before (at registration, or by an earlier attempt): a success
 * with nothing new to record. A lost answer is reconciled from the agent's server ledger (its faucet credit).
 */

export type FaucetClaimArgs = z.infer<typeof faucetClaimArgs>;

export interface FaucetClaimResult {
  agentId: string;
  /** true when this job's claim credited the agent */
  claimed: boolean;
  credited: Micros;
  claimId: string | null;
  /** why nothing was credited (already claimed before) */
  note: string | null;
}

export function faucetClaimTask(
  deps: Pick<FleetDeps, "fleet" | "client">,
): TaskDefinition<FaucetClaimArgs, FaucetClaimResult> {
  const inFlight = new InFlight();
  return {
    name: TASK.faucetClaim,
    queue: "wallet",
    moneyMoving: true,
    critical: true,
    timeLimitMs: MONEY_TIME_LIMIT_MS,
    retry: MONEY_RETRY,
    args: faucetClaimArgs,
    idempotencyKey: (args) => `faucet.claim:${args.agentId}`,
    rateLimits: () => faucetClaimLimits(),

    async run(ctx) {
      const { agentId, referralCode } = ctx.args;
      await deps.fleet.keyFor(agentId); // only fleet agents: NOT_FOUND otherwise, nothing sent
      const known = await ctx.storage.taskMemory.faucetMemory(agentId);
      if (known) return alreadyClaimed(agentId, known.claimId, `the faucet was already used (${known.outcome})`);
      try {
        const claim = await inFlight.track(
          agentId,
          deps.client.faucet.claim(agentId, referralCode === undefined ? {} : { referralCode }),
        );
        return claimed(ctx, claim.claimId, claim.credited, Date.now());
      } catch (err) {
        return await refusedClaim(ctx, err);
      }
    },

    async reconcile(ctx): Promise<ReconcileOutcome<FaucetClaimResult>> {
      const { agentId } = ctx.args;
      await inFlight.released(agentId);
      try {
        const key = await deps.fleet.keyFor(agentId);
        const window = await readServerLedger(deps.client.casino, key, ctx.job.createdAt, { signal: ctx.signal });
        const credit = window.entries.filter(isFaucetCredit).sort((a, b) => entryTime(a) - entryTime(b))[0];
        if (credit) {
          // Only a credit after the job began is this job's; an older one is in the opening balance or was imported.
          const ours = window.recent.includes(credit);
          const opening = await getMovement(ctx.storage, agentId, OPENING_BALANCE_REFERENCE);
          const openedAt = opening?.at ?? Number.NEGATIVE_INFINITY;
          if (ours && entryTime(credit) > openedAt) {
            return {
              outcome: "done",
              result: claimed(ctx, credit.reference ?? credit.id, credit.amount, entryTime(credit)),
            };
          }
          const memory = { agentId, outcome: "already_claimed" as const, claimId: credit.reference, at: Date.now() };
          ctx.onCommit((tx) => tx.taskMemory.rememberFaucet(memory));
          return { outcome: "done", result: alreadyClaimed(agentId, credit.reference, "claimed before this job") };
        }
        if (window.coversSince) return { outcome: "not_done", reason: `${agentId} has no faucet credit on the server` };
        return {
          outcome: "unknown",
          reason: "no faucet credit in the last 50 server ledger rows, which do not reach back to the job",
        };
      } catch (err) {
        return { outcome: "unknown", reason: `the server ledger could not be read: ${errorMessage(err)}` };
      }
    },
  };
}

function isFaucetCredit(e: LedgerEntry): boolean {
  return e.service === "faucet" && (e.type === "credit" || e.type === "release") && e.amount > 0;
}

function claimed(ctx: TaskContext<FaucetClaimArgs>, claimId: string, credited: Micros, at: number): FaucetClaimResult {
  const { agentId } = ctx.args;
  const movement: MovementRecord = {
    agentId,
    kind: "faucet",
    amount: credited,
    reference: claimId,
    description: "faucet claim",
    jobId: ctx.job.id,
    at,
  };
  ctx.onCommit(async (tx) => {
    await recordMovement(tx, movement);
    await tx.taskMemory.rememberFaucet({ agentId, outcome: "claimed", claimId, at });
  });
  return { agentId, claimed: true, credited, claimId, note: null };
}

function alreadyClaimed(agentId: string, claimId: string | null, note: string): FaucetClaimResult {
  return { agentId, claimed: false, credited: 0, claimId, note };
}

/** The faucet's refusals: some are answers (already claimed), some final (deposits), one is "not today". */
async function refusedClaim(ctx: TaskContext<FaucetClaimArgs>, err: unknown): Promise<FaucetClaimResult> {
  const e = toFleetError(err);
  const { agentId } = ctx.args;
  if (e.upstreamCode === "already_claimed") {
    const memory = { agentId, outcome: "already_claimed" as const, claimId: null, at: Date.now() };
    ctx.onCommit((tx) => tx.taskMemory.rememberFaucet(memory));
    return alreadyClaimed(agentId, null, "the faucet says this agent claimed before");
  }
  if (e.upstreamCode === "has_deposits") {
    await ctx.storage.taskMemory.rememberFaucet({ agentId, outcome: "has_deposits", claimId: null, at: Date.now() });
    throw e;
  }
  if (e.upstreamCode === "ip_rate_limited") {
    // A 24 h wait is not a retry: fail now, say when it can work again; the next balance check may ask again.
    throw new FleetError("RATE_LIMITED", `${e.message}`, {
      kind: "permanent",
      upstreamCode: e.upstreamCode,
      hint: "the faucet pays one claim per IP per 24 h; claim again tomorrow",
      cause: e,
    });
  }
  throw e;
}
