import { performance } from "node:perf_hooks";
import { Agent, request } from "undici";
import { MAX_BETS_PER_BATCH } from "../src/jobs/tasks/args.js";
import { callsInFlight, type PhaseInput, type PhaseResult } from "./phase-types.js";
import { cpuMeter, mb, percentile, rssSampler } from "./stats.js";

/**
 * The baseline: the same bets with nothing but undici — no SQLite, no ledger, no retries, no reconciliation.
 * Coin flips of $0.01 round-robin over the agents, each with its own client_seed.
 */

export interface BenchAgent {
  agentId: string;
  apiKey: string;
}

export async function runPlainLoop(input: PhaseInput, agents: readonly BenchAgent[]): Promise<PhaseResult> {
  const batched = input.mode === "plain-batch";
  const perCall = batched ? MAX_BETS_PER_BATCH : 1;
  const calls = Math.ceil(input.n / perCall);
  const workers = batched ? callsInFlight(input.concurrency) : input.concurrency;
  const pool = new Agent({ connections: workers });
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let errors = 0;

  const send = async (call: number): Promise<void> => {
    const first = call * perCall;
    const size = Math.min(perCall, input.n - first);
    const agent = agents[call % agents.length] as BenchAgent;
    const bets = Array.from({ length: size }, (_, j) => ({
      game: "coin_flip",
      side: "heads",
      amount: 0.01,
      client_seed: `plain-${process.pid}-${first + j}`,
    }));
    const path = batched ? "/bets/batch" : "/games/coin-flip";
    const body = batched ? { bets } : bets[0];
    const started = performance.now();
    const res = await request(`${input.urls.casino}${path}`, {
      dispatcher: pool,
      method: "POST",
      headers: { authorization: `Bearer ${agent.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    const took = performance.now() - started;
    for (let j = 0; j < size; j++) latencies.push(took);
    if (res.statusCode !== 200) {
      errors += size;
      return;
    }
    const settled = batched ? (JSON.parse(text) as { results: Array<{ error?: string }> }).results : [{}];
    for (const r of settled) r.error ? errors++ : ok++;
  };

  const sampler = rssSampler();
  const cpu = cpuMeter();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let call = next++; call < calls; call = next++) await send(call);
    }),
  );
  const elapsedMs = performance.now() - started;
  const cpuMs = cpu.stop();
  const peak = sampler.stop();
  await pool.close();
  return {
    mode: input.mode,
    n: input.n,
    ok,
    errors,
    elapsedMs,
    betsPerSecond: (ok / elapsedMs) * 1000,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    endToEndMs: null,
    httpCalls: calls,
    cpuMs,
    peakRssMb: mb(peak),
    note: batched ? `${workers} batch calls of ${perCall} in flight` : null,
  };
}
