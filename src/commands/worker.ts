/**
 * `pf-fleet worker`: a headless process that claims and runs jobs, fires schedules and reconciles money jobs, with
 * no MCP transport (Celery's `celery worker -B`). Start as many as you like on one shared database — PostgreSQL
 * across machines, or one SQLite file on one machine. SIGTERM/SIGINT stops it gracefully: running jobs get a
 * grace period to finish, the rest are handed back; after a SIGKILL the leases run out and others recover them.
 */
import { loadConfig } from "../config.js";
import { FleetError } from "../errors.js";
import { createLogger } from "../log.js";
import { createServer } from "../server.js";
import { flagProblems, parseCommandFlags } from "../transports/flags.js";

export async function run(argv: string[]): Promise<number> {
  const flags = parseCommandFlags(argv, {});
  const problems = flagProblems("worker", flags);
  if (problems) {
    process.stderr.write(problems);
    return 2;
  }
  const config = loadConfig(process.env, argv);
  if (!config.worker) {
    throw new FleetError("INVALID_INPUT", "pf-fleet worker with PF_WORKER=false (or --no-worker) would do nothing", {
      hint: "drop --no-worker / PF_WORKER=false for this process",
    });
  }
  const logger = createLogger(config.logLevel);
  const fleet = await createServer(config, { logger, startScheduler: true });
  const { storage } = fleet.deps;
  logger.info({ db: storage.location, egress: config.egressId, mode: config.mode }, "pf-fleet worker ready");
  process.stderr.write(`pf-fleet worker: ready (egress ${config.egressId}, database ${storage.location})\n`);
  const signal = await new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  logger.info({ signal }, "pf-fleet worker stopping: finishing or handing back its jobs");
  await fleet.close();
  return 0;
}
