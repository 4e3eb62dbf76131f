/**
 * BullMQ + Redis comparator for the engine phase (issue 9, "Benchmarks"): the same bets as `bench/engine-run.ts`
 * — coin flips of $0.01 round-robin over the agents, grouped per agent into `POST /bets/batch` calls of ≤ 20 —
 * as ONE BullMQ flow: a FlowProducer parent per run whose children are the calls. Each child sends its call with
 * pf-fleet's own Purple Flea client (`client.casino.batch`: the same undici pool, body and response validation as
 * the `casino.bet_batch` task) and returns its receipts, which BullMQ stores as the job's return value in the same
 * Lua script that completes it. The parent aggregates its children with `getChildrenValues()` (bets, wins/losses,
 * PnL in integer micro-USD). `inFlight` is the children worker's concurrency: calls in flight.
 *
 * Redis is a fresh `redis-server` per run (see ./bullmq-redis.ts) with `appendfsync always`, so every completion
 * is on disk before BullMQ sees its reply, as a pf-fleet completion is after its COMMIT.
 *
 * What this does NOT do that pf-fleet does: no durable intent before the call (a worker killed mid-call leaves a
 * stalled job that BullMQ re-runs, re-sending the bets), no reconcile against the casino's export, no ledger,
 * no risk checks or per-agent limits, no rate gate. Retries (3 attempts) re-send blindly.
 *
 * Measured per run, from planning the calls to the parent's completion: bets/s (wall), CPU µs per bet (this
 * Node process by process.cpuUsage plus redis-server by /proc/<pid>/stat), peak RSS of this process and of
 * redis-server (VmHWM; fresh per run, so its peak is the run's). Run each call of `runBullmq` in its own process
 * (bench/bullmq-phase.ts does) so that the peak RSS is the run's own.
 *
 *   node dist/bench/compare-bullmq.js   (see bench/compare-bullmq.ts)
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { FlowProducer, type Job, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { ServiceUrls } from "../src/config.js";
import { createPurpleFleaClient } from "../src/purpleflea/index.js";
import type { BetRequest } from "../src/purpleflea/types.js";
import { dirBytes, procCpuMs, procRssMb, type RedisHandle } from "./bullmq-redis.js";
import { cpuMeter, mb, percentile, rssSampler } from "./stats.js";

/** Bets one `bets/batch` call carries (purpleflea-api.md §2.2; MAX_BETS_PER_BATCH in src/jobs/tasks/args.ts). */
export const BETS_PER_CALL = 20;
/** $0.01, the engine bench's stake, in micro-USD */
export const STAKE_MICROS = 10_000;

const BETS_QUEUE = "bets-batch";
const RUNS_QUEUE = "bet-runs";
const RUN_TIMEOUT_MS = 30 * 60_000;

export interface BullmqAgent {
  agentId: string;
  apiKey: string;
}

export interface BullmqInput {
  /** bets */
  n: number;
  /** `bets/batch` calls in flight: the children worker's concurrency */
  inFlight: number;
  urls: ServiceUrls;
  /** registered and funded on the sandbox; bets go round-robin over them */
  agents: readonly BullmqAgent[];
  /** a running redis-server (its pid is read in /proc for its CPU and RSS) */
  redis: RedisHandle;
}

export interface Latency {
  p50: number | null;
  p99: number | null;
}

export interface BullmqResult {
  mode: "bullmq";
  n: number;
  inFlight: number;
  /** bets the casino settled, counted by the parent from its children's receipts */
  ok: number;
  /** bets not settled: refused by the casino, or in a call that failed all its attempts */
  errors: number;
  /** children (calls) planned, and those that failed all their attempts */
  calls: number;
  failedCalls: number;
  /** attempts beyond the first (each one re-sent its call) */
  retries: number;
  elapsedMs: number;
  betsPerSec: number;
  /** (Node + redis-server CPU) / settled bets */
  cpuUsPerBet: number;
  nodeCpuMs: number;
  redisCpuMs: number;
  /** this process's peak RSS (its whole life: run it in its own process) */
  peakRssMb: number;
  redisPeakRssMb: number;
  /** bytes redis-server appended (its append-only files at the end of the run) */
  aofBytes: number;
  /** per call, from the worker picking it up to its completion stored (BullMQ's processedOn → finishedOn), ms */
  callMs: Latency;
  /** per call, from the flow's insert to its completion stored (timestamp → finishedOn), ms */
  enqueueToDoneMs: Latency;
  aggregate: RunAggregate;
}

/** A call: ≤ 20 bets of one agent. The API key stays in this process, not in Redis. */
interface CallData {
  agentId: string;
  amount: number;
  clientSeeds: string[];
}

