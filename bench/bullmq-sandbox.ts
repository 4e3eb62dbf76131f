/**
 * The sandbox process of bench/compare-bullmq.ts: the embedded Purple Flea sandbox on ephemeral 127.0.0.1
 * ports with its rate limits off and no faults, as `pf-fleet sandbox --port 0 --json --no-rate-limits
 * --log-level silent` runs it, but importing only src/sandbox (so the comparator runs whatever state the rest
 * of src is in). Prints one JSON line `{ casino, escrow, faucet, domains, controlUrl }`; stops on SIGTERM/SIGINT
 * or when its stdin closes (the runner died).
 */
import { startSandbox } from "../src/sandbox/index.js";

async function main(): Promise<void> {
  const sandbox = await startSandbox({ port: 0, rateLimits: false });
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await sandbox.close();
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ ...sandbox.urls, controlUrl: sandbox.controlUrl })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench sandbox failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
