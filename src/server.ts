/**
 * The server factory every entry point and every test uses: opens the database, builds the fleet, the job
 * engine and its tasks, the client (live URLs or the embedded sandbox), the scheduler, and an MCP server with
 * every tool and resource. The slow parts (starting the sandbox, engine recovery, importing PF_API_KEY) run in
 * the background so `initialize` is answered at once; tools wait for them through the deferred client. The
 * PF_API_KEY import is retried on transient failures for as long as the process runs; until it succeeds every
 * tool answer carries a notice saying so.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createScheduler } from "../scheduler/index.js";
import type { FleetConfig, ServiceUrls } from "./config.js";
import type { FleetDeps } from "./deps.js";
import { FleetError, toFleetError } from "./errors.js";
import { type ImportRetryOptions, PrimaryImport } from "./fleet/import-primary.js";
import { assertDatabaseMode, createFleetStore } from "./fleet/index.js";
import { prepareKeyVault } from "./fleet/key-check.js";
import { openKeyVault } from "./fleet/key-vault.js";
import { DatabaseClock } from "./jobs/database-clock.js";
import { createJobEngine } from "./jobs/index.js";
import { registerFleetTasks } from "./jobs/tasks/index.js";
import { createLogger, type Logger } from "./log.js";
import { deferredClient } from "./mcp/deferred-client.js";
import { createSessionServer, type SessionServer } from "./mcp/session-server.js";
import { setAnswerNotices } from "./mcp/tool.js";
import { createPurpleFleaClient } from "./purpleflea/index.js";
import type { PurpleFleaClient } from "./purpleflea/types.js";
import type { RunningSandbox, SandboxOptions } from "./sandbox/types.js";
import { type Dialect, openStorage } from "./storage/index.js";

export interface CreateServerOptions {
  logger?: Logger;
  /**
   * Resolve before the background setup is done (entry points: answer `initialize` first). By default the
   * promise resolves once the sandbox, the engine and the key import are ready, which is what tests want.
   */
  lazy?: boolean;
  /** options for the embedded sandbox (sandbox mode); tests turn rate limits off or inject faults */
  sandbox?: Omit<SandboxOptions, "dbPath" | "logger">;
  /** start the job engine's dispatcher (default true); false leaves enqueued jobs waiting */
  startEngine?: boolean;
  /**
   * start the scheduler's timer (default false: tests must not see a schedule fire between two assertions;
   * the entry points turn it on). Its tools work either way.
   */
  startScheduler?: boolean;
  /** backoff of the PF_API_KEY import's retries (live mode); tests shorten it */
  importRetry?: ImportRetryOptions;
}

export interface FleetServer {
  /** the first MCP server (stdio uses it; HTTP sessions call `createSessionServer`) */
  server: McpServer;
  deps: FleetDeps;
  /**
   * settles when background setup is done (the PF_API_KEY import's first try included: a transient failure
   * leaves it retrying in the background, see `primaryImport`); rejects with the startup error
   */
  ready: Promise<void>;
  /** the PF_API_KEY import (live mode with a key), retried until it succeeds or is refused */
  primaryImport: PrimaryImport | undefined;
  /** another MCP server over the same dependencies, for one more session */
  createSessionServer(): SessionServer;
  /** stops everything this factory started, in order; safe to call twice */
  close(): Promise<void>;
}

