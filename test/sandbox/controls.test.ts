import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import { parseFaults, type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { call, control, registerAgent, startTestSandbox } from "./helpers.js";

describe("sandbox servers and controls", () => {
  let sb: RunningSandbox;
  beforeEach(async () => {
    sb = await startTestSandbox();
  });
  afterEach(async () => {
    await sb.close();
  });

  it("serves four services with production-shaped base URLs, each with /health", async () => {
    expect(sb.urls.casino).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
    expect(sb.urls.escrow).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sb.urls.faucet).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sb.urls.domains).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const origins = Object.values(sb.urls).map((u) => new URL(u).origin);
    expect(new Set(origins).size).toBe(4);
    for (const origin of origins) {
      const res = await fetch(`${origin}/health`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe("ok");
    }
  });

  it("answers unknown routes with 404 not_found (casino adds docs hints) and injects _info into JSON objects", async () => {
    const casino = await call(sb, "casino", "GET", "/no/such/route");
    expect(casino.status).toBe(404);
    expect(casino.body).toMatchObject({ error: "not_found", openapi: "/openapi.json" });
    expect(casino.body._info).toMatchObject({ service: "agent-casino", version: "1.0.0" });
    const escrow = await call(sb, "escrow", "POST", "/escrow/esc_1/release");
    expect([escrow.status, escrow.body.error, escrow.body._info.service]).toEqual([404, "not_found", "agent-escrow"]);
    const faucet = await call(sb, "faucet", "GET", "/faucet/stats");
    expect(faucet.body._info.service).toBe("agent-faucet");
  });

  it("funds like a deposit: a sandbox ledger row and lifetime.total_deposited", async () => {
    const agent = await registerAgent(sb);
    const before = sb.balanceOf(agent.agentId);
    const funded = await control(sb, "POST", "fund", { agent_id: agent.agentId, amount_usd: 2.5 });
    expect(funded.body).toMatchObject({ agent_id: agent.agentId, balance_usd: before + 2.5 });
    const ledger = await call(sb, "casino", "GET", "/auth/ledger", { key: agent.apiKey });
    expect(ledger.body.entries.find((e: { reason: string }) => e.reason === "sandbox_fund")).toMatchObject({
      type: "credit",
      amount: 2.5,
      service: "sandbox",
    });
    const balance = await call(sb, "casino", "GET", "/auth/balance", { key: agent.apiKey });
    expect(balance.body.lifetime.total_deposited).toBe(2.5);

    expect((await control(sb, "POST", "fund", { agent_id: "ag_nobody", amount_usd: 1 })).status).toBe(404);
    expect((await control(sb, "POST", "fund", { agent_id: agent.agentId, amount_usd: -1 })).status).toBe(400);
    expect(() => sb.fund(agent.agentId, Number.NaN)).toThrow(FleetError);
  });

  it("moves the clock forward only", async () => {
    const before = (await control(sb, "GET", "clock")).body.now;
    const after = await control(sb, "POST", "clock", { advance_ms: 86_400_000 });
    expect(after.body.now - before).toBeGreaterThanOrEqual(86_400_000);
    expect(Date.parse(after.body.iso)).toBe(after.body.now);
    expect((await control(sb, "POST", "clock", { advance_ms: -5 })).status).toBe(400);
  });

  it("counts API requests by normalised route and agent, never control requests", async () => {
    const agent = await registerAgent(sb, { fund: 5 });
    sb.resetStats();
    await call(sb, "casino", "POST", "/games/dice", {
      key: agent.apiKey,
      body: { direction: "over", threshold: 50, amount: 0.1 },
    });
    await call(sb, "escrow", "GET", "/escrow/esc_0000000000000000");
    await call(sb, "escrow", "GET", "/escrow/esc_1111111111111111");
    await control(sb, "GET", "clock");
    const stats = (await control(sb, "GET", "stats")).body;
    expect(stats.requests).toBe(3);
    expect(stats.byRoute).toEqual({ "POST /api/v1/games/dice": 1, "GET /escrow/:id": 2 });
    expect(stats.byAgent).toEqual({ [agent.agentId]: 1 });
    expect(stats.byAgentRoute).toEqual({ [agent.agentId]: { "POST /api/v1/games/dice": 1 } });
    expect(stats.betsSettled).toBe(1);
    await control(sb, "POST", "stats/reset");
    expect(sb.stats().requests).toBe(0);
  });
});

