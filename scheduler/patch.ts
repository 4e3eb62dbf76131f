import { FleetError } from "../src/errors.js";
import { parseTaskArgs, schedulableTask } from "./catalog.js";
import type { ScheduleSeed } from "./defaults.js";
import { nextSlot, slotRule } from "./slots.js";
import { canonicalTimeZone } from "./timezone.js";
import type { Schedule, SchedulePatch } from "./types.js";

/**
 * Turning operator input into a schedule row, with every check done before anything is written: a bad cron,
 * interval, timezone, policy, expiry or task args is INVALID_INPUT naming the value.
 */

const MAX_INTERVAL_SECONDS = 366 * 86_400;
const MAX_EXPIRY_SECONDS = 30 * 86_400;
const UNCHANGED = "nothing was changed; list_schedules shows each schedule's current settings";

/** NOT_FOUND for a schedule name, listing the ones that exist. */
export function unknownSchedule(name: string, known: readonly string[]): FleetError {
  return new FleetError("NOT_FOUND", `no schedule named \`${name}\``, {
    hint: `known schedules: ${known.join(", ")}`,
  });
}

export function scheduleFromSeed(seed: ScheduleSeed, now: number): Schedule {
  const task = schedulableTask(seed.task);
  const draft: Schedule = {
    name: seed.name,
    description: seed.description,
    task: seed.task,
    args: seed.args,
    queue: task.queue,
    cron: null,
    intervalSeconds: null,
    timezone: "UTC",
    enabled: seed.enabled,
    catchUp: seed.catchUp,
    expirySeconds: seed.expirySeconds,
    money: task.money,
    activeSince: now,
    createdAt: now,
    updatedAt: now,
  };
  const timing = seed.cron !== undefined ? { cron: seed.cron } : { intervalSeconds: seed.intervalSeconds as number };
  return applyPatch(draft, { ...timing, args: seed.args }, now);
}

export function applyPatch(current: Schedule, patch: SchedulePatch, now: number): Schedule {
  const next: Schedule = { ...current, updatedAt: now };
  if (patch.cron !== undefined && patch.intervalSeconds !== undefined) {
    throw new FleetError("INVALID_INPUT", "give either cron or intervalSeconds, not both", {
      hint: "a schedule runs on a cron expression or on a fixed interval",
    });
  }
  if (patch.cron !== undefined) {
    next.cron = patch.cron.trim();
    next.intervalSeconds = null;
  }
  if (patch.intervalSeconds !== undefined) {
    const s = patch.intervalSeconds;
    if (!Number.isInteger(s) || s < 1 || s > MAX_INTERVAL_SECONDS) {
      throw new FleetError(
        "INVALID_INPUT",
        `intervalSeconds must be a whole number from 1 to ${MAX_INTERVAL_SECONDS}, got \`${s}\``,
        { hint: UNCHANGED },
      );
    }
    next.intervalSeconds = s;
    next.cron = null;
  }
  if (patch.timezone !== undefined) next.timezone = canonicalTimeZone(patch.timezone);
  if (patch.args !== undefined) {
    parseTaskArgs(current.task, patch.args);
    next.args = patch.args;
  }
  if (patch.catchUp !== undefined) {
    if (patch.catchUp !== "skip" && patch.catchUp !== "latest") {
      throw new FleetError(
        "INVALID_INPUT",
        `catchUp must be \`skip\` or \`latest\`, got \`${String(patch.catchUp)}\``,
        { hint: UNCHANGED },
      );
    }
    next.catchUp = patch.catchUp;
  }
  if (patch.expirySeconds !== undefined) {
    const e = patch.expirySeconds;
    if (e !== null && (!Number.isInteger(e) || e < 1 || e > MAX_EXPIRY_SECONDS)) {
      throw new FleetError(
        "INVALID_INPUT",
        `expirySeconds must be null or a whole number from 1 to ${MAX_EXPIRY_SECONDS}, got \`${e}\``,
        { hint: UNCHANGED },
      );
    }
    next.expirySeconds = e;
  }
  if (patch.enabled !== undefined) next.enabled = patch.enabled;

  // parses the cron and proves the schedule can fire at all (`0 0 30 2 *` cannot)
  if (nextSlot(slotRule(next), now) === null) {
    throw new FleetError("INVALID_INPUT", `cron \`${next.cron}\` never fires (no match within eight years)`, {
      hint: `check the day-of-month and month fields (\`0 0 30 2 *\` asks for 30 February); ${UNCHANGED}`,
    });
  }
  const timingChanged =
    next.cron !== current.cron ||
    next.intervalSeconds !== current.intervalSeconds ||
    next.timezone !== current.timezone;
  // slots from before an enable or a timing change are not "missed": they must never be caught up
  if ((next.enabled && !current.enabled) || timingChanged) next.activeSince = now;
  return next;
}
