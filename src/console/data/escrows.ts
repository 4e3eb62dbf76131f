/**
 * The fleet's open escrows as pf-fleet knows them without asking the server: an `escrow_lock` in the ledger (the
 * last 31 days: an escrow lives at most 720 h) with no release or refund recorded for it, and no release job that
 * released it (a release to an outside counterparty credits no fleet agent, so only its job tells). The create
 * job's result gives the counterparty and the server's refund deadline.
 */
import type { FleetDeps } from "../../deps.js";
import { TASK } from "../../jobs/tasks/args.js";
import { listMovements } from "../../ledger/index.js";
import { redactSecrets } from "../../log.js";
import { microsToUsd } from "../../money.js";
import type { StoredJob } from "../../storage/jobs.js";

export interface EscrowItem {
  escrow_id: string;
  /** the creator, whose balance the lock debited */
  agent_id: string;
  counterparty: string | null;
  amount_usd: number;
  /** funded, releasing (a release job is under way) or disputed */
  state: "funded" | "releasing" | "disputed";
  /** when the server refunds the creator if it is still open */
  deadline_at: string | null;
  description: string | null;
}

const LIFETIME_MS = 31 * 24 * 3_600_000;
/** escrows shown at most (newest locks first); release and dispute jobs read at most, newest first */
const MAX_ESCROWS = 200;
const MAX_JOBS = 500;
const ESCROW_ID = /esc_[0-9A-Za-z]+/;

export async function openEscrows(deps: Pick<FleetDeps, "storage">, now: number): Promise<EscrowItem[]> {
  const from = now - LIFETIME_MS;
  const [locks, closings, releases, disputes] = await Promise.all([
    listMovements(deps.storage, { kinds: ["escrow_lock"], from, order: "desc", limit: 10_000 }),
    listMovements(deps.storage, { kinds: ["escrow_release", "escrow_refund"], from, order: "desc", limit: 10_000 }),
    recentJobs(deps, TASK.escrowRelease),
    recentJobs(deps, TASK.escrowDispute),
  ]);
  const closed = new Set(closings.map((m) => escrowIdIn(`${m.reference} ${m.description ?? ""}`)));
  const releasing = new Set<string>();
  for (const j of releases) {
    const id = (j.args as { escrowId?: string }).escrowId ?? (j.result as { escrowId?: string } | null)?.escrowId;
    if (!id) continue;
    if (j.state === "succeeded" && (j.result as { released?: unknown } | null)?.released === true) closed.add(id);
    else if (j.state === "queued" || j.state === "running" || j.state === "retrying") releasing.add(id);
  }
  const disputed = new Set(
    disputes.filter((j) => j.state === "succeeded").map((j) => (j.args as { escrowId?: string }).escrowId),
  );
  const open = new Map<string, (typeof locks)[number]>();
  for (const lock of locks) {
    const id = escrowIdIn(lock.reference);
    if (id && !closed.has(id) && !open.has(id) && open.size < MAX_ESCROWS) open.set(id, lock);
  }
  return Promise.all(
    [...open].map(async ([escrowId, lock]) => {
      const created = lock.jobId ? await deps.storage.jobs.get(lock.jobId) : undefined;
      const result = (created?.result ?? null) as { counterpartyId?: string; autoReleaseAt?: string | null } | null;
      const args = (created?.args ?? null) as { counterpartyAgentId?: string; description?: string } | null;
      const description = args?.description ?? lock.description ?? null;
      return {
        escrow_id: escrowId,
        agent_id: lock.agentId,
        counterparty: result?.counterpartyId ?? args?.counterpartyAgentId ?? null,
        amount_usd: microsToUsd(-lock.amount),
        state: disputed.has(escrowId) ? "disputed" : releasing.has(escrowId) ? "releasing" : "funded",
        deadline_at: result?.autoReleaseAt ?? null,
        description: description === null ? null : redactSecrets(description),
      } satisfies EscrowItem;
    }),
  );
}

function escrowIdIn(text: string): string | undefined {
  return ESCROW_ID.exec(text)?.[0];
}

async function recentJobs(deps: Pick<FleetDeps, "storage">, task: string): Promise<StoredJob[]> {
  return (await deps.storage.jobs.list({ task, limit: MAX_JOBS })).jobs;
}
