import { FleetError } from "../src/errors.js";
import { parseTaskArgs, schedulableTask } from "./catalog.js";
import type { ScheduleSeed } from "./defaults.js";
import { nextSlot, type SlotRule, slotRule } from "./slots.js";
import { canonicalTimeZone } from "./timezone.js";
import type { Schedule, SchedulePatch } from "./types.js";

/**
 * Turning operator input into a schedule row, with every check done before anything is written: a bad cron,
 * interval, timezone, policy, expiry or task args is INVALID_INPUT naming the value.
 */

const MAX_INTERVAL_SECONDS = 366 * 86_400;
const MAX_EXPIRY_SECONDS = 30 * 86_400;
export const MIN_USER_INTERVAL_SECONDS = 60;
const UNCHANGED = "nothing was changed; list_schedules shows each schedule's current settings";

/** NOT_FOUND for a schedule name, listing the ones that exist. */
export function unknownSchedule(name: string, known: readonly string[]): FleetError {
  return new FleetError("NOT_FOUND", `no schedule named \`${name}\``, {
    hint: `known schedules: ${known.join(", ")}; list_schedules shows each one's settings`,
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
    origin: "builtin",
    createdAt: now,
    updatedAt: now,
  };
  const timing = seed.cron !== undefined ? { cron: seed.cron } : { intervalSeconds: seed.intervalSeconds as number };
  return applyPatch(draft, { ...timing, args: seed.args }, now);
}

/**
 * Schedules made from the chat fire at most once a minute: each firing is a durable job, and a per-second
 * schedule would flood the queues. Built-in ones keep the operator's full range (tests retime them to 1 s).
 */
function assertAtMostOncePerMinute(rule: SlotRule): void {
  if (rule.kind === "interval" && rule.everyMs < MIN_USER_INTERVAL_SECONDS * 1000) {
    throw new FleetError(
      "INVALID_INPUT",
      `interval_seconds must be at least ${MIN_USER_INTERVAL_SECONDS} for a created schedule, got \`${rule.everyMs / 1000}\``,
      { hint: `a created schedule fires at most once a minute; ${UNCHANGED}` },
    );
  }
  if (rule.kind === "cron" && rule.spec.seconds.filter(Boolean).length > 1) {
    throw new FleetError("INVALID_INPUT", `cron \`${rule.spec.source}\` fires more than once a minute`, {
      hint: `a created schedule fires at most once a minute: use 5 fields, or one fixed second in the 6-field form; ${UNCHANGED}`,
    });
  }
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
  const rule = slotRule(next);
  if (next.origin === "user") assertAtMostOncePerMinute(rule);
  if (nextSlot(rule, now) === null) {
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
