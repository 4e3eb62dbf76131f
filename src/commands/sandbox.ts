import { FleetError } from "../errors.js";
import { createLogger } from "../log.js";
import type { SandboxOptions } from "../sandbox/index.js";
import { parseFaults, startSandbox } from "../sandbox/index.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

const USAGE = `Usage: pf-fleet sandbox [--port N] [--host 127.0.0.1] [--db PATH] [--json]
                        [--faults error=0.1,reset=0.05,drop=0.05,partial=0.02,burst429=0.02,latency=20,seed=7,scope=money]
                        [--no-rate-limits] [--log-level LEVEL]`;

interface SandboxCommand {
  options: SandboxOptions;
  json: boolean;
  logLevel: string;
}

/**
 * `pf-fleet sandbox`: runs the local Purple Flea sandbox until SIGINT/SIGTERM. Prints one `<service> <base URL>`
 * line per service (or one JSON object with `--json`) on stdout; logs go to stderr.
 */
export async function run(argv: string[]): Promise<number> {
  let command: SandboxCommand;
  try {
    command = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`pf-fleet sandbox: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  const logger = createLogger(command.logLevel);
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox({ ...command.options, logger });
  } catch (err) {
    process.stderr.write(`pf-fleet sandbox: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const host = command.options.host ?? "127.0.0.1";
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
    logger.warn(
      { host },
      "the sandbox's /_sandbox/ controls have no auth; anyone who can reach this host can use them",
    );
  }
  const { urls } = sandbox;
  process.stdout.write(
    command.json
      ? `${JSON.stringify(urls)}\n`
      : `casino ${urls.casino}\nescrow ${urls.escrow}\nfaucet ${urls.faucet}\ndomains ${urls.domains}\n`,
  );
  const signal = await nextShutdownSignal();
  logger.info({ signal }, "sandbox shutting down");
  await sandbox.close();
  return 0;
}

function parseArgs(argv: readonly string[]): SandboxCommand {
  const command: SandboxCommand = {
    options: {},
    json: false,
    logLevel: process.env.LOG_LEVEL ?? "info",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf("=");
    const flag = eq > 0 && arg.startsWith("--") ? arg.slice(0, eq) : arg;
    const inline = eq > 0 && arg.startsWith("--") ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new FleetError("INVALID_INPUT", `${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--port": {
        const raw = value();
        const port = Number(raw);
        if (!/^\d+$/.test(raw) || port > 65_532) {
          throw new FleetError("INVALID_INPUT", `--port must be an integer from 0 to 65532, got \`${raw}\``);
        }
        command.options.port = port;
        break;
      }
      case "--host":
        command.options.host = value();
        break;
      case "--db":
        command.options.dbPath = value();
        break;
      case "--faults":
        command.options.faults = parseFaults(value());
        break;
      case "--log-level":
        command.logLevel = value();
        break;
      case "--json":
        command.json = true;
        break;
      case "--no-rate-limits":
        command.options.rateLimits = false;
        break;
      default:
        throw new FleetError("INVALID_INPUT", `unknown option \`${arg}\``);
    }
  }
  if (!LOG_LEVELS.includes(command.logLevel)) {
    throw new FleetError(
      "INVALID_INPUT",
      `log level must be one of ${LOG_LEVELS.join(", ")}, got \`${command.logLevel}\` (--log-level or LOG_LEVEL)`,
    );
  }
  return command;
}

function nextShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
