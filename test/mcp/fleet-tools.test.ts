import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, ok, startHarness, toolError } from "./harness.js";

interface AgentOut {
  mode: string;
  agent: { agent_id: string; label: string; source: string; referral_code: string | null };
  opening_balance_usd: number;
}
interface BalanceLine {
  agent_id: string;
  balance_usd: number | null;
  local_ledger_usd: number;
  difference_usd: number | null;
  agrees: boolean | null;
}

let h: Harness;
let first: AgentOut;
let second: AgentOut;
let unfunded: AgentOut;

beforeAll(async () => {
  h = await startHarness();
  first = ok<AgentOut>(await h.call("register_agent", { label: "alpha" }));
  second = ok<AgentOut>(await h.call("register_agent", {}));
  unfunded = ok<AgentOut>(await h.call("register_agent", { label: "faucet" }));
});
afterAll(async () => h?.close());

describe("register_agent and list_agents", () => {
  it("registers casino identities in sandbox mode and lists them without keys", async () => {
    expect(first.mode).toBe("sandbox");
    expect(first.agent).toMatchObject({ label: "alpha", source: "registered" });
    expect(first.agent.agent_id).toMatch(/^ag_[0-9a-f]{12}$/);
    expect(first.agent.referral_code).toMatch(/^ref_/);
    expect(second.agent.label).toBe(second.agent.agent_id);

    const listed = await h.call("list_agents");
    const out = ok<{ agents: Array<{ agent_id: string }>; mode: string }>(listed);
    expect(out.agents.map((a) => a.agent_id)).toEqual([
      first.agent.agent_id,
      second.agent.agent_id,
      unfunded.agent.agent_id,
    ]);
    expect(JSON.stringify(listed)).not.toMatch(/sk_live_/);
  });
});

describe("wallet_balance", () => {
  it("reads the casino balance and reports a difference from the ledger instead of hiding it", async () => {
    const id = second.agent.agent_id;
    const before = ok<{ agents: BalanceLine[] }>(await h.call("wallet_balance", { agent_id: id })).agents[0]!;
    expect(before.agrees).toBe(true);
    h.fleet.deps.sandbox!.fund(id, 2.5); // a deposit pf-fleet did not make
    const after = ok<{ mode: string; agents: BalanceLine[]; total_usd: number }>(
      await h.call("wallet_balance", { agent_id: id }),
    );
    expect(after.mode).toBe("sandbox");
    const line = after.agents[0]!;
    expect(line.balance_usd).toBeCloseTo((before.balance_usd ?? 0) + 2.5, 6);
    expect(line.difference_usd).toBeCloseTo(2.5, 6);
    expect(line.agrees).toBe(false);
    expect(after.total_usd).toBeCloseTo(line.balance_usd ?? 0, 6);
  });

  it("covers the whole fleet when no agent is named", async () => {
    const out = ok<{ agents: BalanceLine[] }>(await h.call("wallet_balance"));
    expect(out.agents.map((a) => a.agent_id).sort()).toEqual(
      [first.agent.agent_id, second.agent.agent_id, unfunded.agent.agent_id].sort(),
    );
    for (const line of out.agents) expect(line.balance_usd).not.toBeNull();
  });
});

describe("transaction_history", () => {
  it("shows the server's ledger rows and the local ledger, paginated", async () => {
    const id = second.agent.agent_id;
    const out = ok<{
      server: Array<{ amount_usd: number }>;
      local: Array<{ kind: string }>;
      next_cursor: string | null;
    }>(await h.call("transaction_history", { agent_id: id }));
    expect(out.server?.some((r) => Math.abs(r.amount_usd - 2.5) < 1e-9)).toBe(true);
    expect(out.local?.map((r) => r.kind)).toContain("opening_balance");

    const localOnly = ok<{ server: unknown; local: unknown[] }>(
      await h.call("transaction_history", { agent_id: id, source: "local", limit: 1 }),
    );
    expect(localOnly.server).toBeNull();
    expect(localOnly.local).toHaveLength(1);
  });

  it("rejects a cursor it did not issue", async () => {
    const err = toolError(
      await h.call("transaction_history", { agent_id: first.agent.agent_id, source: "local", cursor: "bogus!" }),
    );
    expect(err.code).toBe("INVALID_INPUT");
  });
});

describe("claim_faucet", () => {
  it("claims $1 for an agent through a durable job and says which mode it ran in", async () => {
    const sandbox = h.fleet.deps.sandbox!;
    // The casino's automatic claim at registration used this IP's one claim per 24 h.
    sandbox.advanceClock(25 * 3_600_000);
    // Not `second`: the faucet refuses agents that have deposited, and it was funded above.
    const id = unfunded.agent.agent_id;
    const before = sandbox.balanceOf(id);
    const out = ok<{ mode: string; job_id: string; state: string; finished: boolean }>(
      await h.call("claim_faucet", { agent_id: id, wait_seconds: 20 }),
    );
    expect(out).toMatchObject({ mode: "sandbox", state: "succeeded", finished: true });
    expect(sandbox.balanceOf(id)).toBeCloseTo(before + 1, 9);
    const job = await h.fleet.deps.engine.get(out.job_id);
    expect(job?.task).toBe("faucet.claim");
  });

  it("reports a refused claim with the server's reason", async () => {
    const out = ok<{ state: string; error: { code: string; message: string } | null }>(
      await h.call("claim_faucet", { agent_id: second.agent.agent_id, wait_seconds: 20 }),
    );
    expect(out.state).toBe("failed");
    // The faucet checks its per-IP window first: the claim above used it.
    expect(out.error?.message).toMatch(/ip_rate_limited|has_deposits/);
  });
});
