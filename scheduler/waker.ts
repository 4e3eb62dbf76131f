import cron from "node-cron";
import type { Logger } from "../src/log.js";

/**
 * The Beat loop's alarm clock: node-cron calls `onTick` at the top of every second. It decides nothing; each
 * tick recomputes what is due from SQLite, so a missed or doubled wake-up cannot skip or repeat a slot.
 * unref'd: a scheduler alone does not keep the process alive (the transport does).
 */
export function startWaker(onTick: () => void, logger: Logger): { stop(): Promise<void> } {
  const task = cron.createTask("* * * * * *", onTick, {
    name: "pf-fleet-beat",
    noOverlap: true,
    unref: true,
    // a late wake-up is harmless here (the next tick sees the same slot), so node-cron need not warn about it
    suppressMissedWarning: true,
    // node-cron's default logger writes to stdout, which belongs to the MCP protocol in stdio mode
    logger: {
      info: (message) => logger.debug({ source: "node-cron" }, message),
      warn: (message) => logger.warn({ source: "node-cron" }, message),
      error: (message, err) => logger.error({ source: "node-cron", err: err ?? message }, String(message)),
      debug: (message) => logger.debug({ source: "node-cron" }, String(message)),
    },
  });
  void task.start();
  return {
    async stop() {
      await task.destroy();
    },
  };
}
