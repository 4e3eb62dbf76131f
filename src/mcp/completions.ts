/**
 * What `completion/complete` offers, read through the fleet's own repositories: recent job ids, days with bets in
 * the ledger, fleet agent ids, schedule names. Resource templates (resources/) and prompt arguments (prompts/)
 * share these. Every answer is filtered by the prefix typed so far; the SDK cuts it to the 100 values MCP allows.
 */
import type { FleetDeps } from "../deps.js";

/** Jobs looked at for a job-id completion: the newest ones, since ids are UUIDv7 (time first). */
const RECENT_JOBS = 1_000;
const JOBS_PAGE = 500;

export function startingWith<T extends string>(values: Iterable<T>, prefix: string): T[] {
  const p = prefix.trim().toLowerCase();
  return [...values].filter((v) => v.toLowerCase().startsWith(p));
}

/**
 * Recent job ids starting with `prefix`, newest first: jobs a user started (batches, chains, single jobs) before
 * the members of a batch, which would otherwise fill the list 500 at a time.
 */
export async function recentJobIds(deps: Pick<FleetDeps, "engine">, prefix: string): Promise<string[]> {
  const roots: string[] = [];
  const members: string[] = [];
  let cursor: string | undefined;
  let seen = 0;
  do {
    const page = await deps.engine.list({ limit: JOBS_PAGE, ...(cursor ? { cursor } : {}) });
    for (const job of page.jobs) {
      if (!job.id.startsWith(prefix.trim().toLowerCase())) continue;
      (job.parentId === null ? roots : members).push(job.id);
    }
    seen += page.jobs.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && seen < RECENT_JOBS);
  return [...roots, ...members];
}

/** UTC days (YYYY-MM-DD) on which the ledger holds bets, newest first. */
export async function ledgerDays(deps: Pick<FleetDeps, "storage">, prefix: string): Promise<string[]> {
  const days = await deps.storage.ledger.dailyBetPnl({});
  return startingWith(days.map((d) => d.date).reverse(), prefix);
}

export async function fleetAgentIds(deps: Pick<FleetDeps, "fleet">, prefix: string): Promise<string[]> {
  return startingWith(
    (await deps.fleet.listAgents()).map((a) => a.agentId),
    prefix,
  );
}

export async function scheduleNames(deps: Pick<FleetDeps, "scheduler">, prefix: string): Promise<string[]> {
  return startingWith(
    (await deps.scheduler.list()).map((s) => s.name),
    prefix,
  );
}
