import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createNodeServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { discoverOAuthProtectedResourceMetadata } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { type RunningHttp, startHttpServer } from "../../src/transports/http.js";

/**
 * OAuth resource-server mode against a real (tiny) authorization server on 127.0.0.1: it publishes RFC 8414
 * metadata and a JWKS of a key pair made here, and the test signs access tokens with that key.
 */

type Keys = Awaited<ReturnType<typeof generateKeyPair>>;
let dir: string;
let fleet: FleetServer;
let issuerServer: Server;
let issuer: string;
let keys: Keys;
let strangerKeys: Keys;
let http: RunningHttp;
const metadataHits: string[] = [];

beforeAll(async () => {
  keys = await generateKeyPair("ES256");
  strangerKeys = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
  issuerServer = createNodeServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.url === "/.well-known/oauth-authorization-server") {
      metadataHits.push(req.url);
      return json({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
        jwks_uri: `${issuer}/jwks`,
      });
    }
    if (req.url === "/jwks") return json({ keys: [jwk] });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => issuerServer.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(issuerServer.address() as AddressInfo).port}`;

  dir = mkdtempSync(join(tmpdir(), "pf-fleet-http-oauth-"));
  fleet = await createServer(loadConfig({ PF_DB: join(dir, "fleet.db") }), {
    logger: silentLogger,
    sandbox: { rateLimits: false },
  });
  http = await startHttpServer(fleet, {
    port: 0,
    host: "127.0.0.1",
    token: undefined,
    oauth: { issuer, jwksUrl: undefined, scopes: [] },
    logger: silentLogger,
  });
});
afterAll(async () => {
  await http?.close();
  await fleet?.close();
  issuerServer?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function accessToken(
  claims: JWTPayload & { expiresIn?: string | number } = {},
  signWith: Keys = keys,
): Promise<string> {
  const { expiresIn = "5m", ...rest } = claims;
  return new SignJWT({ scope: "fleet", ...rest })
    .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "at+jwt" })
    .setIssuer(typeof rest.iss === "string" ? rest.iss : issuer)
    .setAudience(rest.aud ?? http.resourceUrl)
    .setSubject("user-1")
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(signWith.privateKey);
}

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

function postInitialize(token?: string): Promise<Response> {
  return fetch(`${http.url}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: INITIALIZE,
  });
}

