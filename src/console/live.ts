import type { IncomingMessage, ServerResponse } from "node:http";
import type { JobEngine } from "../jobs/types.js";
import type { Logger } from "../log.js";

/**
 * The console's event stream (Server-Sent Events). Two sources, so work done by other processes on the same
 * database shows up too: this process's engine events (at once) and a poll of the store's overview every
 * `pollMs` (whatever process changed it). Clients get `overview` when it changes and `jobs` with the ids that
 * changed here (an empty list: "something changed elsewhere, re-read"), at most every `jobsEveryMs`.
 */

export interface LiveOptions {
  engine: JobEngine;
  /** the overview JSON, without the per-browser CSRF token */
  overview(): Promise<unknown>;
  logger: Logger;
  pollMs?: number;
  jobsEveryMs?: number;
  keepAliveMs?: number;
  /** open streams at once; past it the oldest is closed (EventSource reconnects, so nothing is lost) */
  maxClients?: number;
}

export interface LiveHub {
  open(req: IncomingMessage, res: ServerResponse): void;
  clientCount(): number;
  close(): void;
}

export function createLiveHub(opts: LiveOptions): LiveHub {
  const pollMs = opts.pollMs ?? 1_000;
  const jobsEveryMs = opts.jobsEveryMs ?? 500;
  const maxClients = opts.maxClients ?? 50;
  const clients = new Set<ServerResponse>();
  let lastOverview = "";
  let changedIds = new Set<string>();
  let jobsTimer: NodeJS.Timeout | undefined;
  let polling = false;

  function send(res: ServerResponse, event: string, data: string): void {
    res.write(`event: ${event}\ndata: ${data}\n\n`);
  }

  function broadcast(event: string, data: string): void {
    for (const res of clients) send(res, event, data);
  }

  /** coalesces job changes into one `jobs` event per window */
  function scheduleJobs(): void {
    jobsTimer ??= setTimeout(() => {
      jobsTimer = undefined;
      const ids = [...changedIds].slice(0, 500);
      changedIds = new Set();
      broadcast("jobs", JSON.stringify({ ids }));
    }, jobsEveryMs);
  }

  const detach = opts.engine.on((job) => {
    if (clients.size === 0) return;
    changedIds.add(job.id);
    scheduleJobs();
  });

  async function poll(): Promise<void> {
    if (polling || clients.size === 0) return;
    polling = true;
    try {
      const text = JSON.stringify(await opts.overview());
      // generated_at changes every time; compare what a user would see change
      const comparable = text.replace(/"generated_at":"[^"]*",?/, "");
      if (comparable !== lastOverview) {
        const first = lastOverview === "";
        lastOverview = comparable;
        broadcast("overview", text);
        // changed by another process: tell the pages to re-read (no ids: this process cannot name them)
        if (!first && changedIds.size === 0) scheduleJobs();
      }
    } catch (err) {
      opts.logger.warn({ err }, "console: overview poll failed");
    } finally {
      polling = false;
    }
  }

  const pollTimer = setInterval(() => void poll(), pollMs);
  const keepAlive = setInterval(() => {
    for (const res of clients) res.write(": keep-alive\n\n");
  }, opts.keepAliveMs ?? 15_000);
  pollTimer.unref();
  keepAlive.unref();

  return {
    open(req, res) {
      if (clients.size >= maxClients) {
        const oldest = clients.values().next().value as ServerResponse;
        clients.delete(oldest);
        oldest.end();
      }
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      // a reconnecting browser waits 2 s, not the default 3
      res.write("retry: 2000\n\n");
      clients.add(res);
      req.on("close", () => clients.delete(res));
      void opts.overview().then(
        (overview) => {
          if (clients.has(res)) send(res, "overview", JSON.stringify(overview));
        },
        (err: unknown) => opts.logger.warn({ err }, "console: first overview failed"),
      );
    },
    clientCount: () => clients.size,
    close() {
      detach();
      clearInterval(pollTimer);
      clearInterval(keepAlive);
      if (jobsTimer) clearTimeout(jobsTimer);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
