/**
 * At start-up, before any key is used: the database remembers which secret sealed its keys (a sealed check value
 * in its metadata), so a process given another secret is stopped at once with a clear error instead of failing
 * on each key later. Keys stored before keys were sealed (an older pf-fleet's SQLite file) are sealed now.
 */
import type { Logger } from "../log.js";
import type { Executor } from "../storage/types.js";
import { agentKeyOwner, domainsKeyOwner, isSealed, type KeyVault } from "./key-vault.js";

const CHECK_OWNER = "key-check";
const CHECK_VALUE = "pf-fleet sealed keys";

export async function prepareKeyVault(
  storage: Pick<Executor, "fleet">,
  vault: KeyVault,
  logger: Logger,
): Promise<void> {
  if (vault.fingerprint === null) {
    logger.warn("no PF_SECRET_KEY: this process cannot store or use agent keys (jobs that need one fail, saying so)");
    return;
  }
  const recorded = await storage.fleet.claimMeta("key_check", vault.seal(CHECK_VALUE, CHECK_OWNER));
  vault.open(recorded, CHECK_OWNER); // throws FORBIDDEN, with the hint, for another secret
  let sealed = 0;
  for (const agent of await storage.fleet.listAgents()) {
    const stored = await storage.fleet.agentKey(agent.agentId);
    if (stored === undefined || isSealed(stored)) continue;
    await storage.fleet.putAgent({
      agentId: agent.agentId,
      apiKey: vault.seal(stored, agentKeyOwner(agent.agentId)),
      label: agent.label,
      replaceLabel: false,
      source: agent.source,
      referralCode: null,
      createdAt: agent.createdAt,
    });
    sealed++;
  }
  for (const account of await storage.fleet.listDomainAccounts()) {
    const stored = await storage.fleet.domainAccountKey(account.accountId);
    if (stored === undefined || isSealed(stored)) continue;
    await storage.fleet.putDomainAccount({
      accountId: account.accountId,
      apiKey: vault.seal(stored, domainsKeyOwner(account.accountId)),
      label: account.label,
      createdAt: account.createdAt,
    });
    sealed++;
  }
  if (sealed > 0) logger.info({ sealed }, "sealed keys stored in plain text by an older pf-fleet");
}
