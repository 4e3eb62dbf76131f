/**
 * `pf-fleet` / `pf-fleet stdio`: MCP over stdio. Nothing is imported statically: stdout must be reserved for
 * the protocol before any dependency has a chance to print to it.
 */
export async function run(argv: string[]): Promise<number> {
  const { reserveStdoutForProtocol } = await import("../transports/stdout-guard.js");
  const protocolOut = reserveStdoutForProtocol();
  const [{ loadConfig }, { createServer }, { serveStdio }, { createLogger }, { parseCommandFlags }] = await Promise.all(
    [
      import("../config.js"),
      import("../server.js"),
      import("../transports/stdio.js"),
      import("../log.js"),
      import("../transports/flags.js"),
    ],
  );
  const { unknown } = parseCommandFlags(argv, {});
  if (unknown.length) {
    process.stderr.write(`pf-fleet stdio: unknown option ${unknown.join(", ")} (see pf-fleet --help)\n`);
    return 2;
  }
  const config = loadConfig(process.env, argv);
  const logger = createLogger(config.logLevel);
  const fleet = await createServer(config, { lazy: true, logger, startScheduler: true });
  await serveStdio(fleet, protocolOut);
  return 0;
}
