import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist", "src", "cli.js");

let dir: string;
beforeEach(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.build.json)`);
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-serve-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("pf-fleet serve --http", () => {
  it("serves MCP over HTTP with the token and shuts down cleanly on SIGTERM", async () => {
    const token = "serve-test-token-abcdef0123456789";
    const child = spawn(process.execPath, [CLI, "serve", "--http", "--port", "0"], {
      env: { ...process.env, PF_DB: join(dir, "fleet.db"), PF_HTTP_TOKEN: token },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let stderr = "";
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (c: string) => {
        stderr += c;
        const m = /MCP at (http:\/\/127\.0\.0\.1:\d+)\/mcp/.exec(stderr);
        if (m) resolve(m[1] as string);
      });
      child.on("exit", () => reject(new Error(`serve exited early:\n${stderr}`)));
    });
    const client = new Client({ name: "serve-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    const result = await client.callTool({ name: "list_agents", arguments: {} });
    expect(result.structuredContent).toMatchObject({ mode: "sandbox", agents: [] });
    await client.close();

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain("shutting down");
    expect(stderr).not.toContain(token);
  });

  it("refuses to bind off loopback without a token, before opening anything", async () => {
    const child = spawn(process.execPath, [CLI, "serve", "--http", "--host", "0.0.0.0", "--port", "0"], {
      env: { ...process.env, PF_DB: join(dir, "fleet.db"), PF_HTTP_TOKEN: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => {
      stderr += c;
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/refusing to bind 0\.0\.0\.0 without a bearer token/);
    expect(existsSync(join(dir, "fleet.db"))).toBe(false);
  });
});
