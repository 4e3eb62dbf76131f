import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The BullMQ comparator's Redis: Debian's `redis-server`, one fresh instance per measured run, on a free
 * 127.0.0.1 port, with a temp dir, no RDB snapshots and an fsync per write (`--save '' --appendonly yes
 * --appendfsync always`), stopped afterwards. The temp dir is in the same `os.tmpdir()` as the engine bench's
 * SQLite file, so both sides fsync to the same disk.
 *
 * Also the /proc readings the bench takes of it (CPU, RSS), since its CPU is part of BullMQ's cost per bet.
 */

export interface RedisHandle {
  host: string;
  port: number;
  pid: number;
  /** the server's working dir (its append-only files) */
  dir: string;
}

export interface RedisServer extends RedisHandle {
  stop(): Promise<void>;
}

const READY = "Ready to accept connections";
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** Servers not stopped yet: stopped by `stopAllRedis` / `killAllRedisSync` when the bench ends on an error or a signal. */
const live = new Set<{ child: ChildProcess; dir: string; stop?: () => Promise<void> }>();

export async function startRedis(bin = process.env.REDIS_SERVER ?? "redis-server"): Promise<RedisServer> {
  const version = spawnSync(bin, ["--version"], { encoding: "utf8" });
  if (version.error || version.status !== 0) {
    throw new Error(
      `\`${bin}\` is not runnable (${version.error?.message ?? version.stderr}); install Debian's: ` +
        "apt-get update && apt-get install -y redis-server (or set REDIS_SERVER)",
    );
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(bin, await freePort());
    } catch (err) {
      lastError = err; // most likely the port was taken between probing and binding: try another
    }
  }
  throw lastError;
}

async function startOnce(bin: string, port: number): Promise<RedisServer> {
  const host = "127.0.0.1";
  const dir = mkdtempSync(join(tmpdir(), "pf-bench-redis-"));
  const child = spawn(
    bin,
    [
      "--port",
      String(port),
      "--bind",
      host,
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--daemonize",
      "no",
      "--logfile",
      "",
      "--loglevel",
      "notice",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const entry: { child: ChildProcess; dir: string; stop?: () => Promise<void> } = { child, dir };
  live.add(entry);
  let log = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`redis-server not ready after ${START_TIMEOUT_MS} ms:\n${log}`)),
        START_TIMEOUT_MS,
      );
      const onData = (d: Buffer): void => {
        log = (log + d.toString()).slice(-4_000);
        if (log.includes(READY)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${log}`));
      });
    });
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    live.delete(entry);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // keep draining its output so a full pipe never blocks it
  child.stdout?.removeAllListeners("data").resume();
  child.stderr?.removeAllListeners("data").resume();
  const pid = child.pid as number;
  let stopping: Promise<void> | undefined;
  entry.stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      live.delete(entry);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { host, port, pid, dir, stop: entry.stop };
}

/** Stops every server still running (SIGTERM, then SIGKILL after 5 s) and removes its dir. */
export async function stopAllRedis(): Promise<void> {
  await Promise.all([...live].map((e) => e.stop?.()));
}

/** Last resort for `process.on("exit")`: SIGKILL every server still running and remove its dir. */
export function killAllRedisSync(): void {
  for (const { child, dir } of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
  live.clear();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of /proc/<pid>/stat's utime and stime (100 on Linux/x64). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const n = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim());
    clockTicks = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

/**
 * CPU time (user + system, all threads) a process has used so far, ms, from /proc/<pid>/stat's utime + stime.
 * Resolution is one clock tick (10 ms at USER_HZ = 100).
 */
export function procCpuMs(pid: number): number {
  ticksPerSecond();
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // fields after the parenthesised command name, starting at field 3 (state): utime is field 14, stime 15
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / ticksPerSecond();
}

/** A process's resident set now and its high-water mark so far (VmRSS, VmHWM), MB. */
export function procRssMb(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status)?.[1] ?? 0);
  const toMb = (k: number): number => Math.round((k / 1024) * 10) / 10;
  return { rssMb: toMb(kb("VmRSS")), peakMb: toMb(kb("VmHWM")) };
}

/** Bytes under a directory (the append-only files of a run). */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const st = statSync(join(dir, name));
    if (st.isFile()) total += st.size;
  }
  return total;
}
