import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { listMovements } from "../../src/ledger/index.js";
import { silentLogger } from "../../src/log.js";
import { TOOLSETS } from "../../src/mcp/toolsets.js";
import { usdToMicros } from "../../src/money.js";
import { createPurpleFleaClient } from "../../src/purpleflea/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { RunningSandbox } from "../../src/sandbox/types.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { ok, startHarness, type ToolHarness, toolError } from "../tools/harness.js";

/**
 * The sandbox-only tools (issue 13): play money and a movable clock, offered by default in sandbox mode so a host
 * can fund a fleet, bounded, and never offered in live mode — not even when asked for by toolset.
 */

const SANDBOX_TOOLS = ["sandbox_fund_agent", "sandbox_advance_clock"];
const HOUR_MS = 3_600_000;

describe("sandbox mode", () => {
  let h: ToolHarness;
  const sandbox = () => h.fleet.deps.sandbox as RunningSandbox;
  beforeAll(async () => {
    h = await startHarness({ PF_TOOLSETS: "" });
  });
  afterAll(async () => h?.close());

  it("offers the sandbox tools by default, titled and described as sandbox-only", async () => {
    const { tools } = await h.client.listTools();
    for (const name of SANDBOX_TOOLS) {
      const tool = tools.find((t) => t.name === name);
      expect(tool?.title, name).toMatch(/^Sandbox only: /);
      expect(tool?.description, name).toMatch(/^SANDBOX MODE ONLY, not the Purple Flea API/);
    }
  });

  it("sandbox_fund_agent credits play money that the ledger imports as a deposit: no unexplained difference", async () => {
    const agent = await h.agent();
    // the first registration of the day also got the casino's automatic faucet claim
    const opening = sandbox().balanceOf(agent);
    const out = ok<{ balance_usd: number; local_ledger_usd: number; agrees: boolean }>(
      await h.call("sandbox_fund_agent", { agent_id: agent, amount: 7.25 }),
    );
    const expected = opening + 7.25;
    expect(out).toEqual({
      mode: "sandbox",
      agent_id: agent,
      balance_usd: expected,
      local_ledger_usd: expected,
      agrees: true,
    });
    expect(sandbox().balanceOf(agent)).toBe(expected);
    const movements = await listMovements(h.fleet.deps.storage, { agentIds: [agent] });
    expect(movements.map((m) => [m.kind, m.amount])).toContainEqual(["deposit", usdToMicros(7.25)]);
    expect(movements.some((m) => m.kind === "external")).toBe(false);
    const wallet = ok<{ agents: Array<{ agrees: boolean; difference_usd: number }> }>(
      await h.call("wallet_balance", { agent_id: agent }),
    );
    expect(wallet.agents[0]).toMatchObject({ agrees: true, difference_usd: 0 });
  });

  it("refuses amounts out of bounds and unknown agents, changing nothing", async () => {
    const agent = await h.agent(2);
    const rows = h.rows();
    for (const amount of [0, -1, 100.01, 1e9, "5", 0.0000001]) {
      const err = toolError(await h.call("sandbox_fund_agent", { agent_id: agent, amount }));
      expect(err.code, JSON.stringify(amount)).toBe("INVALID_INPUT");
    }
    expect(toolError(await h.call("sandbox_fund_agent", { agent_id: "ag_000000000000", amount: 1 })).code).toBe(
      "NOT_FOUND",
    );
    expect(sandbox().balanceOf(agent)).toBe(2);
    expect(h.rows()).toEqual(rows);
  });

  it("sandbox_advance_clock refuses hours out of bounds, leaving the clock where it was", async () => {
    const offset = () => sandbox().now() - Date.now();
    const before = offset();
    for (const hours of [0, -1, 48.5, 1e9, "24"]) {
      const err = toolError(await h.call("sandbox_advance_clock", { hours }));
      expect(err.code, JSON.stringify(hours)).toBe("INVALID_INPUT");
    }
    // real time passes between the reads; a jump of even an hour would show
    expect(Math.abs(offset() - before)).toBeLessThan(60_000);
  });

  it("an IP-refused claim says how to fund the agent now; a sandbox day later, calling again claims", async () => {
    // the IP's claim of the day goes to one agent; the next is refused by the per-IP day
    const [paid, refusedAgent, another] = [await h.agent(), await h.agent(), await h.agent()];
    ok(await h.call("claim_faucet", { agent_id: paid }));
    const refused = ok<{ state: string; finished: boolean; error: { code: string; hint: string } }>(
      await h.call("claim_faucet", { agent_id: refusedAgent }),
    );
    expect(refused).toMatchObject({ state: "failed", finished: true, error: { code: "RATE_LIMITED" } });
    expect(refused.error.hint).toMatch(/sandbox_fund_agent .* sandbox_advance_clock/);

    // known to be refused today: the next claim is answered at once, from that refusal, and nothing is sent
    const posts = sandbox().stats().byRoute["POST /faucet/claim"];
    const jobs = h.rows().jobs;
    const known = toolError(await h.call("claim_faucet", { agent_id: another }));
    expect(known.code).toBe("RATE_LIMITED");
    expect(known.message).toMatch(/nothing was sent/);
    expect(known.hint).toMatch(/sandbox_fund_agent .* sandbox_advance_clock/);
    expect(sandbox().stats().byRoute["POST /faucet/claim"]).toBe(posts);
    expect(h.rows().jobs).toBe(jobs);

    const before = sandbox().now();
    const moved = ok<{ advanced_hours: number; sandbox_time: string }>(
      await h.call("sandbox_advance_clock", { hours: 24 }),
    );
    expect(moved.advanced_hours).toBe(24);
    expect(Date.parse(moved.sandbox_time) - before).toBeGreaterThanOrEqual(24 * HOUR_MS);

    // the same agent's failed claim job is retried (its one claim job), not refused as a duplicate
    const again = ok<{ state: string; result: { claimed: boolean } }>(
      await h.call("claim_faucet", { agent_id: refusedAgent }),
    );
    expect(again).toMatchObject({ state: "succeeded", result: { claimed: true } });
    expect(sandbox().balanceOf(refusedAgent)).toBe(1);
  });
});

