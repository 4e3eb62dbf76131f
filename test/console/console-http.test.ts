import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { type RunningHttp, startHttpServer } from "../../src/transports/http.js";

/**
 * The console over real HTTP: who may act (login + CSRF token, bearer token; never a foreign page), that each
 * action is the MCP tool's own path (its validation and "only ever lower" rule), and live updates.
 */

const TOKEN = "console-token-0123456789abcdef";
let dir: string;
let fleet: FleetServer;
let http: RunningHttp;
let cookie: string;
let csrf: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-fleet-console-"));
  fleet = await createServer(loadConfig({ PF_DB: join(dir, "fleet.db") }), {
    logger: silentLogger,
    sandbox: { rateLimits: false },
    // nothing runs: a queued job stays queued for the cancel button
    startEngine: false,
  });
  http = await startHttpServer(fleet, { port: 0, host: "127.0.0.1", token: TOKEN, logger: silentLogger });
  const login = await fetch(`${http.url}/login`, {
    method: "POST",
    body: new URLSearchParams({ token: TOKEN }),
    redirect: "manual",
  });
  cookie = (login.headers.getSetCookie()[0] as string).split(";")[0] as string;
  csrf = ((await (await fetch(`${http.url}/api/overview`, { headers: { cookie } })).json()) as { csrf_token: string })
    .csrf_token;
});
afterAll(async () => {
  await http?.close();
  await fleet?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string; hint: string | null };
  confirm?: unknown;
}

async function act(name: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${http.url}/api/actions/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf, ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, answer: (await res.json()) as Answer };
}

describe("console actions: who may act", () => {
  it("refuses without a login, without the CSRF token, from another site, and as a form", async () => {
    const before = await fleet.deps.fleet.pauseState();
    const pause = { reason: "forged" };
    const anonymous = await fetch(`${http.url}/api/actions/pause_trading`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(pause),
    });
    expect(anonymous.status).toBe(401);
    expect((await act("pause_trading", pause, { "x-csrf-token": "" })).status).toBe(403);
    expect((await act("pause_trading", pause, { "x-csrf-token": `${csrf}x` })).status).toBe(403);
    const crossSite = await act("pause_trading", pause, { "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect(crossSite.answer.error?.message).toMatch(/cross-site page may not/);
    const foreign = await fetch(`${http.url}/api/actions/pause_trading`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf, origin: "http://evil.example" },
      body: JSON.stringify(pause),
    });
    expect(foreign.status).toBe(403);
    const form = await fetch(`${http.url}/api/actions/pause_trading`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie, "x-csrf-token": csrf },
      body: "reason=forged",
    });
    expect(form.status).toBe(403);
    // a token issued to one login is worthless to another
    const other = await fetch(`${http.url}/login`, {
      method: "POST",
      body: new URLSearchParams({ token: TOKEN }),
      redirect: "manual",
    });
    const otherCookie = (other.headers.getSetCookie()[0] as string).split(";")[0] as string;
    expect((await act("pause_trading", pause, { cookie: otherCookie })).status).toBe(403);
    expect(await fleet.deps.fleet.pauseState()).toEqual(before);
  });

  it("lets a signed-in browser with its token pause and resume, through the tools", async () => {
    const paused = await act("pause_trading", { reason: "console test" });
    expect(paused.status).toBe(200);
    expect(paused.answer.result?.trading).toMatchObject({ fleet_paused: true, reason: "console test" });
    expect((await fleet.deps.fleet.pauseState()).fleetPaused).toBe(true);
    // pause_trading's own validation: a reason of 3 characters at least
    const short = await act("pause_trading", { reason: "x" });
    expect(short.status).toBe(400);
    expect(short.answer.error?.code).toBe("INVALID_INPUT");
    const resumed = await act("resume_trading", {});
    expect(resumed.status).toBe(200);
    expect((await fleet.deps.fleet.pauseState()).fleetPaused).toBe(false);
  });

  it("accepts a bearer token without a CSRF token (no browser sends it on its own)", async () => {
    const res = await fetch(`${http.url}/api/actions/resume_trading`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
      body: "{}",
    });
    expect(res.status).toBe(200);
  });
});

describe("console actions: what they may do", () => {
  it("only ever lowers a limit: a raise is refused by pause_trading and changes nothing", async () => {
    const before = await fleet.deps.fleet.limits();
    const raise = await act("pause_trading", { reason: "raise it", pause: false, max_bet_usd: 1_000_000 });
    expect(raise.status).toBe(422);
    expect(raise.answer.error?.code).toBe("LIMIT_EXCEEDED");
    expect(await fleet.deps.fleet.limits()).toEqual(before);
    const lower = await act("pause_trading", { reason: "tighten", pause: false, max_bet_usd: 0.5 });
    expect(lower.status).toBe(200);
    expect((await fleet.deps.fleet.limits()).maxBet).toBe(500_000);
    expect((await fleet.deps.fleet.pauseState()).fleetPaused).toBe(false);
  });

  it("switches a schedule on and off, and nothing else about it", async () => {
    const [schedule] = await fleet.deps.scheduler.list();
    if (!schedule) throw new Error("the default schedules are missing");
    const cron = await act("set_schedule", { name: schedule.name, enabled: true, cron: "* * * * *" });
    expect(cron.status).toBe(400);
    expect(cron.answer.error?.message).toMatch(/cron/);
    const flipped = await act("set_schedule", { name: schedule.name, enabled: !schedule.enabled });
    expect(flipped.status).toBe(200);
    const after = (await fleet.deps.scheduler.list()).find((s) => s.name === schedule.name);
    expect(after?.enabled).toBe(!schedule.enabled);
    expect(after?.cron).toBe(schedule.cron);
    expect((await act("set_schedule", { name: "no-such-schedule", enabled: true })).answer.error?.code).toBe(
      "NOT_FOUND",
    );
  });

  it("cancels a queued job and refuses a retry the tool refuses", async () => {
    const job = await fleet.deps.engine.enqueue("wallet.balance_check", {});
    const cancelled = await act("cancel_job", { job_id: job.id });
    expect(cancelled.status).toBe(200);
    expect((await fleet.deps.engine.get(job.id))?.state).toBe("cancelled");
    const missing = await act("retry_job", { job_id: "job_nope" });
    expect(missing.status).toBe(404);
    expect(missing.answer.error?.hint).toBeTruthy();
  });

  it("answers an unknown action with 404 and a list of the actions", async () => {
    const res = await act("drop_database", {});
    expect(res.status).toBe(404);
    expect(res.answer.error?.hint).toMatch(/retry_job/);
  });
});

describe("console live updates", () => {
  it("pushes the overview when it changes, including changes not made through this process's engine", async () => {
    const controller = new AbortController();
    const res = await fetch(`${http.url}/api/events`, { headers: { cookie }, signal: controller.signal });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    const nextOverview = async (): Promise<{ trading: { fleet_paused: boolean } }> => {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^event: overview\ndata: (.*)$/m.exec(frame);
          if (data) return JSON.parse(data[1] as string);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += value;
      }
    };
    expect((await nextOverview()).trading.fleet_paused).toBe(false);
    // written straight to the store, as another process would: only the poll can see it
    await fleet.deps.fleet.pause({ reason: "another process" });
    const pushed = await nextOverview();
    expect(pushed.trading.fleet_paused).toBe(true);
    await fleet.deps.fleet.resume({});
    expect((await nextOverview()).trading.fleet_paused).toBe(false);
    controller.abort();
  });
});
