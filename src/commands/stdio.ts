/**
 * `pf-fleet` / `pf-fleet stdio`: MCP over stdio. Nothing is imported statically: stdout must be reserved for
 * the protocol before any dependency has a chance to print to it. `initialize` is answered as soon as the
 * configuration is known to be valid, before the rest of pf-fleet loads (see transports/early-initialize.ts).
 */
export async function run(argv: string[]): Promise<number> {
  const { reserveStdoutForProtocol } = await import("../transports/stdout-guard.js");
  const protocolOut = reserveStdoutForProtocol();
  const [{ loadConfig }, { flagProblems, parseCommandFlags }, { listenStdio }] = await Promise.all([
    import("../config.js"),
    import("../transports/flags.js"),
    import("../transports/stdio.js"),
  ]);
  const flags = parseCommandFlags(argv, {});
  const problems = flagProblems("stdio", flags);
  if (problems) {
    process.stderr.write(problems);
    return 2;
  }
  const config = loadConfig(process.env, argv);
  const transport = await listenStdio(protocolOut);
  const [{ createServer }, { serveStdio }, { createLogger }] = await Promise.all([
    import("../server.js"),
    import("../transports/stdio.js"),
    import("../log.js"),
  ]);
  const logger = createLogger(config.logLevel);
  transport.onMismatch = (early, real) =>
    logger.error({ early, real }, "the early initialize answer differs from the server's; a pf-fleet bug");
  const fleet = await createServer(config, { lazy: true, logger, startScheduler: true });
  await serveStdio(fleet, transport);
  return 0;
}