describe("sandbox mode on a shared `pf-fleet sandbox` (PF_SANDBOX_URL)", () => {
  let shared: RunningSandbox;
  let h: ToolHarness;
  beforeAll(async () => {
    shared = await startSandbox({ rateLimits: false });
    h = await startHarness({ PF_SANDBOX_URL: shared.controlUrl });
  });
  afterAll(async () => {
    await h?.close();
    await shared?.close();
  });

  it("funds and moves the clock through the shared sandbox's control routes", async () => {
    expect(h.fleet.deps.sandbox).toBeUndefined();
    const agent = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
    const opening = shared.balanceOf(agent);
    const funded = ok<{ balance_usd: number; agrees: boolean }>(
      await h.call("sandbox_fund_agent", { agent_id: agent, amount: 3 }),
    );
    expect(funded).toMatchObject({ balance_usd: opening + 3, agrees: true });
    expect(shared.balanceOf(agent)).toBe(opening + 3);
    const before = shared.now();
    ok(await h.call("sandbox_advance_clock", { hours: 2 }));
    expect(shared.now() - before).toBeGreaterThanOrEqual(2 * HOUR_MS);
  });
});

describe("live mode (a separately started sandbox as staging)", () => {
  let dir: string;
  let staging: RunningSandbox;
  let fleet: FleetServer;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const claimPosts = () => staging.stats().byRoute["POST /faucet/claim"] ?? 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "pf-fleet-live-sandbox-tools-"));
    staging = await startSandbox({ rateLimits: false });
    const api = createPurpleFleaClient({ urls: { ...staging.urls, wallet: `${staging.controlUrl}/v1` } });
    const primary = await api.casino.register();
    await api.close();
    const env = {
      PF_MODE: "live",
      PF_API_KEY: primary.apiKey,
      PF_DB: join(dir, "live.db"),
      PF_CASINO_URL: staging.urls.casino,
      PF_ESCROW_URL: staging.urls.escrow,
      PF_FAUCET_URL: staging.urls.faucet,
      PF_DOMAINS_URL: staging.urls.domains,
      // asked for explicitly, and still not offered: the tools exist in sandbox mode only
      PF_TOOLSETS: "all",
    };
    fleet = await createServer(loadConfig(env), { logger: silentLogger });
    client = new Client({ name: "live-host", version: "1.0.0" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await fleet.server.connect(serverSide);
    await client.connect(clientSide);
  });
  afterAll(async () => {
    await client?.close();
    await fleet?.close();
    await staging?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("offers no sandbox tool, even with PF_TOOLSETS=all, and refuses a call to one", async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.filter((n) => n.startsWith("sandbox_"))).toEqual([]);
    expect(names).toContain("claim_faucet");
    expect(TOOLSETS.sandbox).toEqual(SANDBOX_TOOLS);
    const before = staging.stats().requests;
    const result = await call("sandbox_fund_agent", { agent_id: "ag_000000000000", amount: 1 });
    expect(result.isError).toBe(true);
    expect(staging.stats().requests).toBe(before);
  });

  it("a claim after an IP refusal is answered at once, nothing sent; hints name a deposit, no sandbox tool", async () => {
    const register = async () =>
      ((await call("register_agent", {})).structuredContent as { agent: { agent_id: string } }).agent.agent_id;
    const [a, b, c] = [await register(), await register(), await register()];
    expect((await call("claim_faucet", { agent_id: a })).structuredContent).toMatchObject({ state: "succeeded" });
    const refused = (await call("claim_faucet", { agent_id: b })).structuredContent as {
      state: string;
      error: { code: string; hint: string };
    };
    expect(refused).toMatchObject({ state: "failed", error: { code: "RATE_LIMITED" } });
    expect(refused.error.hint).not.toMatch(/sandbox_/);

    const posts = claimPosts();
    const jobs = (await fleet.deps.engine.list({ limit: 500 })).jobs.length;
    const known = await call("claim_faucet", { agent_id: c });
    expect(known.isError).toBe(true);
    const error = (known.structuredContent as { error: { code: string; message: string; hint: string } }).error;
    expect(error.code).toBe("RATE_LIMITED");
    expect(error.message).toMatch(/nothing was sent/);
    expect(error.hint).toMatch(/deposit/);
    expect(error.hint).not.toMatch(/sandbox_/);
    expect(claimPosts()).toBe(posts);
    expect((await fleet.deps.engine.list({ limit: 500 })).jobs.length).toBe(jobs);

    // with no agent able to bet, a batch over the fleet points to funding in live words
    const broke = await call("place_coinflip_batch", { side: "heads", count: 3, amount: 0.5, dry_run: true });
    const blocked = (broke.structuredContent as { blocked_by: { code: string; hint: string } }).blocked_by;
    expect(blocked.hint).toMatch(/deposit/);
    expect(blocked.hint).not.toMatch(/sandbox_|≤ \$0\.00|\$-/);
  });
});
