import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Browser, FrameLocator, Page } from "playwright-core";
import { build } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportsAsGlobal, FLEET_VIEW_URI } from "../../src/mcp/apps/fleet-view.js";
import { type Harness, ok, startHarness } from "../mcp/harness.js";
import { chromiumMissing, launchChromium, SCREENSHOT_DIR } from "../support/browser.js";

/**
 * The MCP App's page in headless Chromium under a stub host built on ext-apps' own AppBridge: the page is the one
 * resources/read serves, the tool results come from real sandbox runs, and the view's tool calls go through the
 * bridge to the real server over the SDK's Client. What a user would see: the batch's bets, wins, losses and PnL,
 * a chart, a per-agent table whose labels are text, and a running batch followed to its end.
 */

const EVIL_LABEL = `<img src=x onerror="window.__pwned=1"><b>Eve</b></td>`;

interface BatchOut {
  status: string;
  job_id: string;
  summary: { total_bets: number; wins: number; losses: number; total_pnl_usd: number; wagered_usd: number };
  progress: { done: number; total: number };
}

let h: Harness;
let browser: Browser;
let hostPage: string;
let viewHtml: string;
let agentId: string;
/** the tools the view called through the host, in order */
const calls: string[] = [];

describe.skipIf(chromiumMissing)(
  `the MCP App in a host${chromiumMissing ? ` (skipped: ${chromiumMissing})` : ""}`,
  () => {
    beforeAll(async () => {
      h = await startHarness();
      agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", { label: EVIL_LABEL })).agent
        .agent_id;
      h.fleet.deps.sandbox!.fund(agentId, 20);
      const { contents } = await h.client.readResource({ uri: FLEET_VIEW_URI });
      viewHtml = (contents[0] as { text: string }).text;
      hostPage = await stubHostPage();
      browser = await launchChromium();
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
      await h?.close();
    });

    it("shows a finished batch's bets, wins, losses and PnL, its chart, and agent labels as text", async () => {
      const args = { side: "heads", count: 12, amount: 0.01, agent_ids: [agentId], wait_seconds: 30 };
      const result = await h.call("place_coinflip_batch", args);
      const batch = ok<BatchOut>(result);
      expect(batch.status).toBe("finished");
      const page = await openHost();
      try {
        const view = await mount(page, result, args);
        const s = batch.summary;
        await expectStat(view, "Bets settled", String(s.total_bets));
        await expectStat(view, "Wins", String(s.wins));
        await expectStat(view, "Losses", String(s.losses));
        await expectStat(view, "PnL", signedUsd(s.total_pnl_usd));
        await expect.poll(() => view.locator("#progress-text").textContent()).toBe(`12 of 12 bets settled`);
        // the chart: uPlot's canvas, drawn from the members' bets fetched through the host
        await view.locator("#chart canvas").waitFor();
        expect(calls).toContain("list_jobs");
        // the per-agent table: one row, the label exactly as registered, shown as text
        const row = view.locator("#agents tbody tr");
        await expect.poll(() => row.count()).toBe(1);
        expect(await row.locator(".label").textContent()).toBe(EVIL_LABEL);
        expect(await row.locator(".id").textContent()).toBe(agentId);
        const cells = await row.locator("td").allTextContents();
        expect(cells.slice(1)).toEqual([
          String(s.total_bets),
          String(s.wins),
          String(s.losses),
          `$${s.wagered_usd.toFixed(4)}`,
          signedUsd(s.total_pnl_usd),
        ]);
        expect(await view.locator("#agents img, #agents script").count()).toBe(0);
        expect(
          await view.locator("body").evaluate(() => (globalThis as { __pwned?: unknown }).__pwned),
        ).toBeUndefined();
        await page.screenshot({ path: join(SCREENSHOT_DIR, "mcp-app-batch.png"), fullPage: true });
      } finally {
        await page.close();
      }
    });

    it("follows a batch still running when the tool answered: it polls job_status until the job is done", async () => {
      calls.length = 0;
      const args = { side: "tails", count: 60, amount: 0.01, agent_ids: [agentId], wait_seconds: 0 };
      const result = await h.call("place_coinflip_batch", args);
      const batch = ok<BatchOut>(result);
      // the tool answered before the bets settled: the view has to follow the job itself
      expect(batch.status).toBe("running");
      const page = await openHost();
      try {
        const view = await mount(page, result, args);
        await expect.poll(() => view.locator("#state").textContent(), { timeout: 20_000 }).toBe("succeeded");
        expect(calls).toContain("job_status");
        // the figures shown are the finished job's own aggregate, as the server reports it now
        const done = ok<{
          job: { result: { totalBets: number; wins: number; losses: number; total_pnl_usd: number } };
        }>(await h.call("job_status", { job_id: batch.job_id })).job.result;
        await expectStat(view, "Bets settled", String(done.totalBets));
        await expectStat(view, "Wins", String(done.wins));
        await expectStat(view, "Losses", String(done.losses));
        await expectStat(view, "PnL", signedUsd(done.total_pnl_usd));
        await expect.poll(() => view.locator("#progress-text").textContent()).toBe(`60 of 60 bets settled`);
        await view.locator("#chart canvas").waitFor();
      } finally {
        await page.close();
      }
    });

    it("shows pnl_report: the period's figures, the chart by day and the per-agent table", async () => {
      const args = { period: "all", agent_ids: [agentId] };
      const result = await h.call("pnl_report", args);
      const report = ok<{ totals: { bets: number; wins: number; losses: number; pnl_usd: number } }>(result);
      expect(report.totals.bets).toBe(72);
      const page = await openHost();
      try {
        const view = await mount(page, result, args);
        await expectStat(view, "Bets", "72");
        await expectStat(view, "Wins", String(report.totals.wins));
        await expectStat(view, "PnL", signedUsd(report.totals.pnl_usd));
        await view.locator("#chart canvas").waitFor();
        const row = view.locator("#agents tbody tr");
        await expect.poll(() => row.count()).toBe(1);
        expect(await row.locator(".label").textContent()).toBe(EVIL_LABEL);
        await page.screenshot({ path: join(SCREENSHOT_DIR, "mcp-app-pnl.png"), fullPage: true });
        // a narrow chat column (390 px): the page reflows, nothing sticks out sideways
        await page.setViewportSize({ width: 390, height: 900 });
        await expect
          .poll(() => view.locator("html").evaluate((el) => el.scrollWidth - el.clientWidth))
          .toBeLessThanOrEqual(0);
      } finally {
        await page.close();
      }
    });

    it("shows a tool error's text as text", async () => {
      const result: CallToolResult = {
        isError: true,
        content: [{ type: "text", text: `INVALID_INPUT: bad <b>agent</b> <img src=x onerror="window.__pwned=3">` }],
      };
      const page = await openHost();
      try {
        const view = await mount(page, result, {});
        await expect
          .poll(() => view.locator("#error").textContent())
          .toBe((result.content[0] as { text: string }).text);
        expect(await view.locator("#error *").count()).toBe(0);
      } finally {
        await page.close();
      }
    });
  },
);

