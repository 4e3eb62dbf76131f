import { Writable } from "node:stream";

/**
 * In stdio mode stdout carries MCP messages only. Call this before anything else is loaded: it keeps the real
 * stdout for the protocol (the returned stream) and sends everything else that writes to process.stdout —
 * console.log of a dependency included — to stderr instead.
 */
export function reserveStdoutForProtocol(): Writable {
  const stdout = process.stdout;
  const protocolWrite = stdout.write.bind(stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  stdout.write = ((chunk: unknown, ...rest: unknown[]) =>
    (stderrWrite as (...a: unknown[]) => boolean)(chunk, ...rest)) as typeof stdout.write;
  for (const method of ["log", "info", "debug", "trace", "dir", "table"] as const) {
    // console captured process.stdout when it was created; point its stdout methods at stderr explicitly.
    (console as unknown as Record<string, unknown>)[method] = console.error.bind(console);
  }
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      protocolWrite(chunk, (err?: Error | null) => callback(err ?? null));
    },
  });
}
