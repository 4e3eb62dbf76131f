/**
 * One benchmark phase in its own process (so its peak RSS is its own): registers and funds fresh agents on
 * the sandbox, runs the phase, and prints its PhaseResult as one JSON line. Started by bench/engine.ts.
 */
import { tuneHeap } from "../src/heap.js";
import { runEngine } from "./engine-run.js";
import type { PhaseInput, PhaseResult } from "./phase-types.js";
import { runPlainLoop } from "./plain-loop.js";
import { casinoCalls, registerAgents } from "./sandbox-agents.js";

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? "") as PhaseInput;
  // the engine phase stands in for a pf-fleet process, so its heap is set up as the CLI sets up its own
  if (input.mode === "engine") tuneHeap();
  const agents = await registerAgents(input.urls, input.controlUrl, input.agents);
  const before = await casinoCalls(input.controlUrl);
  const result: PhaseResult =
    input.mode === "engine" ? await runEngine(input, agents) : await runPlainLoop(input, agents);
  result.httpCalls = (await casinoCalls(input.controlUrl)) - before;
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench phase failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  // an engine, a client or a storage left open by the failure must not keep the phase alive
  process.exit(1);
});
