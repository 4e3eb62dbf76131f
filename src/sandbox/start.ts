import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FleetError } from "../errors.js";
import { silentLogger } from "../log.js";
import { MEMORY_DATABASE_MAX_BYTES, migrate, openDatabase, openMemoryDatabase } from "../storage/sqlite/connection.js";
import { casinoService } from "./casino/service.js";
import { SandboxClock } from "./clock.js";
import { createControls } from "./control/operations.js";
import { controlRouter } from "./control/routes.js";
import { domainsService } from "./domains/service.js";
import { escrowService } from "./escrow/service.js";
import { faucetService } from "./faucet/service.js";
import { createServiceServer } from "./http/service-server.js";
import { SANDBOX_MIGRATIONS } from "./schema.js";
import type { RunningSandbox, SandboxOptions } from "./types.js";
import { createWorld } from "./world.js";

/** The escrow service sweeps timeouts this often (sandbox time runs at real speed between clock jumps). */
const ESCROW_SWEEP_INTERVAL_MS = 5 * 60_000;
const SERVICE_COUNT = 4;

/**
 * Starts the four services on 127.0.0.1 (by default), each its own HTTP server: casino on `port`, escrow,
 * faucet and domains on the next three, or ephemeral ports when `port` is 0/undefined.
 */
export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const host = opts.host ?? "127.0.0.1";
  const basePort = opts.port ?? 0;
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65_535 - (SERVICE_COUNT - 1)) {
    throw new FleetError("INVALID_INPUT", `port must be an integer from 0 to 65532, got \`${basePort}\``);
  }
  const log = opts.logger ?? silentLogger;
  // a file is 0600 like pf-fleet's own database: the sandbox's holds the agents' key hashes and every balance
  const inMemory = opts.dbPath === undefined || opts.dbPath === ":memory:";
  const db = inMemory ? openMemoryDatabase() : openDatabase(opts.dbPath as string, { private: true });
  try {
    migrate(db, "sandbox", SANDBOX_MIGRATIONS);
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    const maxBytes = opts.maxStorageBytes;
    if (maxBytes !== undefined) {
      if (!Number.isFinite(maxBytes) || maxBytes <= 0) {
        throw new FleetError("INVALID_INPUT", `maxStorageBytes must be a positive number, got \`${maxBytes}\``);
      }
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(maxBytes / pageSize))}`);
    }
    const storage = () => {
      const pages = (pragma: string) => db.pragma(pragma, { simple: true }) as number;
      const bytes = pages("page_count") * pageSize;
      if (!inMemory && maxBytes === undefined) return { bytes, maxBytes: null };
      const cap = pages("max_page_count") * pageSize;
      return { bytes, maxBytes: inMemory ? Math.min(cap, MEMORY_DATABASE_MAX_BYTES) : cap };
    };
    const world = createWorld(db, new SandboxClock(opts.now), log);
    const escrow = escrowService(world);
    const domains = domainsService(world);
    const controls = createControls(world, domains.accounts);
    controls.setRateLimits(opts.rateLimits ?? true);
    controls.setFaults(opts.faults ?? null);

    const router = controlRouter(controls);
    const definitions = [casinoService(world), escrow.definition, faucetService(world), domains.definition];
    const servers = definitions.map((definition) => createServiceServer(definition, world, router));
    const ports = await listenAll(servers, host, basePort);

    const sweep = (): void => {
      escrow.sweepExpired();
    };
    sweep();
    const timer = setInterval(sweep, ESCROW_SWEEP_INTERVAL_MS);
    timer.unref();
    const stopSweepingOnAdvance = world.clock.onAdvance(sweep);

    const origin = (port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const [casino, escrowPort, faucet, domainsPort] = ports as [number, number, number, number];
    const urls = {
      casino: `${origin(casino)}/api/v1`,
      escrow: origin(escrowPort),
      faucet: origin(faucet),
      domains: `${origin(domainsPort)}/v1`,
    };
    log.info({ urls }, "sandbox listening");

    let closing: Promise<void> | undefined;
    return {
      urls,
      controlUrl: origin(casino),
      fund: (agentId, usd) => {
        controls.fund(agentId, usd);
      },
      advanceClock: (ms) => {
        controls.advanceClock(ms);
      },
      now: controls.now,
      setFaults: controls.setFaults,
      setRateLimits: controls.setRateLimits,
      stats: controls.stats,
      resetStats: controls.resetStats,
      balanceOf: controls.balanceOf,
      storage,
      close() {
        closing ??= (async () => {
          clearInterval(timer);
          stopSweepingOnAdvance();
          await Promise.all(servers.map(closeServer));
          db.close();
          log.info("sandbox closed");
        })();
        return closing;
      },
    };
  } catch (err) {
    if (db.open) db.close();
    throw err;
  }
}

async function listenAll(servers: Server[], host: string, basePort: number): Promise<number[]> {
  const ports: number[] = [];
  try {
    for (const [i, server] of servers.entries()) {
      ports.push(await listen(server, host, basePort === 0 ? 0 : basePort + i));
    }
    return ports;
  } catch (err) {
    await Promise.all(servers.filter((s) => s.listening).map(closeServer));
    throw err;
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        new FleetError("INVALID_INPUT", `sandbox cannot listen on ${host}:${port}: ${err.code ?? err.message}`, {
          cause: err,
          hint: err.code === "EADDRINUSE" ? "pick another --port, or 0 for ephemeral ports" : undefined,
        }),
      );
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
