/**
 * What the escrow tools share: the escrow as a tool shows it (USD, which parties are fleet agents), the next
 * steps each state allows, who in the fleet may act, and running one escrow job to a bounded wait.
 */
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError, toFleetError } from "../src/errors.js";
import type { JobRow } from "../src/jobs/types.js";
import type { ToolContext } from "../src/mcp/tool.js";
import { awaitJob, isTerminal } from "../src/mcp/wait.js";
import { microsToUsd } from "../src/money.js";
import { readWithRetry } from "../src/purpleflea/read-retry.js";
import type { Escrow, EscrowStatus } from "../src/purpleflea/types.js";
import { isFleetAgent } from "./_agents.js";
import { failedJobError, jobSentence, toJobView } from "./_job.js";

export const ESCROW_STATUSES = ["funded", "completed", "released", "disputed", "refunded"] as const;

export const escrowView = z.object({
  escrow_id: z.string(),
  status: z.enum(ESCROW_STATUSES),
  amount_usd: z.number().describe("locked from the creator at create"),
  commission_usd: z.number().describe("1% of the amount, kept by Purple Flea"),
  net_to_counterparty_usd: z.number().describe("what a release pays the counterparty"),
  description: z.string(),
  creator_id: z.string(),
  counterparty_id: z.string(),
  creator_in_fleet: z.boolean(),
  counterparty_in_fleet: z.boolean(),
  timeout_hours: z.number(),
  created_at: z.string().nullable(),
  auto_release_at: z
    .string()
    .nullable()
    .describe("when the server REFUNDS the creator (less 1%) if still funded/completed; the counterparty gets nothing"),
  completed_at: z.string().nullable(),
  released_at: z.string().nullable(),
  disputed_at: z.string().nullable(),
});
export type EscrowView = z.output<typeof escrowView>;

export async function toEscrowView(deps: Pick<FleetDeps, "fleet">, e: Escrow): Promise<EscrowView> {
  const [creatorInFleet, counterpartyInFleet] = await Promise.all([
    isFleetAgent(deps, e.creatorId),
    isFleetAgent(deps, e.counterpartyId),
  ]);
  return {
    escrow_id: e.escrowId,
    status: e.status,
    amount_usd: microsToUsd(e.amount),
    commission_usd: microsToUsd(e.commission),
    net_to_counterparty_usd: microsToUsd(e.netToCounterparty),
    description: e.description,
    creator_id: e.creatorId,
    counterparty_id: e.counterpartyId,
    creator_in_fleet: creatorInFleet,
    counterparty_in_fleet: counterpartyInFleet,
    timeout_hours: e.timeoutHours,
    created_at: e.createdAt,
    auto_release_at: e.autoReleaseAt,
    completed_at: e.completedAt,
    released_at: e.releasedAt,
    disputed_at: e.disputedAt,
  };
}

/** What can be done with an escrow in its current state, by whom, with which tool. */
export function nextSteps(v: EscrowView): string[] {
  const id = v.escrow_id;
  const net = `$${v.net_to_counterparty_usd}`;
  const timeout = v.auto_release_at
    ? `if nothing happens by ${v.auto_release_at}, the server refunds the creator less 1% and the counterparty gets nothing`
    : "if it times out, the server refunds the creator less 1% and the counterparty gets nothing";
  const release = v.creator_in_fleet
    ? `release_escrow {escrow_id: "${id}"} pays the counterparty ${net} (as the creator ${v.creator_id})`
    : `only the creator ${v.creator_id} (not a fleet agent) can release it`;
  const dispute = `dispute_escrow {escrow_id: "${id}", reason: "…at least 10 characters"} freezes it; disputes are final in the API and the funds stay locked until resolved by hand`;
  switch (v.status) {
    case "funded":
      return [
        v.counterparty_in_fleet
          ? `complete_escrow {escrow_id: "${id}"} marks the work done (as the counterparty ${v.counterparty_id})`
          : `the counterparty ${v.counterparty_id} (not a fleet agent) marks it complete when the work is done`,
        release,
        dispute,
        timeout,
      ];
    case "completed":
      return [release, dispute, timeout];
    case "released":
      return [`final: the counterparty was paid ${net}; nothing left to do`];
    case "refunded":
      return ["final: it timed out and the creator was refunded less 1%; nothing left to do"];
    case "disputed":
      return ["final in the API: the funds stay locked until Purple Flea resolves the dispute by hand"];
  }
}

