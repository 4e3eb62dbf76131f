import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertBuilt } from "../money/processes.js";
import { ok, startHarness, type ToolHarness } from "../tools/harness.js";

/**
 * `pf-fleet dashboard` for stdio users: the built CLI beside a running pf-fleet on the same database file
 * serves the console (reads and actions) and no MCP transport, and runs no jobs of its own.
 */

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "src", "cli.js");

let harness: ToolHarness;
let agentId: string;
let dashboard: ChildProcess;
let url: string;
let stderr = "";

beforeAll(async () => {
  assertBuilt();
  harness = await startHarness();
  agentId = await harness.agent(5);
  const dbPath = harness.fleet.deps.config.dbPath;
  dashboard = spawn(process.execPath, [CLI, "dashboard", "--port", "0"], {
    env: { PATH: process.env.PATH ?? "", PF_DB: dbPath, PF_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no console URL within 20 s:\n${stderr}`)), 20_000);
    dashboard.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      const match = /console at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    dashboard.once("exit", (code) => reject(new Error(`dashboard exited with ${code}:\n${stderr}`)));
  });
}, 60_000);

afterAll(async () => {
  if (dashboard && dashboard.exitCode === null) {
    dashboard.kill("SIGTERM");
    await new Promise((resolve) => dashboard.once("exit", resolve));
  }
  await harness?.close();
});

describe("pf-fleet dashboard", () => {
  it("shows the jobs another process ran on the same database", async () => {
    const batch = ok<{ job_id: string; status: string }>(
      await harness.call("place_coinflip_batch", {
        agent_ids: [agentId],
        count: 30,
        amount: 0.01,
        side: "heads",
        wait_seconds: 30,
      }),
    );
    expect(batch.status).toBe("finished");
    const page = await (await fetch(`${url}/api/jobs?view=roots&limit=50`)).json();
    const row = (page as { jobs: Array<{ id: string; batch: { bets_done: number } | null }> }).jobs.find(
      (j) => j.id === batch.job_id,
    );
    expect(row?.batch?.bets_done).toBe(30);
  });

  it("acts through the same tools: a pause set in the console stops the other process's bets", async () => {
    const overview = (await (await fetch(`${url}/api/overview`)).json()) as { csrf_token: string };
    const pause = await fetch(`${url}/api/actions/pause_trading`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-csrf-token": overview.csrf_token },
      body: JSON.stringify({ reason: "from the console" }),
    });
    expect(pause.status).toBe(200);
    const refused = await harness.call("place_coinflip_batch", {
      agent_ids: [agentId],
      count: 1,
      amount: 0.01,
      side: "heads",
    });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.structuredContent)).toMatch(/TRADING_PAUSED/);
    await harness.call("resume_trading", {});
  });

  it("serves no MCP transport, and says where the console is", async () => {
    const mcp = await fetch(`${url}/mcp`, { method: "POST", body: "{}" });
    expect(mcp.status).toBe(404);
    expect(await mcp.text()).toMatch(/pf-fleet dashboard/);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { mode: string };
    expect(health.mode).toBe("sandbox");
  });
});
