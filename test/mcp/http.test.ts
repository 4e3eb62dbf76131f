import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { type RunningHttp, startHttpServer } from "../../src/transports/http.js";

const TOKEN = "test-token-0123456789abcdef";
let dir: string;
let fleet: FleetServer;
let http: RunningHttp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-http-"));
  // every toolset: these tests call tools outside the default set
  fleet = await createServer(loadConfig({ PF_DB: join(dir, "fleet.db"), PF_TOOLSETS: "all" }), {
    logger: silentLogger,
    sandbox: { rateLimits: false },
  });
  http = await startHttpServer(fleet, { port: 0, host: "127.0.0.1", token: TOKEN, logger: silentLogger });
});
afterAll(async () => {
  await http?.close();
  await fleet?.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { headers: { authorization: `Bearer ${TOKEN}` } };

/** A raw request, so tests can set Host and Origin as a hostile page would. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const url = new URL(http.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: { host: url.host, ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => {
          text += c;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("Streamable HTTP", () => {
  it("serves tools over /mcp with a session id", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: auth });
    const client = new Client({ name: "http-test", version: "1.0.0" });
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/[0-9a-f-]{36}/);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(["register_agent", "job_status", "pause_trading"]));
    const registered = (await client.callTool({
      name: "register_agent",
      arguments: { label: "over-http" },
    })) as CallToolResult;
    expect(registered.isError).toBeFalsy();
    const listed = (await client.callTool({ name: "list_agents", arguments: {} })) as CallToolResult;
    expect(JSON.stringify(listed.structuredContent)).toContain("over-http");
    await transport.terminateSession();
    await client.close();
  });

  it("refuses a client without the bearer token", async () => {
    const client = new Client({ name: "http-test", version: "1.0.0" });
    await expect(client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`)))).rejects.toThrow();
    const res = await raw("POST", "/mcp", { "content-type": "application/json" }, "{}");
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/Bearer/);
    const wrong = await raw("POST", "/mcp", { "content-type": "application/json", authorization: "Bearer nope" }, "{}");
    expect(wrong.status).toBe(401);
  });

  it("answers an unknown session with 404", async () => {
    const res = await raw(
      "POST",
      "/mcp",
      {
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": "00000000-0000-0000-0000-000000000000",
      },
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    );
    expect(res.status).toBe(404);
  });
});

describe("legacy SSE", () => {
  it("serves tools over GET /sse + POST /messages", async () => {
    const transport = new SSEClientTransport(new URL(`${http.url}/sse`), {
      requestInit: auth,
      eventSourceInit: {
        fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, ...auth.headers } }),
      },
    });
    const client = new Client({ name: "sse-test", version: "1.0.0" });
    await client.connect(transport);
    const result = (await client.callTool({ name: "queue_stats", arguments: {} })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.structuredContent)).toContain("casino");
    await client.close();
  });
});

describe("HTTP hygiene", () => {
  it("rejects a foreign Host or Origin (DNS rebinding)", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const evilHost = await raw("POST", "/mcp", { host: "evil.example", authorization: `Bearer ${TOKEN}` }, body);
    expect(evilHost.status).toBe(403);
    const evilOrigin = await raw("GET", "/", { origin: "http://evil.example", authorization: `Bearer ${TOKEN}` });
    expect(evilOrigin.status).toBe(403);
    const ownOrigin = await raw("GET", "/api/overview", { origin: http.url, authorization: `Bearer ${TOKEN}` });
    expect(ownOrigin.status).toBe(200);
  });

  it("answers methods a path does not serve with 405 and Allow, unknown paths with 404", async () => {
    const put = await raw("PUT", "/mcp", { authorization: `Bearer ${TOKEN}` });
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe("GET, POST, DELETE");
    const getMessages = await raw("GET", "/messages");
    expect(getMessages.status).toBe(405);
    expect(getMessages.headers.allow).toBe("POST");
    const postSse = await raw("POST", "/sse");
    expect(postSse.status).toBe(405);
    expect((await raw("GET", "/nope")).status).toBe(404);
  });

  it("serves the operations console behind the same token, without keys", async () => {
    expect((await raw("GET", "/")).status).toBe(401);
    const page = await raw("GET", "/", { authorization: `Bearer ${TOKEN}` });
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.headers["content-security-policy"]).not.toMatch(/unsafe-inline/);
    const read = async <T>(path: string) => {
      const res = await raw("GET", path, { authorization: `Bearer ${TOKEN}` });
      expect(res.status, path).toBe(200);
      expect(res.body).not.toMatch(/sk_live_/);
      return JSON.parse(res.body) as T;
    };
    const overview = await read<{ mode: string; queues: unknown[]; csrf_token: string }>("/api/overview");
    expect(overview.mode).toBe("sandbox");
    expect(overview.queues.length).toBe(5);
    expect(overview.csrf_token.length).toBeGreaterThan(20);
    expect((await read<{ agents: unknown[] }>("/api/money")).agents.length).toBeGreaterThanOrEqual(1);
    expect((await read<{ schedules: unknown[] }>("/api/schedules")).schedules.length).toBeGreaterThan(0);
  });

  it("logs a browser in through the login form into an HttpOnly cookie", async () => {
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const login = await raw("POST", "/login", form, `token=${TOKEN}`);
    expect(login.status).toBe(303);
    const cookie = String(login.headers["set-cookie"]).split(";")[0]!;
    expect(login.headers["set-cookie"]?.toString()).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await raw("GET", "/api/overview", { cookie })).status).toBe(200);
    // The cookie opens the console only, never the MCP endpoint.
    expect((await raw("POST", "/mcp", { cookie, "content-type": "application/json" }, "{}")).status).toBe(401);
  });

  it("refuses to bind off loopback without a token", async () => {
    await expect(
      startHttpServer(fleet, { port: 0, host: "0.0.0.0", token: undefined, logger: silentLogger }),
    ).rejects.toThrow(/without a bearer token/);
  });
});
