import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { registerTool } from "../src/mcp/tool.js";

export const input = {};

const queueShape = z.object({
  queue: z.string(),
  concurrency: z.number(),
  queued: z.number(),
  running: z.number(),
  retrying: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  dead: z.number(),
  unknown: z.number(),
  throughput_per_minute: z.number(),
  throughput_per_hour: z.number(),
  runtime_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), max: z.number().nullable() }),
});

export const output = {
  queues: z.array(queueShape),
  totals: z.object({ queued: z.number(), running: z.number(), dead: z.number(), unknown: z.number() }),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "queue_stats",
    title: "Queue statistics",
    description: [
      "Per queue (casino, escrow, wallet, analytics, default): concurrency, jobs queued, running, retrying,",
      "succeeded, failed, dead and unknown, throughput per minute and hour, and runtime p50/p95/max in ms —",
      "Flower's overview. Use it to see whether work flows or piles up, then list_jobs with a state filter.",
      "Read-only and local.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler() {
      const queues = (await deps.engine.stats()).map((q) => ({
        queue: q.queue,
        concurrency: q.concurrency,
        queued: q.queued,
        running: q.running,
        retrying: q.retrying,
        succeeded: q.succeeded,
        failed: q.failed,
        dead: q.dead,
        unknown: q.unknown,
        throughput_per_minute: q.throughputPerMinute,
        throughput_per_hour: q.throughputPerHour,
        runtime_ms: q.runtimeMs,
      }));
      const sum = (k: "queued" | "running" | "dead" | "unknown") => queues.reduce((n, q) => n + q[k], 0);
      const totals = { queued: sum("queued"), running: sum("running"), dead: sum("dead"), unknown: sum("unknown") };
      const lines = queues.map(
        (q) =>
          `${q.queue.padEnd(9)} queued ${q.queued}, running ${q.running}/${q.concurrency}, done ${q.succeeded}, failed ${q.failed}, dead ${q.dead}, unknown ${q.unknown}; ${q.throughput_per_minute}/min; p50 ${q.runtime_ms.p50 ?? "–"} ms`,
      );
      return { structured: { queues, totals }, text: lines.join("\n") };
    },
  });
}
