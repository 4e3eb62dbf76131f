import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import type { JobEngine, JobEvent, JobRow } from "../jobs/types.js";
import { redactSecrets } from "../log.js";
import { readResource } from "./resource-errors.js";
import { isTerminal } from "./wait.js";

/**
 * Resource subscriptions for one MCP session, driven by job engine events:
 * - `jobs://{id}`: an update on each state change of that job (so a subscriber hears when it finishes);
 * - aggregate read models (`queues://stats`, `pnl://…`, `agents://list`): at most one update per second
 *   while jobs finish, since a 500-bet batch would otherwise send 500.
 * Only a URI that can be read can be subscribed to: anything else is refused with the error a read gives
 * (−32002 resource not found, −32602 for a malformed value), so a typo is not a silent subscription to nothing.
 *
 * Also MCP log messages (at the level the client set with `logging/setLevel`): jobs that end badly (failed, dead,
 * unknown) at `warning`; every other ending of a job nobody started as part of another (a batch, a chain, a
 * single job; never each of a batch's members) at `info`.
 */

const AGGREGATE_PREFIXES = ["queues://", "pnl://", "agents://", "schedules://"];
const AGGREGATE_INTERVAL_MS = 1_000;
const BAD_ENDINGS = new Set(["failed", "dead", "unknown"]);
const LOGGER = "pf-fleet.jobs";

export function attachSubscriptions(server: McpServer, engine: JobEngine): () => void {
  const subscribed = new Set<string>();
  let aggregateTimer: NodeJS.Timeout | undefined;

  server.server.setRequestHandler(SubscribeRequestSchema, async (req, extra) => {
    // throws what a read of the URI would: −32002 for a job that does not exist or a URI pf-fleet never makes
    await readResource(server, req.params.uri, extra);
    subscribed.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    subscribed.delete(req.params.uri);
    return {};
  });

  const log = (level: "info" | "warning", data: string) => {
    if (!server.isConnected()) return;
    // the session id is what the SDK files this session's `logging/setLevel` under (undefined over stdio)
    server
      .sendLoggingMessage({ level, logger: LOGGER, data }, server.server.transport?.sessionId)
      .catch(() => undefined);
  };
  const logEnding = (job: JobRow, event: JobEvent) => {
    if (BAD_ENDINGS.has(job.state)) {
      const reason = job.error ? `${job.error.code}: ${job.error.message}` : event.reason;
      log("warning", redactSecrets(`job ${job.id} (${job.task}) ended ${job.state}: ${reason}`));
    } else if (job.parentId === null) {
      const took = job.finishedAt === null ? "" : ` after ${seconds(job.finishedAt - job.createdAt)}`;
      const progress = job.progress ? `, ${job.progress.done} of ${job.progress.total} done` : "";
      log("info", `job ${job.id} (${job.task}) ${job.state}${took}${progress}: jobs://${job.id}`);
    }
  };

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
    if (isTerminal(job)) logEnding(job, event);
  };
  const unsubscribe = engine.on(onEvent);

  return () => {
    unsubscribe();
    if (aggregateTimer) clearTimeout(aggregateTimer);
    subscribed.clear();
  };
}

function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}
