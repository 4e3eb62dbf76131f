import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../../src/sandbox/index.js";
import { call, control, registerAgent, startTestSandbox } from "./helpers.js";

let sb: RunningSandbox;
const start = Date.parse("2026-05-05T10:00:00.000Z");
beforeEach(async () => {
  sb = await startTestSandbox({ rateLimits: true, now: start });
});
afterEach(async () => {
  await sb.close();
});

/** A game request refused by validation still counts against the limiters, as in the real service. */
const badFlip = (key: string, path = "/games/coin-flip") =>
  call(sb, "casino", "POST", path, { key, body: { side: "x", amount: 0.01 } });

describe("rate limits", () => {
  it("limits each agent to 60 game requests a minute across game routes, with reset_at", async () => {
    const agent = await registerAgent(sb);
    for (let i = 0; i < 30; i++) expect((await badFlip(agent.apiKey)).status).toBe(400);
    for (let i = 0; i < 30; i++) expect((await badFlip(agent.apiKey, "/games/dice")).status).toBe(400);
    const limited = await badFlip(agent.apiKey, "/games/crash");
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe("rate_limit_exceeded");
    const resetAt = Date.parse(limited.body.reset_at);
    expect(resetAt).toBeGreaterThan(start);
    expect(resetAt).toBeLessThanOrEqual(sb.now() + 60_000);

    const other = await registerAgent(sb);
    expect((await badFlip(other.apiKey, "/games/crash")).status).toBe(400);

    sb.advanceClock(60_000);
    expect((await badFlip(agent.apiKey, "/games/crash")).status).toBe(400);
    expect(sb.stats().rateLimited["games-agent"]).toBe(1);
  });

  it("limits bets/batch to 10 calls a minute per agent", async () => {
    const agent = await registerAgent(sb);
    for (let i = 0; i < 10; i++) {
      const res = await call(sb, "casino", "POST", "/bets/batch", { key: agent.apiKey, body: { bets: [] } });
      expect(res.body.error).toBe("invalid_bets");
    }
    const limited = await call(sb, "casino", "POST", "/bets/batch", { key: agent.apiKey, body: { bets: [] } });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: "rate_limit_exceeded" });
    expect(typeof limited.body.reset_at).toBe("string");
  });

  it("limits registration per IP (rate_limited), per forwarded-for address, until the window ends", async () => {
    for (let i = 0; i < 10; i++) expect((await call(sb, "casino", "POST", "/auth/register")).status).toBe(201);
    const limited = await call(sb, "casino", "POST", "/auth/register");
    expect([limited.status, limited.body.error]).toEqual([429, "rate_limited"]);
    const elsewhere = await call(sb, "casino", "POST", "/auth/register", { headers: { "x-forwarded-for": "8.8.8.8" } });
    expect(elsewhere.status).toBe(201);
    sb.advanceClock(61_000);
    expect((await call(sb, "casino", "POST", "/auth/register")).status).toBe(201);
    expect(sb.stats().rateLimited["register-ip"]).toBe(1);
  });

  it("switches every limiter off and on, in process and over HTTP", async () => {
    sb.setRateLimits(false);
    for (let i = 0; i < 12; i++) expect((await call(sb, "casino", "POST", "/auth/register")).status).toBe(201);
    const on = await control(sb, "POST", "rate-limits", { enabled: true });
    expect(on.body).toEqual({ enabled: true });
    for (let i = 0; i < 10; i++) await call(sb, "casino", "POST", "/auth/register");
    expect((await call(sb, "casino", "POST", "/auth/register")).status).toBe(429);
    const bad = await control(sb, "POST", "rate-limits", { enabled: "yes" });
    expect(bad.status).toBe(400);
  });
});
