/**
 * Throughput across egresses: bets per minute that a fleet of `pf-fleet worker` processes gets through the API's
 * per-IP limit (60 `bets/batch` calls a minute per IP and path), with one worker on one egress versus three
 * workers on three egresses — three Linux network namespaces with their own IPs on a bridge, PostgreSQL (fsync
 * on) and the sandbox (real rate limits, keyed on the peer address) in the root namespace. Each run has a fresh
 * database and sandbox, enough agents that the per-agent limit (10 calls a minute) never binds first, and a
 * backlog of 20-bet calls; bets settled on the server are counted over the same window in both modes. Modes
 * alternate between rounds. Needs root and iproute2. Rewrites the `egress` section of bench/RESULTS.md.
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/egress.js [--agents 24] [--seconds 150] [--rounds 2]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONCURRENCY } from "../src/config.js";
import { createFleetStore } from "../src/fleet/index.js";
import { openKeyVault } from "../src/fleet/key-vault.js";
import { createJobEngine } from "../src/jobs/index.js";
import { planBatch } from "../src/jobs/tasks/batch-plan.js";
import { submitBatch } from "../src/jobs/tasks/batch-submit.js";
import { registerFleetTasks } from "../src/jobs/tasks/index.js";
import { recordOpeningBalance } from "../src/jobs/tasks/opening-balance.js";
import { silentLogger } from "../src/log.js";
import { usdToMicros } from "../src/money.js";
import { createPurpleFleaClient } from "../src/purpleflea/index.js";
import { startSandbox } from "../src/sandbox/index.js";
import type { RunningSandbox } from "../src/sandbox/types.js";
import { sharedSandboxUrls } from "../src/server.js";
import { openStorage } from "../src/storage/index.js";
import { createHosts, type Host, type HostNetwork, inHost, netnsUnavailable } from "./hosts.js";
import { replaceSection } from "./markdown-section.js";
import { createDatabase, median, pgCluster } from "./postgres.js";

const RESULTS = fileURLToPath(new URL("../../bench/RESULTS.md", import.meta.url));
const CLI = fileURLToPath(new URL("../src/cli.js", import.meta.url));
const SECRET = randomBytes(32).toString("hex");
const MODES = [1, 3] as const;
type Egresses = (typeof MODES)[number];

interface RunResult {
  egresses: Egresses;
  betsPerMinute: number;
  calls: number;
  rateLimited: number;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const why = netnsUnavailable();
  if (why) throw new Error(`the egress bench ${why}`);
  const agents = option("--agents", 24);
  const seconds = option("--seconds", 150);
  const rounds = option("--rounds", 2);
  const modes = process.argv.includes("--only") ? [option("--only", 3) as Egresses] : MODES;
  const { startCluster, stopCluster } = await pgCluster();
  const net = createHosts(["h1", "h2", "h3"]);
  let cluster: { url: string; dir: string } | undefined;
  const results: RunResult[] = [];
  try {
    cluster = await startCluster({
      durable: true,
      listen: `127.0.0.1,${net.gateway}`,
      hba: [`host all all ${net.subnet} trust`],
    });
    let run = 0;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? modes : [...modes].reverse();
      for (const egresses of order) {
        const r = await runOnce(net, cluster.url, ++run, egresses, agents, seconds);
        process.stderr.write(
          `round ${round + 1}: ${egresses} egress${egresses > 1 ? "es" : ""}: ${r.betsPerMinute.toFixed(0)} bets/min, ` +
            `${r.calls} calls, ${r.rateLimited} × 429\n`,
        );
        results.push(r);
      }
    }
  } finally {
    if (cluster) stopCluster(cluster.dir);
    net.remove();
  }
  const table = render(results, agents, seconds);
  process.stdout.write(`${table}\n`);
  replaceSection(RESULTS, "egress", table);
}

async function runOnce(
  net: HostNetwork,
  adminUrl: string,
  run: number,
  egresses: Egresses,
  agentCount: number,
  seconds: number,
): Promise<RunResult> {
  const url = await createDatabase(adminUrl, `egress_${run}_${process.pid}`);
  const sandbox = await sandboxOn(net.gateway);
  const storage = await openStorage(url);
  const client = createPurpleFleaClient({ urls: sharedSandboxUrls(sandbox.controlUrl) });
  const big = usdToMicros(1_000_000);
  const fleet = createFleetStore(
    storage,
    { limits: { maxBet: big, maxBatch: big, dailyLossLimit: big, fleetDailyLossLimit: big } },
    { vault: openKeyVault({ secret: SECRET }) },
  );
  // this process only submits: the workers run the jobs
  const engine = createJobEngine({
    storage,
    config: { concurrency: DEFAULT_CONCURRENCY, resultTtlMs: 3_600_000, alertWebhookUrl: undefined },
  });
  const deps = { storage, client, engine, fleet, logger: silentLogger };
  registerFleetTasks(engine, deps);
  const workers: ChildProcess[] = [];
  try {
    const ids: string[] = [];
    for (let i = 0; i < agentCount; i++) {
      // setup only: the register limit (10 a minute per IP) is spread over documentation addresses
      const agent = await register(sandbox, `198.51.100.${Math.floor(i / 10) + 1}`);
      sandbox.fund(agent.agentId, 100);
      await fleet.addAgent({ agentId: agent.agentId, apiKey: agent.apiKey, source: "registered" });
      await recordOpeningBalance(deps, agent.agentId);
      ids.push(agent.agentId);
    }
    // a backlog no mode can finish in the window: 30 calls of 20 bets per agent
    const plan = planBatch({
      bet: { game: "coin-flip", side: "heads" },
      count: agentCount * 30 * 20,
      amount: 10_000,
      agents: ids.map((agentId) => ({ agentId, balance: usdToMicros(100), riskFactor: 0.25 })),
    });
    // the machines reach PostgreSQL over the bridge
    const overBridge = new URL(url);
    overBridge.hostname = net.gateway;
    for (const host of net.hosts.slice(0, egresses)) {
      workers.push(await startWorker(host, overBridge.toString(), sandbox));
    }
    const before = sandbox.stats();
    await submitBatch(deps, plan);
    await new Promise((r) => setTimeout(r, seconds * 1_000));
    const after = sandbox.stats();
    process.stderr.write(
      `  429s by limiter: ${JSON.stringify(after.rateLimited)} (before the run: ${JSON.stringify(before.rateLimited)})\n`,
    );
    const rateLimited = Object.values(after.rateLimited).reduce((a, b) => a + b, 0);
    const calls = (after.byRoute["POST /api/v1/bets/batch"] ?? 0) - (before.byRoute["POST /api/v1/bets/batch"] ?? 0);
    return {
      egresses,
      betsPerMinute: ((after.betsSettled - before.betsSettled) / seconds) * 60,
      calls,
      rateLimited: rateLimited - Object.values(before.rateLimited).reduce((a, b) => a + b, 0),
    };
  } finally {
    for (const w of workers) w.kill("SIGKILL");
    await client.close();
    await storage.close();
    await sandbox.close();
  }
}

async function sandboxOn(host: string): Promise<RunningSandbox> {
  for (let tries = 0; ; tries++) {
    try {
      return await startSandbox({ host, port: 20_000 + Math.floor(Math.random() * 30_000) });
    } catch (err) {
      if (tries > 20) throw err;
    }
  }
}

async function register(sandbox: RunningSandbox, ip: string): Promise<{ agentId: string; apiKey: string }> {
  const res = await fetch(`${sandbox.urls.casino}/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: "{}",
  });
  if (!res.ok) throw new Error(`register: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { agent_id: string; api_key: string };
  return { agentId: body.agent_id, apiKey: body.api_key };
}

function startWorker(host: Host, url: string, sandbox: RunningSandbox): Promise<ChildProcess> {
  const [cmd, ...args] = inHost(host, [process.execPath, CLI, "worker"]);
  const child = spawn(cmd as string, args, {
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      ...process.env,
      PF_DB: url,
      PF_MODE: "sandbox",
      PF_SANDBOX_URL: sandbox.controlUrl,
      PF_EGRESS_ID: host.name,
      PF_SECRET_KEY: SECRET,
      PF_CONCURRENCY: "casino=16",
      PF_MAX_BET_USD: "1000",
      PF_MAX_BATCH_USD: "1000000",
      PF_DAILY_LOSS_LIMIT_USD: "1000000",
      PF_FLEET_DAILY_LOSS_LIMIT_USD: "1000000",
      LOG_LEVEL: "warn",
    },
  });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("pf-fleet worker: ready")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`worker on ${host.name} exited (${code}): ${err}`)));
  });
}

function render(results: readonly RunResult[], agents: number, seconds: number): string {
  const of = (k: Egresses) => results.filter((r) => r.egresses === k);
  const row = (k: Egresses) => {
    const rs = of(k);
    const v = rs.map((r) => r.betsPerMinute);
    return `| ${k} | ${k} | ${median(v).toFixed(0)} | ${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)} | ${rs.reduce((a, r) => a + r.rateLimited, 0)} |`;
  };
  const ratio = median(of(3).map((r) => r.betsPerMinute)) / median(of(1).map((r) => r.betsPerMinute));
  return [
    "## Throughput across egresses (`node dist/bench/egress.js`, root)",
    "",
    `Real limits on (60 \`bets/batch\` calls a minute per IP, 10 per agent); ${agents} agents; 20-bet calls; bets`,
    `settled on the server in a ${seconds} s window from the first call; ${of(1).length} runs per mode, alternated;`,
    `PostgreSQL 15 with fsync on. Measured ${new Date().toISOString().slice(0, 10)}.`,
    "",
    "| workers | egresses (own IPs) | median bets/min | range | 429s |",
    "|---|---|---|---|---|",
    row(1),
    row(3),
    "",
    `Three egresses reach ${ratio.toFixed(2)}× the bets per minute of one (target ≥ 2.7×).`,
  ].join("\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