describe("startSandbox options", () => {
  it("keeps accounts in a SQLite file across restarts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pf-sandbox-"));
    try {
      const dbPath = join(dir, "sandbox.db");
      const first = await startSandbox({ dbPath, rateLimits: false });
      const agent = await registerAgent(first, { fund: 3 });
      await first.close();
      const second = await startSandbox({ dbPath, rateLimits: false });
      try {
        const balance = await call(second, "casino", "GET", "/auth/balance", { key: agent.apiKey });
        expect(balance.body.balance_usd).toBe(4);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("holds its state in memory up to 1 GiB by default, and a file's as far as the disk allows", async () => {
    const sb = await startTestSandbox();
    try {
      const before = sb.storage();
      expect(before.maxBytes).toBe(1024 ** 3);
      const agent = await registerAgent(sb, { fund: 100 });
      for (let i = 0; i < 20; i++) {
        const bet = await call(sb, "casino", "POST", "/games/coin-flip", {
          key: agent.apiKey,
          body: { side: "heads", amount: 1, client_seed: `${"s".repeat(200)}-${i}` },
        });
        expect(bet.status).toBe(200);
      }
      expect(sb.storage().bytes).toBeGreaterThan(before.bytes);
    } finally {
      await sb.close();
    }
    const dir = mkdtempSync(join(tmpdir(), "pf-sandbox-"));
    try {
      const inFile = await startSandbox({ dbPath: join(dir, "sandbox.db"), rateLimits: false });
      try {
        expect(inFile.storage().maxBytes).toBeNull();
      } finally {
        await inFile.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says its storage is full when it is, and the refused bet changes nothing", async () => {
    const probe = await startTestSandbox();
    const empty = probe.storage().bytes;
    await probe.close();
    // room for the agent and a few bets (a page or two each, with long client seeds), not for forty
    const sb = await startTestSandbox({ maxStorageBytes: empty + 16 * 4096 });
    try {
      const agent = await registerAgent(sb, { fund: 100 });
      let refused: Awaited<ReturnType<typeof call>> | undefined;
      let balance = sb.balanceOf(agent.agentId);
      for (let i = 0; i < 40 && !refused; i++) {
        const bet = await call(sb, "casino", "POST", "/games/coin-flip", {
          key: agent.apiKey,
          body: { side: "heads", amount: 1, client_seed: `${"s".repeat(1000)}-${i}` },
        });
        if (bet.status === 200) balance = sb.balanceOf(agent.agentId);
        else refused = bet;
      }
      expect(refused?.status).toBe(500);
      expect(refused?.body).toMatchObject({ error: "internal_error" });
      expect(refused?.body.message).toMatch(/sandbox's storage is full .* --db PATH/);
      expect(sb.balanceOf(agent.agentId)).toBe(balance);
      expect(sb.storage().bytes).toBeLessThanOrEqual(sb.storage().maxBytes as number);
    } finally {
      await sb.close();
    }
    await expect(startTestSandbox({ maxStorageBytes: 0 })).rejects.toThrow(/maxStorageBytes must be a positive/);
  });

  it("puts the services on port, port+1, port+2, port+3", async () => {
    let sb: RunningSandbox | undefined;
    for (let attempt = 0; attempt < 5 && !sb; attempt++) {
      const base = 20_000 + Math.floor(Math.random() * 40_000);
      sb = await startSandbox({ port: base }).catch(() => undefined);
      if (sb) {
        const ports = Object.values(sb.urls).map((u) => Number(new URL(u).port));
        expect(ports).toEqual([base, base + 1, base + 2, base + 3]);
      }
    }
    expect(sb).toBeDefined();
    await sb?.close();
    await expect(startSandbox({ port: 70_000 })).rejects.toThrow(/port must be an integer/);
  });
});

describe("parseFaults", () => {
  it("reads the CLI spec", () => {
    expect(parseFaults("error=0.1,reset=0.05,drop=0.05,burst429=0.02,latency=20,seed=7,scope=money")).toEqual({
      error: 0.1,
      reset: 0.05,
      drop: 0.05,
      burst429: 0.02,
      latencyMs: 20,
      seed: 7,
      scope: "money",
    });
    expect(parseFaults("burst429=0.5,burst=3")).toEqual({ burst429: 0.5, burstLength: 3 });
  });

  it("refuses what it cannot honour, naming the value", () => {
    expect(() => parseFaults("explode=1")).toThrow(/unknown fault `explode`/);
    expect(() => parseFaults("error=abc")).toThrow(/`error` must be a number from 0 to 1, got `NaN`/);
    expect(() => parseFaults("error=0.7,drop=0.7")).toThrow(/at most 1/);
    expect(() => parseFaults("latency=-1")).toThrow(/latencyMs must be an integer/);
    expect(() => parseFaults("scope=reads")).toThrow(/scope must be `all` or `money`/);
    expect(() => parseFaults("seed")).toThrow(/needs a value/);
  });
});
