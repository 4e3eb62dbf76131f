import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createPurpleFleaClient } from "../../src/purpleflea/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { RunningSandbox } from "../../src/sandbox/types.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { type RunningHttp, startHttpServer } from "../../src/transports/http.js";

/**
 * Live mode: a console button that would commit live money (enabling a money schedule, running it now) asks
 * first, with the tool's own dry run as the plan, and goes ahead only with that plan's confirm_token — the same
 * rule an MCP client without elicitation meets. Against a "staging" sandbox reached only through its URLs.
 */

const TOKEN = "console-confirm-token-0123456789";
let dir: string;
let staging: RunningSandbox;
let fleet: FleetServer;
let http: RunningHttp;
let primary: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-console-confirm-"));
  staging = await startSandbox({ rateLimits: false });
  const client = createPurpleFleaClient({ urls: { ...staging.urls, wallet: `${staging.controlUrl}/v1` } });
  const reg = await client.casino.register();
  await client.close();
  primary = reg.agentId;
  staging.fund(primary, 100);
  fleet = await createServer(
    loadConfig({
      PF_MODE: "live",
      PF_API_KEY: reg.apiKey,
      PF_DB: join(dir, "live.db"),
      PF_CASINO_URL: staging.urls.casino,
      PF_ESCROW_URL: staging.urls.escrow,
      PF_FAUCET_URL: staging.urls.faucet,
      PF_DOMAINS_URL: staging.urls.domains,
      PF_MAX_BATCH_USD: "20",
      PF_DAILY_LOSS_LIMIT_USD: "50",
      PF_FLEET_DAILY_LOSS_LIMIT_USD: "100",
    }),
    { logger: silentLogger },
  );
  http = await startHttpServer(fleet, { port: 0, host: "127.0.0.1", token: TOKEN, logger: silentLogger });
  await fleet.deps.scheduler.create({
    name: "live-hourly-flips",
    task: "casino.place_batch",
    cron: "0 * * * *",
    args: { bet: { game: "coin-flip", side: "heads" }, count: 5, amount: 500_000, agentIds: [primary] },
    enabled: false,
  });
});
afterAll(async () => {
  await http?.close();
  await fleet?.close();
  await staging?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string };
  confirm?: { plan: Record<string, unknown>; confirm_token: string };
}

async function act(name: string, body: unknown): Promise<{ status: number; answer: Answer }> {
  const res = await fetch(`${http.url}/api/actions/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, answer: (await res.json()) as Answer };
}

const schedule = async () => (await fleet.deps.scheduler.list()).find((s) => s.name === "live-hourly-flips");
const jobCount = async () => (await fleet.deps.engine.list({ limit: 200 })).jobs.length;

describe("console actions that commit live money", () => {
  it("enabling a money schedule shows the plan and needs its token", async () => {
    const asked = await act("set_schedule", { name: "live-hourly-flips", enabled: true });
    expect(asked.answer.error?.code, JSON.stringify(asked.answer)).toBe("CONFIRMATION_REQUIRED");
    expect(asked.status).toBe(409);
    expect(asked.answer.confirm?.confirm_token).toMatch(/^pfc1\./);
    expect(JSON.stringify(asked.answer.confirm?.plan)).toMatch(/0\.5/);
    expect((await schedule())?.enabled).toBe(false);

    const confirmed = await act("set_schedule", {
      name: "live-hourly-flips",
      enabled: true,
      confirm_token: asked.answer.confirm?.confirm_token,
    });
    expect(confirmed.status).toBe(200);
    expect((await schedule())?.enabled).toBe(true);
  });

  it("running it now asks too, queues nothing until confirmed, and a wrong token is refused", async () => {
    const before = await jobCount();
    const asked = await act("run_schedule_now", { name: "live-hourly-flips" });
    expect(asked.status, JSON.stringify(asked.answer)).toBe(409);
    expect(asked.answer.confirm?.confirm_token).toBeTruthy();
    expect(await jobCount()).toBe(before);

    const forged = await act("run_schedule_now", { name: "live-hourly-flips", confirm_token: "pfc1.x.y.z" });
    expect(forged.answer.ok).toBe(false);
    expect(forged.answer.confirm).toBeUndefined();
    expect(await jobCount()).toBe(before);

    const run = await act("run_schedule_now", {
      name: "live-hourly-flips",
      confirm_token: asked.answer.confirm?.confirm_token,
    });
    expect(run.status).toBe(200);
    expect(run.answer.result?.job_id).toBeTruthy();
  });
});