/**
 * Reads an escrow. When one of its parties is a fleet agent the read is repeated with that agent's key, which
 * makes the server add the event log (anonymous reads get the escrow only).
 */
export async function loadEscrow(
  deps: Pick<FleetDeps, "client" | "fleet">,
  escrowId: string,
  signal: AbortSignal,
  opts: { events?: boolean } = {},
): Promise<Escrow & { events?: unknown[] }> {
  const escrow = await readWithRetry(() => deps.client.escrow.get(escrowId, undefined, { signal }), { signal }).catch(
    (err: unknown) => {
      const e = toFleetError(err);
      if (e.code !== "NOT_FOUND") throw e;
      throw new FleetError("NOT_FOUND", `the server has no escrow \`${escrowId}\``, {
        hint: "check the id: create_escrow_chain returns it as escrow_id (there is no list endpoint); nothing was sent",
        cause: err,
      });
    },
  );
  if (!opts.events) return escrow;
  const party = await firstFleetAgent(deps, [escrow.creatorId, escrow.counterpartyId]);
  if (!party) return escrow;
  const key = await deps.fleet.keyFor(party);
  return readWithRetry(() => deps.client.escrow.get(escrowId, key, { signal }), { signal });
}

/** The first of `ids` that is a fleet agent, if any. */
async function firstFleetAgent(deps: Pick<FleetDeps, "fleet">, ids: readonly string[]): Promise<string | undefined> {
  const inFleet = await Promise.all(ids.map((id) => isFleetAgent(deps, id)));
  return ids.find((_, i) => inFleet[i]);
}

export type EscrowRole = "creator" | "counterparty" | "party";

/**
 * The fleet agent that acts on an escrow in `role`: the one given (checked), or the fleet's own party.
 * FORBIDDEN when the fleet holds no such party; nothing is sent.
 */
export async function actingAgent(
  deps: Pick<FleetDeps, "fleet">,
  v: EscrowView,
  role: EscrowRole,
  explicit: string | undefined,
): Promise<string> {
  const allowed =
    role === "creator"
      ? [v.creator_id]
      : role === "counterparty"
        ? [v.counterparty_id]
        : [v.creator_id, v.counterparty_id];
  const who = role === "party" ? "a party (creator or counterparty)" : `the ${role}`;
  if (explicit !== undefined) {
    if (!(await isFleetAgent(deps, explicit))) {
      throw new FleetError("NOT_FOUND", `agent_id \`${explicit}\` is not a fleet agent`, {
        hint: "list_agents shows the fleet's agent ids; omit agent_id to use the fleet's own party",
      });
    }
    if (!allowed.includes(explicit)) {
      throw new FleetError("FORBIDDEN", `${explicit} is not ${who} of ${v.escrow_id}`, {
        hint: `only ${allowed.join(" or ")} may do this; omit agent_id to pick the fleet's own party`,
      });
    }
    return explicit;
  }
  const own = await firstFleetAgent(deps, allowed);
  if (!own) {
    throw new FleetError("FORBIDDEN", `no fleet agent is ${who} of ${v.escrow_id} (${allowed.join(", ")})`, {
      hint: "only the escrow's own parties can act on it; get_escrow shows who they are",
    });
  }
  return own;
}

