#!/usr/bin/env node
/**
 * A throwaway PostgreSQL cluster for the tests and the bench: `initdb` as the `postgres` user into a temp dir, a
 * free 127.0.0.1 port, unix socket in the same dir. `node test/support/pg-cluster.mjs start` prints
 * `PF_TEST_PG_URL=…` and `PF_TEST_PG_DIR=…`; `stop <dir>` stops it and removes the dir. Also imported by vitest's
 * global setup. Needs Debian's PostgreSQL (15 here) and root (the server refuses to run as root, so it runs as
 * `postgres` via runuser) or a non-root user who can run initdb themselves.
 */
import { execFileSync } from "node:child_process";
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** the newest PostgreSQL under /usr/lib/postgresql, or the one on PATH */
export function pgBinDir() {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], "bin");
  }
  try {
    return execFileSync("sh", ["-c", "dirname $(command -v initdb)"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function asPostgres(cmd, args, opts = {}) {
  const root = process.getuid?.() === 0;
  const [file, argv] = root ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", ...opts });
}

/**
 * Starts a cluster. `durable: false` (the tests) turns fsync off: the tests kill pf-fleet processes, never the
 * database server, so they lose nothing by it; the bench keeps the defaults (fsync and synchronous_commit on).
 * `listen` (listen_addresses) and `hba` (extra pg_hba.conf lines) open it to other hosts, e.g. the network
 * namespaces of test/hosts: `{ listen: "127.0.0.1,10.1.2.1", hba: ["host all all 10.1.2.0/24 trust"] }`. The port
 * is picked free on 127.0.0.1.
 */
export async function startCluster({ durable = false, listen = "127.0.0.1", hba = [] } = {}) {
  const bin = pgBinDir();
  if (!bin) throw new Error("PostgreSQL is not installed (no initdb): apt-get install postgresql");
  const dir = mkdtempSync(join(tmpdir(), "pf-pg-"));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  asPostgres(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  const settings = [
    `listen_addresses = '${listen}'`,
    `port = ${port}`,
    `unix_socket_directories = '${dir}'`,
    "max_connections = 300",
    "shared_buffers = 128MB",
    "log_min_messages = warning",
    ...(durable ? [] : ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]),
  ];
  // appended by this process: the file keeps its owner (postgres), who must be able to read it
  appendFileSync(join(data, "postgresql.conf"), `${settings.join("\n")}\n`);
  if (hba.length > 0) appendFileSync(join(data, "pg_hba.conf"), `${hba.join("\n")}\n`);
  asPostgres(join(bin, "pg_ctl"), ["-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"]);
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, dir, port, bin };
}

export function stopCluster(dir) {
  const bin = pgBinDir();
  try {
    if (bin) asPostgres(join(bin, "pg_ctl"), ["-D", join(dir, "data"), "-m", "immediate", "-w", "stop"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, arg] = process.argv.slice(2);
  if (command === "start") {
    const cluster = await startCluster({ durable: arg === "--durable" });
    process.stdout.write(`PF_TEST_PG_URL=${cluster.url}\nPF_TEST_PG_DIR=${cluster.dir}\n`);
  } else if (command === "stop" && arg) {
    stopCluster(arg);
  } else {
    process.stderr.write("usage: pg-cluster.mjs start [--durable] | stop <dir>\n");
    process.exit(2);
  }
}