export async function createServer(config: FleetConfig, opts: CreateServerOptions = {}): Promise<FleetServer> {
  assertModeConfigured(config);
  const logger = opts.logger ?? createLogger(config.logLevel);
  // the database holds the fleet's keys: only its owner may read it
  const storage = await openStorage(config.dbPath, { private: true });
  let engineStarted = false;
  let schedulerStarted = false;
  let sandbox: RunningSandbox | undefined;
  let realClient: PurpleFleaClient | undefined;
  let clock: DatabaseClock | undefined;
  const sessions = new Set<SessionServer>();
  try {
    assertSandboxShared(config, storage.dialect);
    await assertDatabaseMode(storage, config.mode);
    const vault = openKeyVault({
      secret: config.secretKey,
      secretFile: config.secretKeyFile,
      sqlitePath: storage.dialect === "sqlite" ? config.dbPath : undefined,
    });
    await prepareKeyVault(storage, vault, logger);
    const fleet = createFleetStore(storage, config, { vault });
    // on a shared database every process keeps time by the database's clock (machines' clocks drift)
    clock = storage.dialect === "postgres" ? await DatabaseClock.start(storage) : undefined;
    const engine = createJobEngine({
      storage,
      config,
      logger,
      egressId: config.egressId,
      firesSchedules: Boolean(opts.startScheduler && config.worker),
      ...(clock ? { clock } : {}),
    });
    const scheduler = await createScheduler({ storage, engine, logger, ...(clock ? { clock } : {}) });

    let resolveClient!: (c: PurpleFleaClient) => void;
    let rejectClient!: (e: unknown) => void;
    const clientReady = new Promise<PurpleFleaClient>((resolve, reject) => {
      resolveClient = resolve;
      rejectClient = reject;
    });
    const deps: FleetDeps = {
      config,
      mode: config.mode,
      storage,
      logger,
      client: deferredClient(clientReady),
      engine,
      fleet,
      sandbox: undefined,
      scheduler,
    };
    const primaryImport =
      config.apiKey && config.mode === "live" ? new PrimaryImport(deps, config.apiKey, opts.importRetry) : undefined;
    // Against a sandbox whose limits are off, drawing from rate-limit buckets would only slow things down.
    registerFleetTasks(engine, deps, {
      rateLimits: config.mode === "live" || opts.sandbox?.rateLimits !== false,
      ...(clock ? { clock } : {}),
    });

    const ready = (async () => {
      try {
        const urls =
          config.mode === "live"
            ? config.urls
            : config.sandboxUrl
              ? sharedSandboxUrls(config.sandboxUrl)
              : await startEmbeddedSandbox();
        realClient = createPurpleFleaClient({ urls, logger });
        resolveClient(realClient);
        if (opts.startEngine ?? config.worker) {
          await engine.start();
          engineStarted = true;
        }
        // Beat runs whatever becomes of the import: schedules of other agents must fire, and the primary
        // agent's own ones run as soon as it is imported.
        if (opts.startScheduler && config.worker) {
          scheduler.start();
          schedulerStarted = true;
        }
        // The first try is waited for (a healthy start answers with the agent imported); after a transient
        // failure the import retries in the background and every tool answer says it is pending.
        await primaryImport?.start();
        if (config.apiKey && config.mode === "sandbox") {
          logger.warn(
            "PF_API_KEY is ignored in sandbox mode (a live key means nothing to the sandbox); set PF_MODE=live to use it",
          );
        }
        logger.info({ mode: config.mode, db: config.dbPath, sandbox: sandbox?.urls }, "pf-fleet ready");
      } catch (err) {
        const e = startupError(err);
        rejectClient(e);
        logger.error({ err: e.toJSON() }, "pf-fleet failed to start");
        throw e;
      }
    })();

    async function startEmbeddedSandbox(): Promise<ServiceUrls> {
      const { startSandbox } = await import("./sandbox/index.js");
      sandbox = await startSandbox({
        port: config.sandboxPort,
        ...opts.sandbox,
        dbPath: sandboxDbPath(config.dbPath),
        logger,
      });
      deps.sandbox = sandbox;
      return {
        ...sandbox.urls,
        // The sandbox has no public wallet; point the (on-chain only) wallet client at a loopback 404
        // rather than at production.
        wallet: `${sandbox.controlUrl}/_sandbox/no-wallet/v1`,
      };
    }

    const newSession = (): SessionServer => {
      const session = createSessionServer(deps);
      if (primaryImport) {
        setAnswerNotices(session.server, () => {
          const notice = primaryImport.notice();
          return notice ? [notice] : [];
        });
      }
      sessions.add(session);
      const { server } = session;
      const previous = server.server.onclose;
      server.server.onclose = () => {
        previous?.();
        session.dispose();
        sessions.delete(session);
      };
      return session;
    };
    const first = newSession();

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        await ready.catch(() => undefined);
        await primaryImport?.stop();
        for (const s of [...sessions]) {
          s.dispose();
          await s.server.close().catch(() => undefined);
        }
        if (schedulerStarted) await scheduler.stop().catch((err: unknown) => logger.warn({ err }, "scheduler stop"));
        if (engineStarted)
          await engine.stop({ graceMs: 2_000 }).catch((err: unknown) => logger.warn({ err }, "engine stop"));
        await realClient?.close().catch(() => undefined);
        await sandbox?.close().catch(() => undefined);
        clock?.stop();
        await storage.close();
      })();
      return closing;
    };

    if (!opts.lazy) {
      try {
        await ready;
      } catch (err) {
        await close();
        throw err;
      }
    } else {
      ready.catch(() => undefined);
    }
    return { server: first.server, deps, ready, primaryImport, createSessionServer: newSession, close };
  } catch (err) {
    clock?.stop();
    await storage.close();
    throw err;
  }
}

