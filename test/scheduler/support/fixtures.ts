import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../../../src/jobs/index.js";

/** A fresh database path in its own temp directory; `cleanup` removes the directory. */
export function tempDbPath(): { path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "pf-fleet-scheduler-"));
  return { path: join(dir, "fleet.db"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export type FakeClock = ManualClock & { set(iso: string): number; at(ms: number): void };

/** The engine's manual clock, moved forward by hand; the scheduler and the engine share it. */
export function fakeClock(startIso: string): FakeClock {
  const clock = new ManualClock(Date.parse(startIso));
  const at = (ms: number) => clock.advance(ms - clock.now());
  return Object.assign(clock, {
    at,
    set(iso: string) {
      at(Date.parse(iso));
      return clock.now();
    },
  });
}

export const utc = (iso: string): number => Date.parse(iso);
export const isoOf = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString().replace(".000Z", "Z");