/** One bet's receipt as the child stores it: what pf-fleet's ledger row keeps of it. */
interface StoredReceipt {
  agentId: string;
  clientSeed: string;
  betId: string;
  game: string;
  stake: number;
  payoutMultiplier: number;
  won: boolean;
  payout: number;
  net: number;
  serverSeedHash: string;
  nonce: number;
  resultHash: string;
  roll: number;
  placedAt: number;
}

interface CallResult {
  agentId: string;
  receipts: StoredReceipt[];
  refused: Array<{ clientSeed: string; code: string; message: string }>;
}

export interface RunAggregate {
  calls: number;
  failedCalls: number;
  totalBets: number;
  wins: number;
  losses: number;
  refused: number;
  /** integer micro-USD */
  wagered: number;
  returned: number;
  totalPnl: number;
}

/** The bets as calls, like `betBatches(planBatch(…))`: bet i goes to agent i mod A; each agent's bets in order, ≤ 20 a call. */
export function planCalls(n: number, agents: readonly BullmqAgent[], seedPrefix: string): CallData[] {
  const open = new Map<string, CallData>();
  const out: CallData[] = [];
  for (let i = 0; i < n; i++) {
    const agentId = (agents[i % agents.length] as BullmqAgent).agentId;
    let call = open.get(agentId);
    if (!call || call.clientSeeds.length >= BETS_PER_CALL) {
      call = { agentId, amount: STAKE_MICROS, clientSeeds: [] };
      open.set(agentId, call);
      out.push(call);
    }
    call.clientSeeds.push(`${seedPrefix}-${i}`);
  }
  return out;
}

/**
 * Plans the calls and adds the flow in a frame of its own, so that the plan is garbage once added, as in the
 * engine's bench (bench/engine-run.ts `submitChord`); the flow's job objects that BullMQ returns are dropped too.
 * Returns how many calls (children) it added.
 */
async function addFlow(flow: FlowProducer, input: BullmqInput, tag: string): Promise<number> {
  const calls = planCalls(input.n, input.agents, `bmq-${tag}`);
  await flow.add({
    name: "bet-run",
    queueName: RUNS_QUEUE,
    data: { n: input.n },
    children: calls.map((data) => ({
      name: "bets-batch",
      queueName: BETS_QUEUE,
      data,
      // a failed call (after its attempts) is counted by the parent instead of blocking it forever
      opts: { attempts: 3, backoff: { type: "exponential", delay: 250 }, ignoreDependencyOnFailure: true },
    })),
  });
  return calls.length;
}

