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
 * Also MCP log messages (at the level the client set with `logging/setLevel`): every ending of a job nobody started
 * as part of another (a batch, a chain, a single job) — `info`, or `warning` when it or any of its members ended
 * badly (failed, dead, unknown); of a batch's members only the first to end badly is logged on its own.
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
  // A batch's members that end badly: the first is logged, the rest only counted, and the count goes out with the
  // batch's own ending — a batch refused for one cause must not send hundreds of warnings.
  const badMembers = new Map<string, number>();
  const logEnding = (job: JobRow, event: JobEvent) => {
    const bad = BAD_ENDINGS.has(job.state);
    if (job.parentId !== null) {
      if (!bad) return;
      const seen = (badMembers.get(job.parentId) ?? 0) + 1;
      badMembers.set(job.parentId, seen);
      if (seen > 1) return;
      const reason = job.error ? `${job.error.code}: ${job.error.message}` : event.reason;
      log(
        "warning",
        redactSecrets(
          `job ${job.id} (${job.task}) of jobs://${job.parentId} ended ${job.state}: ${reason}; further members that end badly are counted in its ending`,
        ),
      );
      return;
    }
    const members = badMembers.get(job.id);
    badMembers.delete(job.id);
    const badCount = members ? `; ${members} member job(s) ended failed, dead or unknown` : "";
    if (bad) {
      const reason = job.error ? `${job.error.code}: ${job.error.message}` : event.reason;
      log("warning", redactSecrets(`job ${job.id} (${job.task}) ended ${job.state}: ${reason}${badCount}`));
    } else {
      const took = job.finishedAt === null ? "" : ` after ${seconds(job.finishedAt - job.createdAt)}`;
      const progress = job.progress ? `, ${job.progress.done} of ${job.progress.total} done` : "";
      log(
        members ? "warning" : "info",
        `job ${job.id} (${job.task}) ${job.state}${took}${progress}${badCount}: jobs://${job.id}`,
      );
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