/** CONFLICT before anything is enqueued when the escrow's state does not allow the action. */
export function assertStatus(v: EscrowView, allowed: readonly EscrowStatus[], action: string): void {
  if (allowed.includes(v.status)) return;
  throw new FleetError(
    "CONFLICT",
    `cannot ${action} ${v.escrow_id}: it is \`${v.status}\`, and ${action} needs ${allowed.map((s) => `\`${s}\``).join(" or ")}`,
    { hint: nextSteps(v).join("; ") },
  );
}

export interface EscrowAction {
  escrowId: string;
  /** the fleet agent named by the caller, if any */
  agentId: string | undefined;
  waitSeconds: number;
  role: EscrowRole;
  /** states the server accepts this action from */
  allowed: readonly EscrowStatus[];
  /** "complete", "release", "dispute" */
  verb: string;
  task: string;
  args(agentId: string): unknown;
  /** the action moves money (a release): the kill switch refuses it before anything is read, written or sent */
  movesMoney?: boolean;
}

/** An escrow action checked and ready to send: the escrow as it is now and the fleet agent that acts. */
export interface PreparedEscrowAction {
  before: EscrowView;
  agent: string;
}

/**
 * Read the escrow, pick the acting fleet agent, refuse a state the server would refuse — all before anything is
 * written or sent.
 */
export async function prepareEscrowAction(
  deps: FleetDeps,
  ctx: ToolContext,
  action: EscrowAction,
): Promise<PreparedEscrowAction> {
  const what = { action: `the ${action.verb} of ${action.escrowId}` };
  if (action.movesMoney) await deps.fleet.assertFleetActive(what);
  const before = await toEscrowView(deps, await loadEscrow(deps, action.escrowId, ctx.signal));
  const agent = await actingAgent(deps, before, action.role, action.agentId);
  if (action.movesMoney) await deps.fleet.assertCanMoveMoney(agent, what);
  assertStatus(before, action.allowed, action.verb);
  return { before, agent };
}

/**
 * The checks of `prepareEscrowAction` (unless already `prepared`), then the task as a durable job, and the escrow as
 * it is afterwards.
 */
export async function runEscrowAction(
  deps: FleetDeps,
  ctx: ToolContext,
  action: EscrowAction,
  prepared?: PreparedEscrowAction,
) {
  const { before, agent } = prepared ?? (await prepareEscrowAction(deps, ctx, action));
  const job = await enqueueOnce(deps, action, agent);
  const awaited = await awaitJob(deps, job.id, { waitSeconds: action.waitSeconds, ctx });
  if (awaited.finished && awaited.job.state !== "succeeded") throw failedJobError(awaited.job);
  const after = awaited.finished
    ? await toEscrowView(deps, await loadEscrow(deps, action.escrowId, ctx.signal))
    : before;
  const steps = nextSteps(after);
  return {
    structured: { mode: deps.mode, job: toJobView(awaited), escrow: after, next_steps: steps },
    text: [
      `[${deps.mode}] ${action.verb} ${action.escrowId} as ${agent}: ${jobSentence(awaited)}; the escrow is ${after.status}.`,
      ...steps.map((s) => `- ${s}`),
    ].join("\n"),
  };
}

/**
 * Enqueues the action's job. Money jobs carry one idempotency key per escrow and action, so an earlier job for the
 * same escrow (a chain's release step, a settlement) refuses a second one; that is explained, not passed on raw.
 */
async function enqueueOnce(deps: FleetDeps, action: EscrowAction, agent: string): Promise<JobRow> {
  try {
    return await deps.engine.enqueue(action.task, action.args(agent));
  } catch (err) {
    const e = toFleetError(err);
    const holderId = e.code === "CONFLICT" ? e.details?.jobId : undefined;
    const holder = typeof holderId === "string" ? await deps.engine.get(holderId) : undefined;
    if (!holder) throw e;
    const outcome = holder.result as { reason?: unknown } | null;
    const why = typeof outcome?.reason === "string" ? `: ${outcome.reason}` : "";
    throw new FleetError(
      "CONFLICT",
      `pf-fleet already has a ${action.task} job for ${action.escrowId}: job ${holder.id}, ${holder.state}${why}`,
      {
        hint: isTerminal(holder)
          ? `pf-fleet runs one ${action.verb} job per escrow, and job ${holder.id} has used it; job_status ${holder.id} shows what it did. dispute_escrow is still possible`
          : `wait for job ${holder.id} (job_status) instead of starting another`,
        details: { jobId: holder.id },
      },
    );
  }
}
