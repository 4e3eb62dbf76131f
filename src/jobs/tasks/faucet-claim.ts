import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { FleetError, toFleetError } from "../../errors.js";
import { getMovement, listMovements, recordMovement } from "../../ledger/movements.js";
import { heldAtOpening, mirrorCovers } from "../../ledger/server-mirror.js";
import type { MovementRecord, ServerRow } from "../../ledger/types.js";
import { formatUsd, type Micros } from "../../money.js";
import { FAUCET_IP_WINDOW_MS } from "../../purpleflea/upstream-errors.js";
import { faucetClaimLimits } from "../rate-limit.js";
import type { ReconcileOutcome, TaskContext, TaskDefinition } from "../types.js";
import { faucetClaimArgs, TASK } from "./args.js";
import { InFlight } from "./in-flight.js";
import { trySync } from "./ledger-sync.js";
import { OPENING_BALANCE_REFERENCE } from "./opening-balance.js";
import { MONEY_RETRY, MONEY_TIME_LIMIT_MS } from "./policies.js";
import { CLOCK_MARGIN_MS } from "./server-ledger.js";

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
  deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
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
      // The faucet pays an agent once, ever: any faucet credit on its ledger is THE claim. The mirror keeps it
      // after the agent's bets have pushed it out of the server's 50-row window.
      const sync = await trySync(deps, agentId, ctx.signal);
      const credit = (await ctx.storage.ledger.serverRows({ agentId, service: "faucet" })).find(isFaucetCredit);
      if (credit) {
        if (await insideOpeningBalance(ctx, credit)) {
          const memory = { agentId, outcome: "already_claimed" as const, claimId: credit.reference, at: Date.now() };
          ctx.onCommit((tx) => tx.taskMemory.rememberFaucet(memory));
          return { outcome: "done", result: alreadyClaimed(agentId, credit.reference, "claimed before this job") };
        }
        return { outcome: "done", result: claimed(ctx, credit.reference ?? credit.entryId, credit.amount, credit.at) };
      }
      if (!sync.ok) return { outcome: "unknown", reason: `the server ledger could not be read: ${sync.error}` };
      if (await mirrorCovers(ctx.storage, agentId, ctx.job.createdAt - CLOCK_MARGIN_MS, sync.whole)) {
        return { outcome: "not_done", reason: `${agentId} has no faucet credit on the server` };
      }
      return {
        outcome: "unknown",
        reason: "no faucet credit among the server ledger rows seen, which miss some since the job began",
      };
    },
  };
}

/**
 * Whether the credit is already inside the agent's opening balance. The mirror's opening mark says it exactly;
 * an agent that joined before the mirror existed has only the opening balance's time, which a whole-second
 * server time in the same second cannot be compared with: within a second after it, the credit counts as new
 * (recorded once either way: the ledger refresh would import the same row).
 */
async function insideOpeningBalance(ctx: TaskContext<FaucetClaimArgs>, credit: ServerRow): Promise<boolean> {
  const held = await heldAtOpening(ctx.storage, ctx.args.agentId, [credit.entryId]);
  if (held !== undefined) return held.has(credit.entryId);
  const opening = await getMovement(ctx.storage, ctx.args.agentId, OPENING_BALANCE_REFERENCE);
  return opening !== undefined && credit.at + 1_000 < opening.at;
}

function isFaucetCredit(e: ServerRow): boolean {
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
  if (e.upstreamCode === "ip_rate_limited") return ipRefusal(ctx, e);
  throw e;
}

/**
 * `429 ip_rate_limited`: this IP claimed in the last 24 h. The faucet checks the IP *before* the agent, so the
 * answer says nothing about the agent itself. If the local ledger already holds a faucet credit of this agent
 * (imported by the ledger refresh, say, after a claim made elsewhere), the agent has had its one claim ever: that
 * is the answer, remembered as `already_claimed` so no one asks again. Otherwise the claim fails for now, saying
 * what is known and when the IP can claim again; the refusal's time rides on the job's error, which the wallet
 * monitor reads so that it asks again only once the window has passed (balance-check.ts).
 */
async function ipRefusal(ctx: TaskContext<FaucetClaimArgs>, e: FleetError): Promise<FaucetClaimResult> {
  const { agentId } = ctx.args;
  const [earlier] = await listMovements(ctx.storage, { agentIds: [agentId], kinds: ["faucet"], limit: 1 });
  if (earlier) {
    const memory = { agentId, outcome: "already_claimed" as const, claimId: earlier.reference, at: Date.now() };
    ctx.onCommit((tx) => tx.taskMemory.rememberFaucet(memory));
    return alreadyClaimed(
      agentId,
      earlier.reference,
      `the faucet refused this IP (it claimed in the last 24 h), and pf-fleet's ledger shows ${agentId} was ` +
        `already credited $${formatUsd(earlier.amount)} by the faucet on ${new Date(earlier.at).toISOString()}: ` +
        "the faucet pays one claim per agent ever, so there is nothing left to claim",
    );
  }
  const refusedAt = Date.now();
  const retryAt = refusedAt + ipWindowLeftMs(e.message);
  const hours = Math.ceil((retryAt - refusedAt) / 3_600_000);
  throw new FleetError(
    "RATE_LIMITED",
    `the faucet refused the claim for ${agentId}: this IP already claimed in the last 24 h (${e.message}). The ` +
      `faucet checks the IP before the agent, so it did not say whether ${agentId} can still claim; pf-fleet has no ` +
      "record of a faucet claim by it",
    {
      kind: "permanent",
      upstreamCode: e.upstreamCode,
      hint:
        `this IP can claim again in about ${hours} h (after ${new Date(retryAt).toISOString()}); the wallet ` +
        "monitor asks again by itself then. If the agent claimed elsewhere before, the faucet will then answer " +
        "already_claimed. A claim from another IP (another egress) is not refused by this limit",
      details: { ...e.details, condition: IP_LIMIT_CONDITION, refusedAt, retryAt },
      cause: e,
    },
  );
}

/** One alert for "this IP is refused by the faucet", whichever agent's claim met it (failure-hook.ts). */
export const IP_LIMIT_CONDITION = "faucet:ip_rate_limited";

/** The faucet says "Try again in ~5h."; without that, the whole 24 h window is assumed. */
function ipWindowLeftMs(message: string): number {
  const hours = /try again in ~?\s*(\d+)\s*h/i.exec(message)?.[1];
  const ms = hours === undefined ? FAUCET_IP_WINDOW_MS : Number(hours) * 3_600_000;
  return Math.min(Math.max(ms, 0), FAUCET_IP_WINDOW_MS);
}

/** When an `ip_rate_limited` refusal recorded on a failed claim job lets the IP claim again, if it was one. */
export function ipRefusalRetryAt(job: {
  error: Record<string, unknown> | null;
  finishedAt: number | null;
}): number | undefined {
  if (job.error?.upstream_code !== "ip_rate_limited") return undefined;
  const details = job.error.details as { retryAt?: unknown } | undefined;
  if (typeof details?.retryAt === "number") return details.retryAt;
  return (job.finishedAt ?? 0) + FAUCET_IP_WINDOW_MS;
}
