import { mkdirSync } from "node:fs";
import { createServer as createHttp, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { silentLogger } from "../../src/log.js";
import { type RunningHttp, startHttpServer } from "../../src/transports/http.js";
import { chromiumMissing, launchChromium, SCREENSHOT_DIR } from "../support/browser.js";
import { ok, startHarness, type ToolHarness } from "../tools/harness.js";

/**
 * The operations console in headless Chromium against a server filled by a real sandbox run: each view shows
 * what the store holds, the buttons work for a signed-in operator and for nobody else, updates arrive without a
 * reload, hostile strings stay text, and nothing overflows a 390 px screen. Screenshots go to .ci/out/.
 */

const TOKEN = "console-browser-token-0123456789";
const HOSTILE = `<img src=x onerror="window.__pwned=1">Mallory`;

let h: ToolHarness;
let http: RunningHttp;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let agentA: string;
let agentB: string;
let batch: { job_id: string; summary: { total_bets: number; wins: number; losses: number; total_pnl_usd: number } };
let failedJob: string;

async function register(label: string): Promise<string> {
  const id = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", { label })).agent.agent_id;
  ok(await h.call("sandbox_fund_agent", { agent_id: id, amount: 5 }));
  return id;
}

/** the signed-in page, at a view, after its data arrived */
async function open(hash: string, ready: string): Promise<void> {
  await page.goto(`${http.url}/${hash}`);
  await page.locator(ready).first().waitFor({ timeout: 10_000 });
}

async function noHorizontalOverflow(): Promise<void> {
  // runs in the page: its globals, typed here by hand (this project compiles without the DOM library)
  const { scrollWidth, innerWidth } = await page.evaluate(() => {
    const g = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
    return { scrollWidth: g.document.documentElement.scrollWidth, innerWidth: g.innerWidth };
  });
  expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
}

const shot = (name: string, fullPage = true) => page.screenshot({ path: `${SCREENSHOT_DIR}${name}.png`, fullPage });

describe.skipIf(chromiumMissing)("operations console in a browser", () => {
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    h = await startHarness();
    agentA = await register(HOSTILE);
    agentB = await register("desk-b");
    // more than one page of top-level jobs, older than the batch: queued for later, so they stay put
    for (let i = 0; i < 55; i++) {
      await h.fleet.deps.engine.enqueue(TASK.ledgerRefresh, { agentIds: [agentA] }, { dueAt: Date.now() + 3_600_000 });
    }
    batch = ok(
      await h.call("place_coinflip_batch", {
        side: "heads",
        count: 60,
        amount: 0.01,
        agent_ids: [agentA, agentB],
        wait_seconds: 30,
      }),
    );
    // a job that fails: its agent is paused when it would send
    ok(await h.call("pause_trading", { agent_id: agentB, reason: "hold B for the failure" }));
    const job = await h.fleet.deps.engine.enqueue(TASK.betBatch, {
      agentId: agentB,
      bet: { game: "coin-flip", side: "tails" },
      amount: 10_000,
      clientSeeds: [`console-browser-${Date.now()}`],
    });
    expect((await h.fleet.deps.engine.wait(job.id, { timeoutMs: 20_000 })).state).toBe("failed");
    failedJob = job.id;
    ok(await h.call("resume_trading", { agent_id: agentB }));
    // an escrow that stays open, its description markup
    ok(
      await h.call("create_escrow_chain", {
        agent_id: agentA,
        counterparty_agent_id: agentB,
        amount: 0.5,
        description: `<script>window.__pwned=2</script>deliver the report`,
        validation: "manual",
        wait_seconds: 20,
      }),
    );
    ok(await h.call("wallet_balance", {}));

    http = await startHttpServer(h.fleet, { port: 0, host: "127.0.0.1", token: TOKEN, logger: silentLogger });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await h?.close();
  });

  it("sends a visitor without a session to the login form, and signs in there", async () => {
    await page.goto(`${http.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await page.fill("#token", "wrong-token");
    await page.click("button[type=submit]");
    await expect(page.locator("text=Wrong token.").count()).resolves.toBe(1);
    await page.fill("#token", TOKEN);
    await page.click("button[type=submit]");
    await page.locator("tr.job-row").first().waitFor();
    expect(new URL(page.url()).pathname).toBe("/");
  });

  it("lists jobs with a batch as one row carrying its bets, wins, losses and PnL", async () => {
    await open("#/jobs", `tr.job-row[data-id="${batch.job_id}"]`);
    const row = page.locator(`tr.job-row[data-id="${batch.job_id}"]`);
    const text = (await row.innerText()).replace(/\s+/g, " ");
    expect(text).toContain(`${batch.summary.total_bets}/${batch.summary.total_bets} bets`);
    expect(text).toContain(`${batch.summary.wins} W · ${batch.summary.losses} L`);
    // the PnL as the batch tool summed it, signed, in USD (6 decimals below a cent)
    const pnl = batch.summary.total_pnl_usd;
    const digits = Math.abs(pnl) > 0 && Math.abs(pnl) < 0.01 ? 6 : 2;
    const shown = Math.abs(pnl).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: digits });
    expect(await row.locator(".pnl").innerText()).toBe(`${pnl < 0 ? "−" : pnl > 0 ? "+" : ""}$${shown}`);
    // the members are not rows of their own until the batch is expanded
    const members = (await h.fleet.deps.engine.list({ canvasId: batch.job_id, limit: 50 })).jobs.map((j) => j.id);
    expect(members.length).toBeGreaterThanOrEqual(4); // three calls of 20 bets and the aggregating callback
    const memberRows = () =>
      page
        .locator("tr[data-id]")
        .evaluateAll((rows, ids) => rows.filter((r) => ids.includes(r.getAttribute("data-id") ?? "")).length, members);
    expect(await memberRows()).toBe(0);
    await row.locator("button.expand").click();
    await expect.poll(memberRows, { timeout: 5_000 }).toBe(members.length);
    await shot("console-jobs", false);
  });

  it("pages past the first 50 rows without repeating one", async () => {
    await open("#/jobs", "tr.job-row");
    const ids = () => page.locator("tr.job-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-id")));
    const first = await ids();
    expect(first.length).toBe(50);
    await page.getByRole("button", { name: "Load more" }).click();
    await expect.poll(async () => (await ids()).length).toBeGreaterThan(50);
    const all = await ids();
    expect(new Set(all).size).toBe(all.length);
    const roots = await h.fleet.deps.engine.list({ limit: 200 });
    expect(all.length).toBe(roots.jobs.filter((j) => j.parentId === null).length);
  });

  it("filters by state", async () => {
    await open("#/jobs?state=failed&view=all", `tr.job-row[data-id="${failedJob}"]`);
    const states = await page
      .locator("tr.job-row")
      .evaluateAll((rows) => rows.map((r) => r.querySelector("td:nth-child(3)")?.textContent ?? ""));
    expect(states.length).toBeGreaterThan(0);
    for (const s of states) expect(s).toMatch(/failed/);
  });

  it("shows a job's detail: error with hint, every state change, attempts, and a retry that works", async () => {
    await open(`#/jobs/${encodeURIComponent(failedJob)}`, "text=TRADING_PAUSED");
    const body = await page.locator("main").innerText();
    const events = await h.fleet.deps.engine.events(failedJob);
    for (const e of events) expect(body).toContain(e.to);
    expect(body).toMatch(/amount_usd/);
    await shot("console-job-detail");
    await page.getByRole("button", { name: "Retry" }).click();
    await expect
      .poll(async () => (await h.fleet.deps.engine.get(failedJob))?.state, { timeout: 20_000 })
      .toBe("succeeded");
    // the page follows the job to its new state without a reload
    await page.locator("main").getByText("succeeded").first().waitFor({ timeout: 10_000 });
  });

  it("shows money per agent, the open escrow and the PnL chart; hostile strings stay text", async () => {
    await open("#/money", `article.agent[data-agent="${agentA}"]`);
    const cardA = page.locator(`article.agent[data-agent="${agentA}"]`);
    expect(await cardA.locator("h3").innerText()).toBe(HOSTILE);
    const money = await h.fleet.deps.storage.ledger.localBalance(agentA);
    expect(await cardA.innerText()).toContain(`$${(money / 1e6).toFixed(2)}`);
    expect(await page.locator("main").innerText()).toContain("<script>window.__pwned=2</script>deliver the report");
    expect(await page.locator("main canvas").count()).toBeGreaterThan(0);
    expect(await page.locator("img[src=x]").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await shot("console-money");
  });

  it("pauses and resumes the fleet from the money view; the top bar follows live", async () => {
    await open("#/money", `article.agent[data-agent="${agentA}"]`);
    await page.evaluate(() => {
      (globalThis as { __sameDocument?: boolean }).__sameDocument = true;
    });
    await page.getByRole("button", { name: "Pause fleet" }).click();
    await page.getByLabel("reason for pausing").first().fill("browser test");
    await page.getByRole("button", { name: "Pause now" }).first().click();
    await expect.poll(async () => (await h.fleet.deps.fleet.pauseState()).fleetPaused, { timeout: 5_000 }).toBe(true);
    await expect.poll(() => page.locator("#trading").innerText(), { timeout: 5_000 }).toMatch(/paused/i);
    await page.getByRole("button", { name: "Resume fleet" }).click();
    await expect.poll(async () => (await h.fleet.deps.fleet.pauseState()).fleetPaused, { timeout: 5_000 }).toBe(false);
    expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  });

  it("refuses to raise a limit from the tighten form, and says why; lowering works", async () => {
    const before = await h.fleet.deps.fleet.limits();
    await open("#/money", "details.tighten");
    const form = page.locator("form.tighten-form");
    await page.locator("details.tighten summary").click();
    await form.locator('input[name="max_bet_usd"]').fill("1000000");
    await form.locator('input[name="reason"]').fill("raise it");
    await form.getByRole("button", { name: "Lower limits" }).click();
    await expect.poll(() => form.locator(".form-message").innerText(), { timeout: 5_000 }).toMatch(/LIMIT_EXCEEDED/);
    expect(await h.fleet.deps.fleet.limits()).toEqual(before);
    await form.locator('input[name="max_bet_usd"]').fill("0.5");
    await form.getByRole("button", { name: "Lower limits" }).click();
    await expect.poll(async () => (await h.fleet.deps.fleet.limits()).maxBet, { timeout: 5_000 }).toBe(500_000);
    expect((await h.fleet.deps.fleet.pauseState()).fleetPaused).toBe(false);
  });

  it("shows health: throughput and queue charts, rate limits and the processes with their heartbeats", async () => {
    await open("#/health", "main canvas");
    expect(await page.locator("main canvas").count()).toBeGreaterThanOrEqual(2);
    // this server's engine, from its heartbeat row: host, pid and egress, not stale
    const own = page.locator("table.processes tbody tr", { hasText: `pid ${process.pid}` });
    await own.waitFor({ timeout: 10_000 });
    expect(await own.innerText()).toContain(`egress ${h.fleet.deps.config.egressId}`);
    expect(await own.getAttribute("class")).not.toContain("stale");
    await shot("console-health");
  });

  it("switches a schedule off and on", async () => {
    const [schedule] = await h.fleet.deps.scheduler.list();
    if (!schedule) throw new Error("no schedules");
    await open("#/schedules", `text=${schedule.name}`);
    const toggle = page.getByLabel(`enable ${schedule.name}`);
    await toggle.click();
    await expect
      .poll(async () => (await h.fleet.deps.scheduler.list()).find((s) => s.name === schedule.name)?.enabled, {
        timeout: 5_000,
      })
      .toBe(!schedule.enabled);
    await shot("console-schedules");
  });

  it("shows a batch started elsewhere without a reload", async () => {
    await open("#/jobs", "tr.job-row");
    await page.evaluate(() => {
      (globalThis as { __sameDocument?: boolean }).__sameDocument = true;
    });
    const started = ok<{ job_id: string }>(
      await h.call("place_coinflip_batch", { side: "tails", count: 20, amount: 0.01, agent_ids: [agentB] }),
    );
    await page.locator(`tr.job-row[data-id="${started.job_id}"]`).waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  });

  it("refuses actions from a page of another origin, even one on the same host", async () => {
    // a page on another port of 127.0.0.1: same site (the cookie goes along), another origin
    const evil: Server = createHttp((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><p>evil</p>");
    });
    await new Promise<void>((resolve) => evil.listen(0, "127.0.0.1", resolve));
    const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
    const evilPage = await context.newPage();
    await evilPage.goto(evilUrl);
    const attempts = await evilPage.evaluate(async (target) => {
      const tries: Array<Record<string, string>> = [
        { "content-type": "text/plain" },
        { "content-type": "application/json" },
        { "content-type": "application/json", "x-csrf-token": "guess" },
      ];
      const out: string[] = [];
      for (const headers of tries) {
        try {
          const r = await fetch(`${target}api/actions/pause_trading`, {
            method: "POST",
            credentials: "include",
            headers,
            body: JSON.stringify({ reason: "forged by a page" }),
          });
          out.push(String(r.status));
        } catch {
          out.push("blocked");
        }
      }
      return out;
    }, `${http.url}/`);
    for (const a of attempts) expect(a === "blocked" || a === "403").toBe(true);
    expect((await h.fleet.deps.fleet.pauseState()).fleetPaused).toBe(false);
    await evilPage.close();
    await new Promise((resolve) => evil.close(resolve));
  });

  it("shows the view opened while the last one is still loading", async () => {
    // the health view's data takes a while (a busy server); the operator moves on to schedules meanwhile
    await page.route("**/api/health*", async (r) => {
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await r.continue().catch(() => undefined);
    });
    try {
      await page.goto(`${http.url}/#/health`);
      await page.goto(`${http.url}/#/schedules`);
      await page.locator("input[role=switch]").first().waitFor({ timeout: 5_000 });
    } finally {
      await page.unroute("**/api/health*");
    }
  });

  it("fits a 390 px screen in every view", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [hash, ready] of [
      ["#/jobs", "tr.job-row"],
      [`#/jobs/${encodeURIComponent(batch.job_id)}`, "main h1, main h2"],
      ["#/money", "article.agent"],
      ["#/health", "table.processes"],
      ["#/schedules", "input[role=switch]"],
    ] as const) {
      await open(hash, ready);
      await noHorizontalOverflow();
    }
    await open("#/money", "article.agent");
    await shot("console-money-390");
    await open("#/jobs", "tr.job-row");
    await shot("console-jobs-390");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("raised no script error anywhere", () => {
    expect(pageErrors).toEqual([]);
  });
});
