import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import Database from "better-sqlite3";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openKeyVault } from "../../src/fleet/key-vault.js";

/** The built CLI, spawned the way an MCP host (Claude Desktop) does it: `npm test` builds first. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = join(ROOT, "dist", "src", "cli.js");

let dir: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-stdio-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Proc {
  child: ChildProcessWithoutNullStreams;
  stdoutLines: string[];
  stderr: () => string;
  request(id: number, method: string, params?: unknown): Promise<Record<string, unknown>>;
  notify(method: string, params?: unknown): void;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, args: string[] = []): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    // every toolset, as the other MCP tests (the default set is tested in context-budget.test.ts)
    env: { ...process.env, PF_DB: join(dir, "fleet.db"), LOG_LEVEL: "debug", PF_TOOLSETS: "all", ...env },
    stdio: "pipe",
  });
  const stdoutLines: string[] = [];
  let stderr = "";
  let partial = "";
  const waiters = new Map<number, (msg: Record<string, unknown>) => void>();
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    partial += chunk;
    let nl = partial.indexOf("\n");
    while (nl >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      stdoutLines.push(line);
      try {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if (typeof msg.id === "number") waiters.get(msg.id)?.(msg);
      } catch {
        // every line is checked by the test itself
      }
      nl = partial.indexOf("\n");
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    stdoutLines,
    stderr: () => stderr,
    exited,
    notify: (method, params) => child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method, params })}\n`),
    request: (id, method, params) =>
      new Promise((resolve) => {
        waiters.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
      }),
  };
}

describe("stdio", () => {
  it("speaks only JSON-RPC on stdout, logs to stderr, and exits cleanly when stdin closes", async () => {
    const p = start({});
    const init = await p.request(1, "initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "raw-host", version: "1.0.0" },
    });
    expect(init.result).toMatchObject({
      serverInfo: { name: "pf-fleet" },
      capabilities: { tools: {}, resources: { subscribe: true, listChanged: true }, logging: {} },
    });
    p.notify("notifications/initialized");
    const list = (await p.request(2, "tools/list")) as { result: { tools: Array<{ name: string }> } };
    expect(list.result.tools.length).toBeGreaterThanOrEqual(25);
    const reg = (await p.request(3, "tools/call", { name: "register_agent", arguments: { label: "stdio" } })) as {
      result: { isError?: boolean; structuredContent: { agent: { agent_id: string } } };
    };
    expect(reg.result.isError).toBeFalsy();
    const agents = (await p.request(4, "resources/read", { uri: "agents://list" })) as { result: unknown };
    expect(JSON.stringify(agents.result)).toContain(reg.result.structuredContent.agent.agent_id);

    p.child.stdin.end();
    expect(await p.exited).toBe(0);
    expect(p.stdoutLines.length).toBeGreaterThanOrEqual(4);
    for (const line of p.stdoutLines) {
      const msg = JSON.parse(line) as { jsonrpc?: string };
      expect(msg.jsonrpc).toBe("2.0");
    }
    expect(p.stderr()).toMatch(/"msg":"pf-fleet ready"/);
    // initialize was answered before pf-fleet loaded; the server's own answer, replayed later, said the same
    expect(p.stderr()).not.toMatch(/early initialize answer differs/);

    const db = new Database(join(dir, "fleet.db"), { readonly: true });
    const stored = db.prepare("SELECT api_key FROM fleet_agents").pluck().get() as string;
    db.close();
    // sealed at rest; opened here with the key file beside the database, to check it leaked nowhere
    expect(stored).toMatch(/^pfk1\./);
    const agentId = reg.result.structuredContent.agent.agent_id;
    const key = openKeyVault({ sqlitePath: join(dir, "fleet.db") }).open(stored, `agent:${agentId}`);
    expect(key).toMatch(/^sk_live_/);
    expect(p.stdoutLines.join("\n")).not.toContain(key);
    expect(p.stderr()).not.toContain(key);
  });

  it("works with the SDK's stdio client, as an MCP host spawns it", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, "stdio"],
      env: { PATH: process.env.PATH ?? "", PF_DB: join(dir, "fleet.db") },
      stderr: "pipe",
    });
    const client = new Client({ name: "sdk-host", version: "1.0.0" });
    await client.connect(transport);
    const result = await client.callTool({ name: "get_risk_limits", arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ mode: "sandbox", configured: { max_bet_usd: 1 } });
    await client.close();
  });

  it("refuses live mode without a key, before speaking the protocol", async () => {
    const p = start({ PF_MODE: "live" });
    p.child.stdin.end();
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/PF_MODE=live needs PF_API_KEY/);
    expect(p.stdoutLines).toEqual([]);
  });
});