function challengeParams(res: Response): Record<string, string> {
  const header = res.headers.get("www-authenticate") ?? "";
  expect(header).toMatch(/^Bearer /);
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

describe("protected-resource metadata (RFC 9728)", () => {
  it("names this server as the resource and the operator's issuer as its authorization server", async () => {
    expect(http.resourceUrl).toBe(`${http.url}/mcp`);
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const res = await fetch(`${http.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(await res.json()).toEqual({
        resource: http.resourceUrl,
        authorization_servers: [issuer],
        bearer_methods_supported: ["header"],
        resource_name: "pf-fleet",
      });
    }
  });

  it("is what the SDK's own client discovery finds", async () => {
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(`${http.url}/mcp`));
    expect(metadata.resource).toBe(http.resourceUrl);
    expect(metadata.authorization_servers).toEqual([issuer]);
  });

  it("is pointed to by WWW-Authenticate on a request without a token", async () => {
    const res = await postInitialize();
    expect(res.status).toBe(401);
    const params = challengeParams(res);
    expect(params.resource_metadata).toBe(`${http.url}/.well-known/oauth-protected-resource/mcp`);
    expect(params.error).toBeUndefined();
    expect((await fetch(params.resource_metadata as string)).status).toBe(200);
  });
});

describe("access tokens", () => {
  it("lets a valid token through MCP initialize with the SDK client", async () => {
    const token = await accessToken();
    const client = new Client({ name: "oauth-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/[0-9a-f-]{36}/);
    const result = await client.callTool({ name: "list_agents", arguments: {} });
    expect(result.isError).toBeFalsy();
    await client.close();
    // the JWKS was found through the issuer's metadata, not configured
    expect(metadataHits.length).toBeGreaterThan(0);
  });

  it.each([
    ["expired", () => accessToken({ expiresIn: Math.floor(Date.now() / 1000) - 120 }), /expired/],
    [
      "for another server (wrong audience)",
      () => accessToken({ aud: "https://other.example/mcp" }),
      /not for this server/,
    ],
    ["from another issuer", () => accessToken({ iss: "https://evil.example" }), /not issued by/],
    ["signed by a key not in the issuer's JWKS", () => accessToken({}, strangerKeys), /not signed by a key of/],
    ["not a JWT", async () => "opaque-token-of-someone-else", /not a valid signed JWT/],
  ])("refuses a token %s with 401 invalid_token and resource_metadata", async (_what, make, why) => {
    const res = await postInitialize(await make());
    expect(res.status).toBe(401);
    const params = challengeParams(res);
    expect(params.error).toBe("invalid_token");
    expect(params.resource_metadata).toBe(`${http.url}/.well-known/oauth-protected-resource/mcp`);
    expect(params.error_description).toMatch(why);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(why);
  });

  it("tolerates a little clock skew but not a token that is not valid yet", async () => {
    const skewed = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(issuer)
      .setAudience(http.resourceUrl)
      .setIssuedAt()
      .setNotBefore(Math.floor(Date.now() / 1000) + 10)
      .setExpirationTime("5m")
      .sign(keys.privateKey);
    expect((await postInitialize(skewed)).status).toBe(200);
    const future = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(issuer)
      .setAudience(http.resourceUrl)
      .setNotBefore(Math.floor(Date.now() / 1000) + 3_600)
      .setExpirationTime("2h")
      .sign(keys.privateKey);
    const res = await postInitialize(future);
    expect(res.status).toBe(401);
    expect(challengeParams(res).error_description).toMatch(/not valid yet/);
  });
});

describe("with the static token and required scopes", () => {
  it("accepts either credential, asks for the scopes, and answers a token without them 403 insufficient_scope", async () => {
    const staticToken = "static-token-0123456789abcdef";
    const both = await startHttpServer(fleet, {
      port: 0,
      host: "127.0.0.1",
      token: staticToken,
      oauth: { issuer, jwksUrl: `${issuer}/jwks`, scopes: ["fleet:run"] },
      logger: silentLogger,
    });
    try {
      const post = (token: string) =>
        fetch(`${both.url}/mcp`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: `Bearer ${token}`,
          },
          body: INITIALIZE,
        });
      const sign = (scope: string) =>
        new SignJWT({ scope })
          .setProtectedHeader({ alg: "ES256", kid: "k1" })
          .setIssuer(issuer)
          .setAudience(both.resourceUrl)
          .setExpirationTime("5m")
          .sign(keys.privateKey);
      expect((await post(staticToken)).status).toBe(200);
      expect((await post(await sign("openid fleet:run"))).status).toBe(200);
      const lacking = await post(await sign("openid"));
      expect(lacking.status).toBe(403);
      const params = challengeParams(lacking);
      expect(params).toMatchObject({ error: "insufficient_scope", scope: "fleet:run" });
      const metadata = (await (await fetch(`${both.url}/.well-known/oauth-protected-resource`)).json()) as {
        scopes_supported: string[];
      };
      expect(metadata.scopes_supported).toEqual(["fleet:run"]);
    } finally {
      await both.close();
    }
  });

  it("answers 503 with Retry-After (not 401) while the issuer's keys cannot be fetched", async () => {
    const down = await startHttpServer(fleet, {
      port: 0,
      host: "127.0.0.1",
      token: undefined,
      oauth: { issuer, jwksUrl: "http://127.0.0.1:9/jwks", scopes: [] },
      logger: silentLogger,
    });
    try {
      const token = await accessToken({ aud: down.resourceUrl });
      const res = await fetch(`${down.url}/api/overview`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("10");
    } finally {
      await down.close();
    }
  });
});
