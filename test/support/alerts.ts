import type { Logger } from "../../src/log.js";
import { silentLogger } from "../../src/log.js";

/**
 * Counts the engine's failure alerts: the failure hook logs every critical one at error level (and POSTs the same
 * to a webhook). Give `logger` to the engine; `critical` collects the messages.
 */
export function alertCounter(): { logger: Logger; critical: string[] } {
  const critical: string[] = [];
  const make = (): Logger =>
    new Proxy(silentLogger, {
      get(target, prop, receiver) {
        if (prop === "child") return () => make();
        if (prop === "error") return (_fields: unknown, msg?: string) => critical.push(String(msg));
        return Reflect.get(target, prop, receiver);
      },
    });
  return { logger: make(), critical };
}
