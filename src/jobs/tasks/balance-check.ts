import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { FleetError, toFleetError } from "../../errors.js";
import { recordBalanceSnapshot } from "../../ledger/snapshots.js";
import type { Micros } from "../../money.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { JobRow, TaskDefinition } from "../types.js";
import { balanceCheckArgs, TASK } from "./args.js";
import { ipRefusalRetryAt } from "./faucet-claim.js";
import { errorMessage } from "./messages.js";
import { FLEET_SWEEP_TIME_LIMIT_MS, READ_RETRY } from "./policies.js";

/**
 * `wallet.balance_check` (Beat's wallet monitor): every fleet agent's real USD balance (`GET /auth/balance`)
 * beside its local ledger balance, stored as a snapshot; a difference is shown, never hidden. An agent below
 * `lowBalance` that has never used the faucet gets a `faucet.claim` job. The faucet also pays one claim per
 * IP per 24 h, and pf-fleet is one client, so at most one claim is queued per check (the poorest agent).
 */

export type BalanceCheckArgs = z.infer<typeof balanceCheckArgs>;

export interface AgentBalance {
  agentId: string;
  server: Micros;
  local: Micros;
  /** server − local */
  difference: Micros;
  low: boolean;
  /** the faucet.claim job queued (or already waiting) for this agent */
  faucetJobId: string | null;
  note: string | null;
}

export interface BalanceCheckResult {
  checkedAt: number;
  agents: AgentBalance[];
  errors: Array<{ agentId: string; error: string }>;
}

export function balanceCheckTask(
  deps: Pick<FleetDeps, "fleet" | "client" | "storage" | "engine">,
): TaskDefinition<BalanceCheckArgs, BalanceCheckResult> {
  return {
    name: TASK.balanceCheck,
    queue: "wallet",
    moneyMoving: false,
    timeLimitMs: FLEET_SWEEP_TIME_LIMIT_MS,
    retry: READ_RETRY,
    args: balanceCheckArgs,

    async run(ctx) {
      const { args } = ctx;
      const ids = args.agentIds ?? (await deps.fleet.listAgents()).map((a) => a.agentId);
      const checkedAt = Date.now();
      const result: BalanceCheckResult = { checkedAt, agents: [], errors: [] };
      let firstError: FleetError | undefined;
      for (const agentId of ids) {
        try {
          const key = await deps.fleet.keyFor(agentId);
          const b = await readWithRetry(() => deps.client.casino.balance(key, { signal: ctx.signal }), {
            signal: ctx.signal,
          });
          const { snapshot } = await recordBalanceSnapshot(deps.storage, {
            agentId,
            at: checkedAt,
            server: b.balance,
            serverUsd: b.balanceUsd,
          });
          result.agents.push({
            agentId,
            server: snapshot.server,
            local: snapshot.local,
            difference: snapshot.difference,
            low: snapshot.server < args.lowBalance,
            faucetJobId: null,
            note: snapshot.difference === 0 ? null : "the local ledger differs from the server balance",
          });
        } catch (err) {
          firstError ??= toFleetError(err);
          result.errors.push({ agentId, error: errorMessage(err) });
        }
        ctx.progress({ done: result.agents.length + result.errors.length, total: ids.length });
      }
      // Nothing checked at all (the casino is down): a retry is worth more than an empty report.
      if (firstError && result.agents.length === 0) throw firstError;
      if (args.claimFaucetWhenLow) await queueOneFaucetClaim(deps, result.agents, Date.now());
      return result;
    },
  };
}

async function queueOneFaucetClaim(
  deps: Pick<FleetDeps, "storage" | "engine">,
  agents: AgentBalance[],
  now: number,
): Promise<void> {
  const eligible: AgentBalance[] = [];
  for (const a of agents.filter((x) => x.low)) {
    const used = await deps.storage.taskMemory.faucetMemory(a.agentId);
    if (used) a.note = `low, but the faucet was already used (${used.outcome})`;
    else eligible.push(a);
  }
  eligible.sort((a, b) => a.server - b.server);
  const [poorest, ...rest] = eligible;
  if (!poorest) return;
  // The faucet refused this IP: every claim from it is refused until the window has passed, whoever asks.
  const blocked = await ipBlockedUntil(deps, now);
  if (blocked) {
    for (const a of eligible) {
      a.note =
        `low: no faucet claim queued — the faucet refused this IP at ${new Date(blocked.refusedAt).toISOString()} ` +
        `(one claim per IP per 24 h, job ${blocked.jobId}); the next claim waits until ${new Date(blocked.retryAt).toISOString()}`;
    }
    return;
  }
  const job = await enqueueClaim(deps, poorest.agentId);
  poorest.faucetJobId = job.id;
  poorest.note = `low: faucet claim ${job.state === "queued" ? "queued" : `job is ${job.state}`}`;
  for (const a of rest) a.note = "low: waiting its turn (the faucet pays one claim per IP per 24 h)";
}

/**
 * The latest faucet claim the IP limit refused whose window has not passed yet, read from the failed claim jobs
 * (the refusal and its time ride on the job's error; rows are kept for the result TTL, 24 h by default).
 */
export async function ipBlockedUntil(
  deps: Pick<FleetDeps, "engine">,
  now: number,
): Promise<{ jobId: string; refusedAt: number; retryAt: number } | undefined> {
  const { jobs } = await deps.engine.list({ task: TASK.faucetClaim, state: "failed", limit: 100 });
  let latest: { jobId: string; refusedAt: number; retryAt: number } | undefined;
  for (const job of jobs) {
    const retryAt = ipRefusalRetryAt(job);
    if (retryAt === undefined || retryAt <= now || (latest && latest.retryAt >= retryAt)) continue;
    const refusedAt = (job.error?.details as { refusedAt?: unknown } | undefined)?.refusedAt;
    latest = { jobId: job.id, refusedAt: typeof refusedAt === "number" ? refusedAt : (job.finishedAt ?? now), retryAt };
  }
  return latest;
}

/** Enqueues the agent's claim; one claim job per agent exists at a time, so an old failed one is retried. */
async function enqueueClaim(deps: Pick<FleetDeps, "engine">, agentId: string): Promise<JobRow> {
  try {
    return await deps.engine.enqueue(TASK.faucetClaim, { agentId });
  } catch (err) {
    const existingId = err instanceof FleetError && err.code === "CONFLICT" ? err.details?.jobId : undefined;
    if (typeof existingId !== "string") throw err;
    const existing = await deps.engine.get(existingId);
    if (existing && (existing.state === "failed" || existing.state === "dead")) return deps.engine.retry(existingId);
    if (existing) return existing;
    throw err;
  }
}
