import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { run as serve } from "../../src/commands/serve.js";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { type HttpOptions, type RunningHttp, startHttpServer } from "../../src/transports/http.js";

const TOKEN = "hardening-token-0123456789abcdef";
let dir: string;
let fleet: FleetServer;
const started: RunningHttp[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-http-hardening-"));
  fleet = await createServer(loadConfig({ PF_DB: join(dir, "fleet.db") }), {
    logger: silentLogger,
    sandbox: { rateLimits: false },
  });
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((h) => h.close()));
});
afterAll(async () => {
  await fleet?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serveHttp(opts: Partial<HttpOptions> = {}): Promise<RunningHttp> {
  const http = await startHttpServer(fleet, {
    port: 0,
    host: "127.0.0.1",
    token: TOKEN,
    logger: silentLogger,
    ...opts,
  });
  started.push(http);
  return http;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so tests can choose the client address, Host, Origin and every header. */
function raw(
  http: RunningHttp,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
  localAddress?: string,
): Promise<RawResponse> {
  const url = new URL(http.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, localAddress, headers: { host: url.host, ...headers } },
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

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});
const mcpHeaders = (token = TOKEN) => ({
  authorization: `Bearer ${token}`,
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
});

/** initialize over raw HTTP, holding no stream afterwards (an abandoned client) */
async function initialize(http: RunningHttp): Promise<RawResponse> {
  return raw(http, "POST", "/mcp", mcpHeaders(), INITIALIZE);
}

function listTools(http: RunningHttp, sessionId: string): Promise<RawResponse> {
  return raw(
    http,
    "POST",
    "/mcp",
    { ...mcpHeaders(), "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
    JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
  );
}

type RpcError = { error: { message: string } };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("MCP session cap", () => {
  it("refuses sessions past the cap with 503, a JSON-RPC error and Retry-After, and the count stays at the cap", async () => {
    const http = await serveHttp({ sessions: { max: 3, idleMs: 60_000 } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await initialize(http);
      expect(res.status).toBe(200);
      ids.push(String(res.headers["mcp-session-id"]));
    }
    for (let i = 0; i < 5; i++) {
      const refused = await initialize(http);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      const body = JSON.parse(refused.body) as { jsonrpc: string; error: { code: number; message: string } };
      expect(body.jsonrpc).toBe("2.0");
      expect(body.error.message).toMatch(/too many MCP sessions: 3 are open \(PF_HTTP_MAX_SESSIONS\)/);
    }
    // legacy SSE shares the cap
    const sse = await raw(http, "GET", "/sse", { authorization: `Bearer ${TOKEN}` });
    expect(sse.status).toBe(503);
    expect(http.sessionCounts()).toEqual({ streamable: 3, sse: 0, max: 3 });

    // the open sessions still work, and ending one makes room
    expect((await listTools(http, ids[0] as string)).status).toBe(200);
    const ended = await raw(http, "DELETE", "/mcp", { ...mcpHeaders(), "mcp-session-id": ids[0] as string });
    expect(ended.status).toBe(200);
    expect((await initialize(http)).status).toBe(200);
    expect(http.sessionCounts().streamable).toBe(3);
  });
});

describe("MCP session idle expiry", () => {
  it("closes a session nobody uses and answers its id with 404 'expired; re-initialize'", async () => {
    const http = await serveHttp({ sessions: { max: 10, idleMs: 300 } });
    const id = String((await initialize(http)).headers["mcp-session-id"]);
    expect((await listTools(http, id)).status).toBe(200);
    expect(http.sessionCounts().streamable).toBe(1);
    await sleep(800);
    expect(http.sessionCounts().streamable).toBe(0);
    const late = await listTools(http, id);
    expect(late.status).toBe(404);
    expect(JSON.parse(late.body).error.message).toMatch(/expired after 0\.3 s idle; re-initialize/);
    // a fresh initialize works, as the spec tells the client to do
    expect((await initialize(http)).status).toBe(200);
  });

  it("keeps a connected SDK client's session (it holds a stream), and expires it once the client is gone", async () => {
    const http = await serveHttp({ sessions: { max: 10, idleMs: 300 } });
    const client = new Client({ name: "idle-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    await sleep(800);
    const { tools } = await client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    await client.close();
    await sleep(800);
    expect(http.sessionCounts().streamable).toBe(0);
  });

  it("ends a legacy SSE session when its stream closes", async () => {
    const http = await serveHttp({ sessions: { max: 10, idleMs: 60_000 } });
    const url = new URL(http.url);
    const req = request({
      host: url.hostname,
      port: url.port,
      path: "/sse",
      headers: { host: url.host, authorization: `Bearer ${TOKEN}` },
    });
    const endpoint = await new Promise<string>((resolve, reject) => {
      req.on("response", (res) => {
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          const m = /data: (\/messages\?sessionId=[\w-]+)/.exec(c);
          if (m) resolve(m[1] as string);
        });
      });
      req.on("error", reject);
      req.end();
    });
    expect(http.sessionCounts().sse).toBe(1);
    req.destroy();
    await sleep(200);
    expect(http.sessionCounts().sse).toBe(0);
    const late = await raw(
      http,
      "POST",
      endpoint,
      mcpHeaders(),
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    );
    expect(late.status).toBe(404);
  });
});

describe("wrong-token throttling", () => {
  it("answers 429 with Retry-After after N wrong tokens from one address, without checking; other addresses are unaffected", async () => {
    const http = await serveHttp({ authThrottle: { maxFailures: 3, windowMs: 1_500 } });
    const get = (token: string, from = "127.0.0.1") =>
      raw(http, "GET", "/api/overview", { authorization: `Bearer ${token}` }, undefined, from);
    for (let i = 0; i < 3; i++) expect((await get("wrong-guess")).status).toBe(401);
    const throttled = await get("wrong-guess");
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(throttled.body).error.message).toMatch(/too many wrong tokens/);
    // while throttled even the right token is not checked from that address …
    expect((await get(TOKEN)).status).toBe(429);
    // … but another client address is not affected
    expect((await get(TOKEN, "127.0.0.2")).status).toBe(200);
    // the MCP endpoint and the login form are throttled alike
    expect((await raw(http, "POST", "/mcp", mcpHeaders(), INITIALIZE)).status).toBe(429);
    const form = await raw(
      http,
      "POST",
      "/login",
      { "content-type": "application/x-www-form-urlencoded" },
      `token=${TOKEN}`,
    );
    expect(form.status).toBe(429);
    // after the window the address may try again
    await sleep(1_600);
    expect((await get(TOKEN)).status).toBe(200);
  });

  it("does not count requests that carry no token (a client's first, unauthenticated request)", async () => {
    const http = await serveHttp({ authThrottle: { maxFailures: 2, windowMs: 60_000 } });
    for (let i = 0; i < 5; i++) expect((await raw(http, "GET", "/api/overview")).status).toBe(401);
    const ok = await raw(http, "GET", "/api/overview", { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
  });
});

describe("Authorization header", () => {
  it("takes the Bearer scheme in any case (RFC 7235)", async () => {
    const http = await serveHttp();
    for (const scheme of ["bearer", "BEARER", "Bearer", "bEaReR"]) {
      const res = await raw(http, "GET", "/api/overview", { authorization: `${scheme} ${TOKEN}` });
      expect(res.status, scheme).toBe(200);
    }
    expect((await raw(http, "GET", "/api/overview", { authorization: `Basic ${TOKEN}` })).status).toBe(401);
    const client = new Client({ name: "lower-case", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), {
        requestInit: { headers: { authorization: `bearer ${TOKEN}` } },
      }),
    );
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });
});

describe("--allowed-host", () => {
  it("is refused without a token, since a page on that name could reach a loopback server", async () => {
    await expect(
      startHttpServer(fleet, {
        port: 0,
        host: "127.0.0.1",
        token: undefined,
        allowedHosts: ["fleet.lan"],
        logger: silentLogger,
      }),
    ).rejects.toThrow(/refusing --allowed-host fleet\.lan without a bearer token/);
  });

  it("is refused by `pf-fleet serve` before anything is opened", async () => {
    const db = join(dir, "never-opened.db");
    const saved = { ...process.env };
    process.env.PF_DB = db;
    delete process.env.PF_HTTP_TOKEN;
    delete process.env.PF_HTTP_OAUTH_ISSUER;
    try {
      const refused = await serve(["--http", "--port", "0", "--allowed-host", "fleet.lan"]).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: "INVALID_INPUT", hint: expect.stringMatching(/PF_HTTP_TOKEN/) });
    } finally {
      process.env = saved;
    }
    expect(existsSync(db)).toBe(false);
  });

  it("answers the allowed name once a token is set", async () => {
    const http = await serveHttp({ allowedHosts: ["fleet.lan"] });
    const port = new URL(http.url).port;
    const res = await raw(http, "GET", "/api/overview", {
      host: `fleet.lan:${port}`,
      authorization: `Bearer ${TOKEN}`,
    });
    expect(res.status).toBe(200);
    expect((await raw(http, "GET", "/healthz", { host: `other.lan:${port}` })).status).toBe(403);
  });
});

describe("dashboard login", () => {
  const formHeaders = { "content-type": "application/x-www-form-urlencoded" };

  it("shows a login form, and sends a browser without a session there", async () => {
    const http = await serveHttp();
    const page = await fetch(`${http.url}/login`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/form-action 'self'/);
    const html = await page.text();
    expect(html).toMatch(/<form method="post" action="\/login">/);
    expect(html).toMatch(/type="password"/);
    const browser = await fetch(`${http.url}/`, { headers: { accept: "text/html" }, redirect: "manual" });
    expect(browser.status).toBe(303);
    expect(browser.headers.get("location")).toBe("/login");
  });

  it("no longer logs in with the token in the URL", async () => {
    const http = await serveHttp();
    const res = await fetch(`${http.url}/?token=${TOKEN}`, { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(((await res.json()) as RpcError).error.message).toMatch(/sign in at \/login/);
  });

  it("signs in with the token in the form body and sets an opaque HttpOnly SameSite=Strict cookie", async () => {
    const http = await serveHttp();
    const wrong = await fetch(`${http.url}/login`, {
      method: "POST",
      body: new URLSearchParams({ token: "not-it" }),
      redirect: "manual",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(await wrong.text()).toMatch(/Wrong token/);

    const login = await fetch(`${http.url}/login`, {
      method: "POST",
      body: new URLSearchParams({ token: TOKEN }),
      redirect: "manual",
    });
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/");
    const setCookie = login.headers.getSetCookie()[0] as string;
    expect(setCookie).toMatch(/^pf_fleet_session=[\w-]{40,}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    expect(setCookie).not.toContain(TOKEN);
    const cookie = setCookie.split(";")[0] as string;

    const dashboard = await fetch(`${http.url}/api/overview`, { headers: { cookie } });
    expect(dashboard.status).toBe(200);
    expect(((await dashboard.json()) as { mode: string }).mode).toBe("sandbox");
    expect((await fetch(`${http.url}/`, { headers: { cookie } })).status).toBe(200);
    // the session opens the dashboard only, never MCP
    const mcp = await fetch(`${http.url}/mcp`, {
      method: "POST",
      headers: { cookie, ...mcpHeaders("") },
      body: INITIALIZE,
    });
    expect(mcp.status).toBe(401);
    // a made-up session id opens nothing, nor does the raw token as a cookie
    expect((await fetch(`${http.url}/api/overview`, { headers: { cookie: "pf_fleet_session=forged" } })).status).toBe(
      401,
    );
    expect((await fetch(`${http.url}/api/overview`, { headers: { cookie: `pf_fleet_session=${TOKEN}` } })).status).toBe(
      401,
    );
  });

  it("refuses a login posted by another site's page (CSRF)", async () => {
    const http = await serveHttp();
    const port = Number(new URL(http.url).port);
    const body = `token=${TOKEN}`;
    const otherSite = await raw(http, "POST", "/login", { ...formHeaders, origin: "http://evil.example" }, body);
    expect(otherSite.status).toBe(403);
    // same host name, another port: another origin
    const otherPort = await raw(
      http,
      "POST",
      "/login",
      { ...formHeaders, origin: `http://127.0.0.1:${port + 1}` },
      body,
    );
    expect(otherPort.status).toBe(403);
    const fetchMeta = await raw(http, "POST", "/login", { ...formHeaders, "sec-fetch-site": "cross-site" }, body);
    expect(fetchMeta.status).toBe(403);
    for (const r of [otherSite, otherPort, fetchMeta]) expect(r.headers["set-cookie"]).toBeUndefined();
    // the server's own page posting the form works
    const own = await raw(
      http,
      "POST",
      "/login",
      { ...formHeaders, origin: http.url, "sec-fetch-site": "same-origin" },
      body,
    );
    expect(own.status).toBe(303);
  });
});

describe("HTTP settings", () => {
  it("reads the session and OAuth settings, and names bad values", () => {
    const c = loadConfig({ PF_HTTP_MAX_SESSIONS: "5", PF_HTTP_SESSION_IDLE_SECONDS: "60" }, [
      "--http-resource-url",
      "HTTPS://Fleet.Example.com/mcp/",
    ]);
    expect(c.httpSessions).toEqual({ max: 5, idleMs: 60_000 });
    expect(c.httpResourceUrl).toBe("https://fleet.example.com/mcp");
    expect(loadConfig({}).httpSessions).toEqual({ max: 100, idleMs: 900_000 });
    expect(loadConfig({}).httpOAuth).toBeUndefined();
    expect(
      loadConfig({ PF_HTTP_OAUTH_ISSUER: "https://auth.example.com", PF_HTTP_OAUTH_SCOPES: "fleet:run, fleet:read" })
        .httpOAuth,
    ).toEqual({ issuer: "https://auth.example.com", jwksUrl: undefined, scopes: ["fleet:run", "fleet:read"] });
    expect(() => loadConfig({ PF_HTTP_MAX_SESSIONS: "0" })).toThrow(
      "PF_HTTP_MAX_SESSIONS must be a whole number 1–100000, got `0`",
    );
    expect(() => loadConfig({ PF_HTTP_OAUTH_ISSUER: "http://auth.example.com" })).toThrow(
      /PF_HTTP_OAUTH_ISSUER must be an https:\/\/ URL/,
    );
    expect(() => loadConfig({ PF_HTTP_OAUTH_SCOPES: "fleet:run" })).toThrow(/need PF_HTTP_OAUTH_ISSUER/);
    expect(() => loadConfig({ PF_HTTP_RESOURCE_URL: "https://fleet.example.com/mcp#x" })).toThrow(
      /without query or fragment/,
    );
  });

  it("refuses OAuth on a wildcard bind without the public URL its tokens must name", async () => {
    await expect(
      startHttpServer(fleet, {
        port: 0,
        host: "0.0.0.0",
        token: undefined,
        oauth: { issuer: "https://auth.example.com", jwksUrl: undefined, scopes: [] },
        logger: silentLogger,
      }),
    ).rejects.toMatchObject({ hint: expect.stringMatching(/PF_HTTP_RESOURCE_URL/) });
  });
});