/** Live mode moves real money, so it needs an explicit opt-in AND a key; anything else is a startup error. */
function assertModeConfigured(config: FleetConfig): void {
  if (config.mode === "live" && !config.apiKey) {
    throw new FleetError("INVALID_INPUT", "PF_MODE=live needs PF_API_KEY (a casino key `sk_live_…`)", {
      hint: "set PF_API_KEY to the primary agent's casino key, or leave PF_MODE unset to use the embedded sandbox",
    });
  }
}

/**
 * Every process of a fleet on PostgreSQL must see the same Purple Flea: in sandbox mode that is one shared
 * `pf-fleet sandbox`, never a sandbox embedded in each process (each would be a different "server").
 */
function assertSandboxShared(config: FleetConfig, dialect: Dialect): void {
  if (config.mode === "sandbox" && dialect === "postgres" && !config.sandboxUrl) {
    throw new FleetError("INVALID_INPUT", "sandbox mode on PostgreSQL needs a shared sandbox (PF_SANDBOX_URL)", {
      hint: "run `pf-fleet sandbox --host 0.0.0.0 --port 7000` once and give every process PF_SANDBOX_URL=http://<that host>:7000, or use PF_MODE=live",
    });
  }
}

/** a `pf-fleet sandbox` at `origin`: casino on its port, escrow, faucet, domains on the next three */
export function sharedSandboxUrls(origin: string): ServiceUrls {
  const url = new URL(origin);
  const at = (offset: number) => {
    const u = new URL(url);
    u.port = String(Number(url.port) + offset);
    return u.origin;
  };
  return {
    casino: `${at(0)}/api/v1`,
    escrow: at(1),
    faucet: at(2),
    domains: `${at(3)}/v1`,
    wallet: `${at(0)}/_sandbox/no-wallet/v1`,
  };
}

/** The sandbox's own state lives beside the fleet database, so sandbox agents and their balances survive restarts. */
export function sandboxDbPath(dbPath: string): string {
  if (dbPath === ":memory:") return ":memory:";
  return dbPath.endsWith(".db") ? `${dbPath.slice(0, -3)}.sandbox.db` : `${dbPath}.sandbox.db`;
}

function startupError(err: unknown): FleetError {
  const e = toFleetError(err);
  if (e.code !== "INTERNAL") return e;
  return new FleetError("UPSTREAM_UNAVAILABLE", `pf-fleet could not finish starting: ${e.message}`, {
    cause: err,
    kind: "permanent",
    hint: "see the server's stderr log; restart pf-fleet after fixing the cause",
  });
}
