import type { LedgerFilter } from "../storage/ledger.js";
import { requireAgentIds, requireWindow } from "./validate.js";

export interface RowFilter {
  from?: number | undefined;
  to?: number | undefined;
  /** undefined or empty: every agent */
  agentIds?: string[] | undefined;
}

/**
 * The filter every ledger query shares, checked: a time window [from, to) and, optionally, a set of agents.
 * Only these fields reach the storage (a caller's other fields never turn into clauses).
 */
export function rowFilter(q: RowFilter): LedgerFilter {
  requireWindow(q);
  const agentIds = requireAgentIds(q.agentIds);
  return {
    ...(q.from === undefined ? {} : { from: q.from }),
    ...(q.to === undefined ? {} : { to: q.to }),
    ...(agentIds?.length ? { agentIds } : {}),
  };
}
