import { requireAgentIds, requireWindow } from "./validate.js";

/** A WHERE clause with its bound parameters (named, so clauses compose without counting `?`). */
export interface Where {
  sql: string;
  params: Record<string, unknown>;
}

export interface RowFilter {
  from?: number | undefined;
  to?: number | undefined;
  /** undefined or empty: every agent */
  agentIds?: string[] | undefined;
}

/**
 * The filter every ledger query shares: `timeColumn` in [from, to) and, optionally, a set of agents.
 * Agents are bound as one JSON array so the statement text does not depend on how many there are.
 */
export function rowFilter(q: RowFilter, timeColumn: string, extra: string[] = []): Where {
  requireWindow(q);
  const agentIds = requireAgentIds(q.agentIds);
  const clauses = [...extra];
  const params: Record<string, unknown> = {};
  if (q.from !== undefined) {
    clauses.push(`${timeColumn} >= @from`);
    params.from = q.from;
  }
  if (q.to !== undefined) {
    clauses.push(`${timeColumn} < @to`);
    params.to = q.to;
  }
  if (agentIds?.length) {
    clauses.push("agent_id IN (SELECT value FROM json_each(@agentIds))");
    params.agentIds = JSON.stringify(agentIds);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}
