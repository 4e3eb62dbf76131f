import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { JobEngine, JobEvent, JobRow } from "../jobs/types.js";
import { redactSecrets } from "../log.js";
import { isTerminal } from "./wait.js";

/**
 * Resource subscriptions for one MCP session, driven by job engine events:
 * - `jobs://{id}`: an update on each state change of that job (so a subscriber hears when it finishes);
 * - aggregate read models (`queues://stats`, `pnl://…`, `agents://list`): at most one update per second
 *   while jobs finish, since a 500-bet batch would otherwise send 500.
 * Also forwards jobs that end badly (failed, dead, unknown) as MCP log messages at `warning`.
 */

const AGGREGATE_PREFIXES = ["queues://", "pnl://", "agents://", "schedules://"];
const AGGREGATE_INTERVAL_MS = 1_000;
const BAD_ENDINGS = new Set(["failed", "dead", "unknown"]);

export function attachSubscriptions(server: McpServer, engine: JobEngine): () => void {
  const subscribed = new Set<string>();
  let aggregateTimer: NodeJS.Timeout | undefined;

  server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
    subscribed.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });

  const notify = (uri: string) => {
    if (!server.isConnected()) return;
    server.server.sendResourceUpdated({ uri }).catch(() => undefined);
  };

  const flushAggregates = () => {
    aggregateTimer = undefined;
    for (const uri of subscribed) if (AGGREGATE_PREFIXES.some((p) => uri.startsWith(p))) notify(uri);
  };

  const onEvent = (job: JobRow, event: JobEvent) => {
    if (event.from === event.to) return;
    const uri = `jobs://${job.id}`;
    if (subscribed.has(uri)) notify(uri);
    if (
      isTerminal(job) &&
      !aggregateTimer &&
      [...subscribed].some((u) => AGGREGATE_PREFIXES.some((p) => u.startsWith(p)))
    ) {
      aggregateTimer = setTimeout(flushAggregates, AGGREGATE_INTERVAL_MS);
      aggregateTimer.unref();
    }
    if (BAD_ENDINGS.has(job.state) && server.isConnected()) {
      const reason = job.error ? `${job.error.code}: ${job.error.message}` : event.reason;
      server
        .sendLoggingMessage({
          level: "warning",
          logger: "pf-fleet.jobs",
          data: redactSecrets(`job ${job.id} (${job.task}) ended ${job.state}: ${reason}`),
        })
        .catch(() => undefined);
    }
  };
  const unsubscribe = engine.on(onEvent);

  return () => {
    unsubscribe();
    if (aggregateTimer) clearTimeout(aggregateTimer);
    subscribed.clear();
  };
}