/** `+$0.0196`: how the view writes a PnL, as the tools' text does. */
function signedUsd(x: number): string {
  return `${x > 0 ? "+" : x < 0 ? "-" : ""}$${Math.abs(x).toFixed(4)}`;
}

async function expectStat(view: FrameLocator, label: string, value: string): Promise<void> {
  const stat = view.locator("#stats div").filter({ has: view.locator(`dt:text-is("${label}")`) });
  await expect.poll(() => stat.locator("dd").textContent(), { message: label }).toBe(value);
}

/** A page that is the host: the view's iframe, sandboxed as hosts do, and ext-apps' AppBridge. */
async function openHost(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 720, height: 900 } });
  page.on("pageerror", (err) => console.error("host page error:", err));
  await page.exposeFunction("hostCallTool", async (params: { name: string; arguments?: Record<string, unknown> }) => {
    calls.push(params.name);
    return h.client.callTool(params);
  });
  await page.setContent(hostPage);
  await page.waitForFunction(() => "mountView" in globalThis);
  return page;
}

/** Loads the view into the host's iframe and hands it the tool's input and result once it has connected. */
async function mount(page: Page, result: unknown, args: Record<string, unknown>): Promise<FrameLocator> {
  await page.evaluate(([html, res, input]) => (globalThis as unknown as Host).mountView(html, res, input), [
    viewHtml,
    result,
    args,
  ] as const);
  return page.frameLocator("#view");
}

interface Host {
  mountView(html: string, result: unknown, args: unknown): Promise<void>;
}

/**
 * The stub host: ext-apps' app-bridge bundled for the browser (it imports the MCP SDK and zod, so rolldown, which
 * vitest's vite brings, resolves them), plus the few lines a host writes around it. Tool calls from the view go to
 * `hostCallTool`, which the test wires to the real server.
 */
async function stubHostPage(): Promise<string> {
  const bundle = await build({
    input: "@modelcontextprotocol/ext-apps/app-bridge",
    platform: "browser",
    write: false,
    logLevel: "silent",
    output: { format: "esm", minify: true },
  });
  const bridge = exportsAsGlobal(bundle.output[0].code, "ExtAppsBridge");
  const host = `
    window.mountView = async (html, result, args) => {
      const { AppBridge, PostMessageTransport } = globalThis.ExtAppsBridge;
      const iframe = document.getElementById("view");
      const bridge = new AppBridge(null, { name: "stub-host", version: "1.0.0" }, { serverTools: {} }, {
        hostContext: { theme: "light", displayMode: "inline" },
      });
      bridge.oncalltool = (params) => window.hostCallTool(params);
      const initialized = new Promise((resolve) => { bridge.oninitialized = resolve; });
      await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
      iframe.srcdoc = html;
      await initialized;
      await bridge.sendToolInput({ arguments: args });
      await bridge.sendToolResult(result);
    };`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>stub host</title></head>
    <body style="margin:0;background:#eee">
      <iframe id="view" sandbox="allow-scripts" style="display:block;width:100%;height:880px;border:0;background:#fff"></iframe>
      <script type="module">${bridge.replace(/<\/(script)/gi, "<\\/$1")}</script>
      <script type="module">${host}</script>
    </body></html>`;
}
