/**
 * Fleet membership checks the tools share. Every fleet read is async, so a check is awaited: a bare
 * `deps.fleet.getAgent(id)` is a Promise, always truthy, and would let any id through.
 */
import type { FleetDeps } from "../src/deps.js";

/** The ids, in the order given, that are not fleet agents. */
export async function unknownAgents(deps: Pick<FleetDeps, "fleet">, ids: readonly string[]): Promise<string[]> {
  const found = await Promise.all(ids.map((id) => deps.fleet.getAgent(id)));
  return ids.filter((_, i) => found[i] === undefined);
}

/** Whether `id` is a fleet agent. */
export async function isFleetAgent(deps: Pick<FleetDeps, "fleet">, id: string): Promise<boolean> {
  return (await deps.fleet.getAgent(id)) !== undefined;
}
