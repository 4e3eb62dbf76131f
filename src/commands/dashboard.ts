import { loadConfig } from "../config.js";
import { createLogger } from "../log.js";
import { createServer } from "../server.js";
import { flagProblems, parseCommandFlags, parsePort } from "../transports/flags.js";
import { assertBindAllowed, startHttpServer } from "../transports/http.js";

const OWN_FLAGS = {
  "--port": { takesValue: true },
  "--host": { takesValue: true },
  "--allowed-host": { takesValue: true },
};

/**
 * `pf-fleet dashboard [--port 8788] [--host 127.0.0.1]`: the operations console alone, on the same database
 * as a stdio server (Claude Desktop, Claude Code), which has no HTTP port of its own. It reads and acts
 * (retry, cancel, pause, schedules) but runs no jobs and fires no schedules — the process it sits beside
 * does — and serves no MCP transport.
 */
export async function run(argv: string[]): Promise<number> {
  const flags = parseCommandFlags(argv, OWN_FLAGS);
  const problems = flagProblems("dashboard", flags, "pf-fleet --help");
  if (problems) {
    process.stderr.write(problems);
    return 2;
  }
  const { values } = flags;
  const port = parsePort(values["--port"], 8788);
  const host = typeof values["--host"] === "string" ? values["--host"] : "127.0.0.1";
  const allowedHosts = typeof values["--allowed-host"] === "string" ? values["--allowed-host"].split(",") : [];
  const config = loadConfig(process.env, argv);
  const auth = { token: config.httpToken, oauth: config.httpOAuth, resourceUrl: config.httpResourceUrl };
  assertBindAllowed(host, auth, allowedHosts);
  const logger = createLogger(config.logLevel);
  // no worker: jobs retried or queued from the console run in the process(es) that serve the agents
  const fleet = await createServer(config, { lazy: true, logger, startEngine: false, startScheduler: false });
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer(fleet, { port, host, ...auth, allowedHosts, mcp: false, logger });
  } catch (err) {
    await fleet.close();
    throw err;
  }
  logger.info({ console: `${http.url}/`, db: config.dbPath }, "pf-fleet console serving");
  process.stderr.write(`pf-fleet: console at ${http.url}/ (database ${config.dbPath})\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await http.close();
  await fleet.close();
  return 0;
}
