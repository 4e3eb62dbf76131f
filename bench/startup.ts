/**
 * How fast pf-fleet answers `initialize` over stdio, from process start — the target is ≤ 1.2 × the baseline's — next
 * to a baseline measured in the same run: the smallest SDK server (one tool, no pf-fleet code), so the numbers
 * separate Node + SDK start-up from pf-fleet's own. Runs alternate between the two to share the machine's noise.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/startup.js [--runs 15]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { replaceSection } from "./markdown-section.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const runsFlag = process.argv.indexOf("--runs");
const runs = runsFlag === -1 ? 15 : Number(process.argv[runsFlag + 1]);
if (!Number.isInteger(runs) || runs < 1)
  throw new Error(`--runs must be a whole number ≥ 1, got \`${process.argv[runsFlag + 1]}\``);

const BASELINE = `
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
const server = new McpServer({ name: "baseline", version: "1.0.0" });
server.registerTool("ping", { description: "ping" }, async () => ({ content: [{ type: "text", text: "pong" }] }));
await server.connect(new StdioServerTransport());
`;

const INITIALIZE = `${JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bench", version: "1" } },
})}\n`;
const TOOLS_LIST = `${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" })}\n`;

interface Timing {
  initializeMs: number;
  toolsListMs: number;
}

/** Spawns `args`, sends initialize then tools/list, and times both answers from the spawn. */
function measure(args: string[], env: NodeJS.ProcessEnv): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: repo, env, stdio: ["pipe", "pipe", "ignore"] });
    let buffered = "";
    let initializeMs = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
        const msg = JSON.parse(buffered.slice(0, nl)) as { id?: number };
        buffered = buffered.slice(nl + 1);
        if (msg.id === 1) {
          initializeMs = performance.now() - started;
          child.stdin.write(
            `${JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" })}\n${TOOLS_LIST}`,
          );
        } else if (msg.id === 2) {
          const toolsListMs = performance.now() - started;
          // its files are removed after the last run: wait until it has stopped writing them
          child.once("exit", () => resolve({ initializeMs, toolsListMs }));
          child.kill();
        }
      }
    });
    child.on("error", reject);
    child.stdin.write(INITIALIZE);
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "pf-fleet-startup-"));
  const baselineFile = join(repo, "dist", "bench", "startup-baseline.mjs");
  writeFileSync(baselineFile, BASELINE);
  const fleet: Timing[] = [];
  const baseline: Timing[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      baseline.push(await measure([baselineFile], process.env));
      const env = { ...process.env, PF_DB: join(dir, `fleet-${i}.db`), LOG_LEVEL: "silent" };
      fleet.push(await measure([join(repo, "dist", "src", "cli.js"), "stdio"], env));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(baselineFile, { force: true });
  }
  const row = (name: string, t: Timing[]) => {
    const init = t.map((x) => x.initializeMs);
    const list = t.map((x) => x.toolsListMs);
    return `| ${name} | ${percentile(init, 50).toFixed(0)} | ${percentile(init, 90).toFixed(0)} | ${percentile(list, 50).toFixed(0)} | ${percentile(list, 90).toFixed(0)} |`;
  };
  const fleetP50 = percentile(
    fleet.map((x) => x.initializeMs),
    50,
  );
  const baselineP50 = percentile(
    baseline.map((x) => x.initializeMs),
    50,
  );
  const ratio = fleetP50 / baselineP50;
  const body = [
    "## Start-up: `initialize` over stdio",
    "",
    `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}; ` +
      `${runs} runs each, alternating, each with a fresh database. Times in ms from process spawn.`,
    "",
    "| server | initialize p50 | initialize p90 | tools/list p50 | tools/list p90 |",
    "|---|---:|---:|---:|---:|",
    row("baseline: minimal SDK server, one tool", baseline),
    row("pf-fleet stdio (sandbox mode, fresh database)", fleet),
    "",
    `Target: initialize ≤ 1.2 × the baseline's — **${ratio <= 1.2 ? "met" : "not met"}** ` +
      `(p50 ${fleetP50.toFixed(0)} ms vs ${baselineP50.toFixed(0)} ms, ${ratio.toFixed(2)}×). pf-fleet answers ` +
      "`initialize` from constants as soon as its configuration is valid, before the rest of it loads; the " +
      "messages that follow wait in the transport until the server is built, so `tools/list` shows the full load.",
    "",
    "How to rerun: `npx tsc -p tsconfig.build.json && node dist/bench/startup.js [--runs 15]`.",
  ].join("\n");
  replaceSection(join(repo, "bench", "RESULTS.md"), "startup", body);
  process.stdout.write(`${body}\n`);
}

await main();
