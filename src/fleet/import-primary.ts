import type { FleetDeps } from "../deps.js";
import { recordOpeningBalance } from "../jobs/tasks/index.js";

/**
 * Imports PF_API_KEY as the fleet's primary agent: the casino tells us whose key it is (auth/balance), the
 * key goes into the fleet store, and a newly joined agent's opening balance is recorded so local PnL can
 * equal the change of its server balance.
 */
export async function importPrimaryAgent(deps: FleetDeps, apiKey: string): Promise<string> {
  const { agentId } = await deps.client.casino.balance(apiKey);
  const known = (await deps.fleet.getAgent(agentId)) !== undefined;
  await deps.fleet.addAgent({ agentId, apiKey, source: "imported", label: known ? undefined : "primary" });
  if (!known) await recordOpeningBalance(deps, agentId);
  deps.logger.info({ agentId, newAgent: !known }, "imported the PF_API_KEY agent");
  return agentId;
}
