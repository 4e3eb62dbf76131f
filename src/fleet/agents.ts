import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import { assertCasinoKey, assertDomainsKey } from "./keys.js";
import type { Agent, DomainAccount } from "./types.js";

/** The fleet's identities and their keys. Only `keyFor` / `domainKeyFor` ever read a key back. */

interface AgentRow {
  agent_id: string;
  label: string;
  source: Agent["source"];
  referral_code: string | null;
  created_at: number;
  paused: number;
}

const AGENT_COLUMNS = "agent_id, label, source, referral_code, created_at, paused";
const AGENT_ID = /^ag_[0-9a-f]{6,32}$/;

export interface NewAgent {
  agentId: string;
  apiKey: string;
  label?: string;
  source: Agent["source"];
  referralCode?: string | null;
}

export function createAgentRepo(db: Db, now: () => number) {
  const toAgent = (r: AgentRow): Agent => ({
    agentId: r.agent_id,
    label: r.label,
    source: r.source,
    referralCode: r.referral_code,
    createdAt: r.created_at,
    paused: r.paused === 1,
  });
  const selectAgent = db.prepare(`SELECT ${AGENT_COLUMNS} FROM fleet_agents WHERE agent_id = ?`);
  const selectAgents = db.prepare(`SELECT ${AGENT_COLUMNS} FROM fleet_agents ORDER BY created_at, agent_id`);
  // Re-importing an agent (PF_API_KEY on every start) keeps its history; only the key and label follow the caller.
  const upsertAgent = db.prepare(
    `INSERT INTO fleet_agents (agent_id, api_key, label, source, referral_code, created_at)
     VALUES (@agentId, @apiKey, @label, @source, @referralCode, @createdAt)
     ON CONFLICT (agent_id) DO UPDATE SET api_key = excluded.api_key,
       label = CASE WHEN @labelGiven THEN excluded.label ELSE fleet_agents.label END,
       referral_code = COALESCE(excluded.referral_code, fleet_agents.referral_code)`,
  );
  const selectKey = db.prepare("SELECT api_key FROM fleet_agents WHERE agent_id = ?").pluck();

  const selectAccount = db.prepare(
    "SELECT account_id, label, created_at FROM fleet_domain_accounts WHERE account_id = ?",
  );
  const selectAccounts = db.prepare(
    "SELECT account_id, label, created_at FROM fleet_domain_accounts ORDER BY created_at",
  );
  const upsertAccount = db.prepare(
    `INSERT INTO fleet_domain_accounts (account_id, api_key, label, created_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id) DO UPDATE SET api_key = excluded.api_key, label = excluded.label`,
  );
  const selectDomainKey = db.prepare("SELECT api_key FROM fleet_domain_accounts WHERE account_id = ?").pluck();
  const toAccount = (r: { account_id: string; label: string; created_at: number }): DomainAccount => ({
    accountId: r.account_id,
    label: r.label,
    createdAt: r.created_at,
  });

  function getAgent(agentId: string): Agent | undefined {
    const row = selectAgent.get(agentId) as AgentRow | undefined;
    return row ? toAgent(row) : undefined;
  }

  return {
    getAgent,
    listAgents: (): Agent[] => (selectAgents.all() as AgentRow[]).map(toAgent),

    requireAgent(agentId: string): Agent {
      const agent = getAgent(agentId);
      if (!agent) throw unknownAgent(agentId);
      return agent;
    },

    addAgent(a: NewAgent): Agent {
      if (!AGENT_ID.test(a.agentId)) {
        throw new FleetError(
          "INVALID_INPUT",
          `agentId must be a casino agent id like \`ag_1a2b3c4d5e6f\`, got \`${a.agentId}\``,
        );
      }
      assertCasinoKey(a.apiKey);
      const label = a.label?.trim() || a.agentId;
      upsertAgent.run({
        agentId: a.agentId,
        apiKey: a.apiKey,
        label,
        labelGiven: a.label?.trim() ? 1 : 0,
        source: a.source,
        referralCode: a.referralCode ?? null,
        createdAt: now(),
      });
      return getAgent(a.agentId) as Agent;
    },

    keyFor(agentId: string): string {
      const key = selectKey.get(agentId) as string | undefined;
      if (key === undefined) throw unknownAgent(agentId);
      return key;
    },

    addDomainAccount(a: { accountId: string; apiKey: string; label?: string }): DomainAccount {
      if (a.accountId.trim().length < 3) {
        throw new FleetError("INVALID_INPUT", `accountId must be the domains account id, got \`${a.accountId}\``);
      }
      assertDomainsKey(a.apiKey);
      upsertAccount.run(a.accountId, a.apiKey, a.label?.trim() || a.accountId, now());
      return toAccount(selectAccount.get(a.accountId) as { account_id: string; label: string; created_at: number });
    },

    listDomainAccounts: (): DomainAccount[] =>
      (selectAccounts.all() as Array<{ account_id: string; label: string; created_at: number }>).map(toAccount),

    domainKeyFor(accountId: string): string {
      const key = selectDomainKey.get(accountId) as string | undefined;
      if (key === undefined) {
        throw new FleetError("NOT_FOUND", `no domains account \`${accountId}\` in the fleet`, {
          hint: "domain accounts are created by register_domain's account setup",
        });
      }
      return key;
    },
  };
}

export function unknownAgent(agentId: string): FleetError {
  return new FleetError("NOT_FOUND", `no agent \`${agentId}\` in the fleet`, {
    hint: "list_agents shows the fleet; register_agent adds one",
  });
}
