import { loadConfig } from "../config.js";
import { createLogger } from "../log.js";
import { createServer } from "../server.js";
import { flagProblems, parseCommandFlags, parsePort } from "../transports/flags.js";
import { assertBindAllowed, startHttpServer } from "../transports/http.js";

const OWN_FLAGS = {
  "--http": { takesValue: false },
  "--port": { takesValue: true },
  "--host": { takesValue: true },
  "--allowed-host": { takesValue: true },
};

/**
 * `pf-fleet serve --http [--port 8787] [--host 127.0.0.1] [--allowed-host NAME]`: MCP over Streamable HTTP
 * (`/mcp`) and legacy SSE (`/sse`), plus the operations console at `/`. Runs until SIGINT/SIGTERM.
 */
export async function run(argv: string[]): Promise<number> {
  const flags = parseCommandFlags(argv, OWN_FLAGS);
  const problems = flagProblems("serve", flags, "pf-fleet serve --help");
  if (problems) {
    process.stderr.write(problems);
    return 2;
  }
  const { values } = flags;
  if (!values["--http"]) {
    process.stderr.write("pf-fleet serve: pass --http (the only network transport); stdio is `pf-fleet stdio`\n");
    return 2;
  }
  const port = parsePort(values["--port"], 8787);
  const host = typeof values["--host"] === "string" ? values["--host"] : "127.0.0.1";
  const config = loadConfig(process.env, argv);
  const allowedHosts = typeof values["--allowed-host"] === "string" ? values["--allowed-host"].split(",") : [];
  const auth = { token: config.httpToken, oauth: config.httpOAuth, resourceUrl: config.httpResourceUrl };
  assertBindAllowed(host, auth, allowedHosts);
  const logger = createLogger(config.logLevel);
  const fleet = await createServer(config, { lazy: true, logger, startScheduler: true });
  let http: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    http = await startHttpServer(fleet, {
      port,
      host,
      ...auth,
      allowedHosts,
      sessions: config.httpSessions,
      logger,
    });
  } catch (err) {
    await fleet.close();
    throw err;
  }
  logger.info(
    {
      url: `${http.url}/mcp`,
      console: `${http.url}/`,
      auth: [config.httpToken && "token", config.httpOAuth && "oauth"].filter(Boolean),
      maxSessions: config.httpSessions.max,
    },
    "pf-fleet serving HTTP",
  );
  process.stderr.write(`pf-fleet: MCP at ${http.url}/mcp (legacy SSE at ${http.url}/sse), console at ${http.url}/\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  logger.info("shutting down");
  await http.close();
  await fleet.close();
  return 0;
}
