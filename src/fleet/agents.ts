import { FleetError } from "../errors.js";
import type { FleetRepo } from "../storage/fleet.js";
import { agentKeyOwner, domainsKeyOwner, type KeyVault } from "./key-vault.js";
import { assertCasinoKey, assertDomainsKey } from "./keys.js";
import type { Agent, DomainAccount } from "./types.js";

/**
 * The fleet's identities and their keys, sealed at rest (key-vault.ts). Only `keyFor` / `domainKeyFor` ever read
 * a key back.
 */

const AGENT_ID = /^ag_[0-9a-f]{6,32}$/;

export interface NewAgent {
  agentId: string;
  apiKey: string;
  label?: string;
  source: Agent["source"];
  referralCode?: string | null;
}

export function createAgentRepo(repo: FleetRepo, vault: KeyVault, now: () => number) {
  return {
    getAgent: (agentId: string): Promise<Agent | undefined> => repo.getAgent(agentId),
    listAgents: (): Promise<Agent[]> => repo.listAgents(),

    async requireAgent(agentId: string): Promise<Agent> {
      const agent = await repo.getAgent(agentId);
      if (!agent) throw unknownAgent(agentId);
      return agent;
    },

    /** Validates before anything is written: a refused agent or key touches nothing. */
    async addAgent(a: NewAgent): Promise<Agent> {
      if (!AGENT_ID.test(a.agentId)) {
        throw new FleetError(
          "INVALID_INPUT",
          `agentId must be a casino agent id like \`ag_1a2b3c4d5e6f\`, got \`${a.agentId}\``,
        );
      }
      assertCasinoKey(a.apiKey);
      // Re-importing an agent (PF_API_KEY on every start) keeps its history; only the key and label follow the caller.
      const label = a.label?.trim();
      return repo.putAgent({
        agentId: a.agentId,
        apiKey: vault.seal(a.apiKey, agentKeyOwner(a.agentId)),
        label: label || a.agentId,
        replaceLabel: Boolean(label),
        source: a.source,
        referralCode: a.referralCode ?? null,
        createdAt: now(),
      });
    },

    async keyFor(agentId: string): Promise<string> {
      const key = await repo.agentKey(agentId);
      if (key === undefined) throw unknownAgent(agentId);
      return vault.open(key, agentKeyOwner(agentId));
    },

    async addDomainAccount(a: { accountId: string; apiKey: string; label?: string }): Promise<DomainAccount> {
      if (a.accountId.trim().length < 3) {
        throw new FleetError("INVALID_INPUT", `accountId must be the domains account id, got \`${a.accountId}\``);
      }
      assertDomainsKey(a.apiKey);
      return repo.putDomainAccount({
        accountId: a.accountId,
        apiKey: vault.seal(a.apiKey, domainsKeyOwner(a.accountId)),
        label: a.label?.trim() || a.accountId,
        createdAt: now(),
      });
    },

    listDomainAccounts: (): Promise<DomainAccount[]> => repo.listDomainAccounts(),

    async domainKeyFor(accountId: string): Promise<string> {
      const key = await repo.domainAccountKey(accountId);
      if (key === undefined) {
        throw new FleetError("NOT_FOUND", `no domains account \`${accountId}\` in the fleet`, {
          hint: "domain accounts are created by register_domain's account setup",
        });
      }
      return vault.open(key, domainsKeyOwner(accountId));
    },
  };
}

export function unknownAgent(agentId: string): FleetError {
  return new FleetError("NOT_FOUND", `no agent \`${agentId}\` in the fleet`, {
    hint: "list_agents shows the fleet; register_agent adds one",
  });
}
