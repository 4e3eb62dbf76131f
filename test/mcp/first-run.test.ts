import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * Issue 13, finding 1: a new user in an MCP host (sandbox mode) says "register four agents, fund them and bet a
 * cent each". The built CLI is spawned over real stdio from a blank database, with the default toolsets, and
 * driven only through MCP, the way a model would after reading the answers' hints: no sandbox control call,
 * no port the host never sees.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "dist", "src", "cli.js");

/** The newest .ts under `dir`, ms since epoch. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let dir: string;
let client: Client;
const call = async (name: string, args: Record<string, unknown> = {}) =>
  (await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
const text = (r: CallToolResult) => (r.content as Array<{ text: string }>)[0]?.text ?? "";
const data = <T>(r: CallToolResult): T => {
  if (r.isError) throw new Error(`tool failed: ${text(r)}`);
  return r.structuredContent as T;
};

interface WalletLine {
  agent_id: string;
  balance_usd: number;
  local_ledger_usd: number;
  difference_usd: number;
  agrees: boolean;
}

beforeAll(async () => {
  const built = (() => {
    try {
      return statSync(CLI).mtimeMs;
    } catch {
      return 0;
    }
  })();
  const sources = Math.max(newestSource(join(ROOT, "src")), newestSource(join(ROOT, "tools")));
  if (built < sources) throw new Error(`${CLI} is missing or older than the sources: run \`npm run build\` first`);
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-first-run-"));
  // what a host config holds: the command and a database path; default mode (sandbox) and toolsets
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: { PATH: process.env.PATH ?? "", PF_DB: join(dir, "fleet.db") },
    stderr: "pipe",
  });
  client = new Client({ name: "first-run-host", version: "1.0.0" });
  await client.connect(transport);
});
afterAll(async () => {
  await client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("a first run from an MCP host, sandbox mode, blank database", () => {
  it("registers four agents, funds them through MCP alone, bets a cent each over the fleet; ledger = server", async () => {
    const offered = new Set((await client.listTools()).tools.map((t) => t.name));
    expect(offered).toContain("sandbox_fund_agent");
    expect(offered).toContain("sandbox_advance_clock");

    const agents: string[] = [];
    for (let i = 0; i < 4; i++) {
      agents.push(data<{ agent: { agent_id: string } }>(await call("register_agent", {})).agent.agent_id);
    }
    const [first, second, third, fourth] = agents as [string, string, string, string];

    // Before funding, a batch over the fleet uses who can pay and says who was skipped, never "≤ $0.00".
    const early = await call("place_coinflip_batch", { side: "heads", count: 4, amount: 0.01, dry_run: true });
    expect(text(early)).not.toMatch(/≤ \$0\.00|\$-/);

    // The casino's automatic claim funded the first; the faucet pays the next one (this IP's claim today).
    const claimed = data<{ state: string; result: { claimed: boolean } }>(
      await call("claim_faucet", { agent_id: second }),
    );
    expect(claimed).toMatchObject({ state: "succeeded", result: { claimed: true } });

    // The third: refused by the per-IP day, answered with the refusal (not "still running"), naming the way out.
    const refused = await call("claim_faucet", { agent_id: third });
    const refusal = data<{ state: string; finished: boolean; error: { code: string; hint: string } }>(refused);
    expect(refusal).toMatchObject({ state: "failed", finished: true, error: { code: "RATE_LIMITED" } });
    expect(refusal.error.hint).toMatch(/sandbox_fund_agent/);
    expect(refusal.error.hint).toMatch(/sandbox_advance_clock/);

    // Following the hint: play money for the third; a sandbox day later, the faucet again for the fourth.
    const funded = data<{ agrees: boolean; balance_usd: number }>(
      await call("sandbox_fund_agent", { agent_id: third, amount: 1 }),
    );
    expect(funded).toMatchObject({ agrees: true, balance_usd: 1 });
    data(await call("sandbox_advance_clock", { hours: 24 }));
    const nextDay = data<{ state: string; result: { claimed: boolean } }>(
      await call("claim_faucet", { agent_id: fourth }),
    );
    expect(nextDay).toMatchObject({ state: "succeeded", result: { claimed: true } });

    const before = data<{ agents: WalletLine[] }>(await call("wallet_balance", {})).agents;
    expect(before.map((l) => [l.agent_id, l.balance_usd]).sort()).toEqual(agents.map((a) => [a, 1]).sort());
    for (const line of before) expect(line, line.agent_id).toMatchObject({ agrees: true, difference_usd: 0 });

    // A cent each, over the fleet (no agent_ids): every agent bets, none is skipped.
    const batch = await call("place_coinflip_batch", { side: "heads", count: 4, amount: 0.01 });
    const out = data<{
      status: string;
      plan: { agents: Array<{ agent_id: string; bets: number }>; skipped: unknown[] };
      summary: { total_bets: number; failed: number; pending: number };
    }>(batch);
    expect(out.status).toBe("finished");
    expect(out.plan.skipped).toEqual([]);
    expect(out.plan.agents.map((a) => [a.agent_id, a.bets]).sort()).toEqual(agents.map((a) => [a, 1]).sort());
    expect(out.summary).toMatchObject({ total_bets: 4, failed: 0, pending: 0 });

    // Every agent's server balance moved by its bet, and pf-fleet's ledger explains every cent of it.
    const after = data<{ agents: WalletLine[] }>(await call("wallet_balance", {})).agents;
    expect(after).toHaveLength(4);
    for (const line of after) {
      expect(line, line.agent_id).toMatchObject({ agrees: true, difference_usd: 0 });
      expect(line.balance_usd).not.toBe(1);
    }
    expect(after.map((l) => l.agent_id).sort()).toEqual([first, second, third, fourth].sort());
  }, 120_000);
});