export async function runBullmq(input: BullmqInput): Promise<BullmqResult> {
  if (!Number.isInteger(input.n) || input.n < 1) throw new Error(`n must be a whole number ≥ 1, got ${input.n}`);
  if (!Number.isInteger(input.inFlight) || input.inFlight < 1)
    throw new Error(`inFlight must be ≥ 1, got ${input.inFlight}`);
  if (input.agents.length === 0) throw new Error("runBullmq needs at least one agent");
  const tag = randomBytes(6).toString("hex");
  const prefix = `pfb-${tag}`;
  const keys = new Map(input.agents.map((a) => [a.agentId, a.apiKey]));
  const client = createPurpleFleaClient({ urls: input.urls });
  const connect = (): Redis =>
    new Redis({ host: input.redis.host, port: input.redis.port, maxRetriesPerRequest: null, enableOfflineQueue: true });
  const connections = [connect(), connect(), connect()] as const;
  const [producerConnection, betsConnection, runsConnection] = connections;

  const callMs: number[] = [];
  const enqueueToDoneMs: number[] = [];
  let retries = 0;
  let settle!: { resolve(a: RunAggregate): void; reject(e: unknown): void };
  const done = new Promise<RunAggregate>((resolve, reject) => {
    settle = { resolve, reject };
  });

  const placeCall = async (job: Job<CallData, CallResult>): Promise<CallResult> => {
    const { agentId, amount, clientSeeds } = job.data;
    if (job.attemptsMade > 0) retries++;
    const key = keys.get(agentId);
    if (!key) throw new UnrecoverableError(`no API key for ${agentId}`);
    const bets: BetRequest[] = clientSeeds.map((clientSeed) => ({
      game: "coin-flip",
      side: "heads",
      amount,
      clientSeed,
    }));
    const placedAt = Date.now();
    const answer = await client.casino.batch(key, bets);
    if (answer.results.length !== bets.length) {
      throw new Error(`bets/batch answered ${answer.results.length} results for ${bets.length} bets`);
    }
    const result: CallResult = { agentId, receipts: [], refused: [] };
    answer.results.forEach((r, i) => {
      const clientSeed = clientSeeds[i] as string;
      if (!r.ok) {
        result.refused.push({ clientSeed, code: r.error, message: r.message });
        return;
      }
      const { receipt } = r;
      if (receipt.proof.clientSeed !== clientSeed) {
        throw new Error(
          `bets/batch returned ${receipt.betId} under seed ${receipt.proof.clientSeed}, sent ${clientSeed}`,
        );
      }
      result.receipts.push({
        agentId,
        clientSeed,
        betId: receipt.betId,
        game: receipt.game,
        stake: receipt.stake,
        payoutMultiplier: receipt.payoutMultiplier,
        won: receipt.won,
        payout: receipt.payout,
        net: receipt.net,
        serverSeedHash: receipt.proof.serverSeedHash,
        nonce: receipt.proof.nonce,
        resultHash: receipt.proof.resultHash,
        roll: receipt.roll,
        placedAt,
      });
    });
    return result;
  };

  const aggregate = async (job: Job<{ n: number }, RunAggregate>): Promise<RunAggregate> => {
    const values = await job.getChildrenValues<CallResult>();
    const failures = await job.getIgnoredChildrenFailures();
    const agg: RunAggregate = {
      calls: 0,
      failedCalls: Object.keys(failures).length,
      totalBets: 0,
      wins: 0,
      losses: 0,
      refused: 0,
      wagered: 0,
      returned: 0,
      totalPnl: 0,
    };
    for (const call of Object.values(values)) {
      agg.calls++;
      agg.refused += call.refused.length;
      for (const r of call.receipts) {
        agg.totalBets++;
        if (r.won) agg.wins++;
        else agg.losses++;
        agg.wagered += r.stake;
        agg.returned += r.payout;
        agg.totalPnl += r.payout - r.stake;
      }
    }
    return agg;
  };

  const flow = new FlowProducer({ connection: producerConnection, prefix });
  const betsWorker = new Worker<CallData, CallResult>(BETS_QUEUE, placeCall, {
    connection: betsConnection,
    prefix,
    concurrency: input.inFlight,
  });
  const runsWorker = new Worker<{ n: number }, RunAggregate>(RUNS_QUEUE, aggregate, {
    connection: runsConnection,
    prefix,
    concurrency: 1,
  });
  const report = (what: string) => (err: Error) => process.stderr.write(`bullmq ${what}: ${err.message}\n`);
  flow.on("error", report("flow producer"));
  betsWorker.on("error", report("bets worker"));
  runsWorker.on("error", report("runs worker"));
  betsWorker.on("completed", (job) => {
    if (job.processedOn && job.finishedOn) {
      callMs.push(job.finishedOn - job.processedOn);
      enqueueToDoneMs.push(job.finishedOn - job.timestamp);
    }
  });
  runsWorker.on("completed", (_job, result) => settle.resolve(result));
  runsWorker.on("failed", (_job, err) => settle.reject(err));

  try {
    await Promise.all([flow.waitUntilReady(), betsWorker.waitUntilReady(), runsWorker.waitUntilReady()]);
    const sampler = rssSampler();
    const cpu = cpuMeter();
    const redisCpuBefore = procCpuMs(input.redis.pid);
    const started = performance.now();

    const calls = await addFlow(flow, input, tag);
    const timeout = setTimeout(() => settle.reject(new Error(`run not done in ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
    const agg = await done.finally(() => clearTimeout(timeout));

    const elapsedMs = performance.now() - started;
    const nodeCpuMs = cpu.stop();
    const redisCpuMs = procCpuMs(input.redis.pid) - redisCpuBefore;
    const peak = sampler.stop();
    const ok = agg.totalBets;
    return {
      mode: "bullmq",
      n: input.n,
      inFlight: input.inFlight,
      ok,
      errors: input.n - ok,
      calls,
      failedCalls: agg.failedCalls,
      retries,
      elapsedMs,
      betsPerSec: (ok / elapsedMs) * 1000,
      cpuUsPerBet: ok === 0 ? Number.NaN : ((nodeCpuMs + redisCpuMs) * 1000) / ok,
      nodeCpuMs,
      redisCpuMs,
      peakRssMb: mb(peak),
      redisPeakRssMb: procRssMb(input.redis.pid).peakMb,
      aofBytes: dirBytes(input.redis.dir),
      callMs: { p50: percentile(callMs, 50), p99: percentile(callMs, 99) },
      enqueueToDoneMs: { p50: percentile(enqueueToDoneMs, 50), p99: percentile(enqueueToDoneMs, 99) },
      aggregate: agg,
    };
  } finally {
    await Promise.allSettled([flow.close(), betsWorker.close(), runsWorker.close()]);
    await Promise.allSettled(connections.map((c) => c.quit()));
    await client.close();
  }
}
