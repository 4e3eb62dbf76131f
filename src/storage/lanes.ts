/**
 * Agents' ledger lanes, shared by every process on the database (src/jobs/tasks/ledger-sync.ts): a bet call of
 * an agent holds its lane while it is sent and the agent's server ledger is synced after it, and the next call
 * of that agent, from any process or machine, starts only once the lane is free and its pace has passed. A lane
 * is a lease: a holder that dies frees it when `held_until` passes.
 */

export type LaneResult = { acquired: true } | { acquired: false; retryAt: number };

export interface LaneRepo {
  /**
   * Takes the lanes of all `agentIds` for `holder`, or none, in one transaction (so two calls sharing lanes never
   * wait for each other in a circle). Refused when a lane is held by another holder until after `now`, or its
   * pace (`not_before`) has not passed: `retryAt` is then the latest `not_before` if the pace is what blocks,
   * else a short poll away. Taken: held until `now + leaseMs`, the next call not before `now + paceMs`.
   */
  tryAcquire(
    agentIds: readonly string[],
    holder: string,
    now: number,
    leaseMs: number,
    paceMs: number,
  ): Promise<LaneResult>;
  /** frees the lanes `holder` still holds (a lane whose lease passed may hold another holder by now) */
  release(agentIds: readonly string[], holder: string): Promise<void>;
}

/** how soon a call refused by another holder's lane looks again */
export const LANE_POLL_MS = 100;

export interface LaneState {
  holder: string | null;
  heldUntil: number;
  notBefore: number;
}

/** When the lanes in `rows` could be taken by `holder`; undefined when they can be now. Both backends decide here. */
export function laneRetryAt(rows: readonly LaneState[], holder: string, now: number): number | undefined {
  const held = rows.some((r) => r.holder !== null && r.holder !== holder && r.heldUntil > now);
  const paceUntil = Math.max(0, ...rows.map((r) => r.notBefore));
  if (held) return Math.max(paceUntil, now + LANE_POLL_MS);
  return paceUntil > now ? paceUntil : undefined;
}
