import type { PurpleFleaClient } from "../purpleflea/types.js";

/**
 * A client whose every call first waits for the real one. The server answers `initialize` before the embedded
 * sandbox is listening (its URLs are not known yet); tools hold this facade and simply wait for readiness.
 * If startup failed, every call rejects with that startup error.
 */
export function deferredClient(ready: Promise<PurpleFleaClient>): PurpleFleaClient {
  // Startup failures are reported by whoever awaits readiness; don't let this copy go unhandled.
  ready.catch(() => undefined);
  const section = <K extends Exclude<keyof PurpleFleaClient, "close">>(name: K): PurpleFleaClient[K] =>
    new Proxy({} as PurpleFleaClient[K], {
      get(_target, method) {
        // Not a thenable: `await deps.client.casino` must not call into the proxy.
        if (method === "then" || typeof method === "symbol") return undefined;
        return async (...args: unknown[]) => {
          const client = await ready;
          const fn = (client[name] as unknown as Record<string, (...a: unknown[]) => unknown>)[method];
          if (typeof fn !== "function") throw new TypeError(`client.${String(name)}.${method} is not a function`);
          return fn.apply(client[name], args);
        };
      },
    });
  return {
    casino: section("casino"),
    escrow: section("escrow"),
    faucet: section("faucet"),
    domains: section("domains"),
    wallet: section("wallet"),
    close: async () => {
      const client = await ready.catch(() => undefined);
      await client?.close();
    },
  };
}
