import { randomFillSync } from "node:crypto";

/**
 * Job ids are UUIDv7 (RFC 9562): 48 bits of Unix ms first, so ids made later sort later. The indexes keyed by
 * job id (the primary key, `job_events`) then grow at their end rather than at random pages, which keeps the
 * pages a commit writes few. Within one millisecond a 12-bit counter keeps this process's ids in order; 62
 * random bits keep ids of different processes apart.
 */
const pool = Buffer.alloc(8 * 256);
let poolOffset = pool.length;
let lastMs = -1;
let counter = 0;

export function newJobId(now: number = Date.now()): string {
  if (now === lastMs) counter = (counter + 1) & 0xfff;
  else {
    lastMs = now;
    counter = 0;
  }
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const random = pool.subarray(poolOffset, poolOffset + 8);
  poolOffset += 8;
  random[0] = ((random[0] as number) & 0x3f) | 0x80; // the RFC 9562 variant
  const ms = now.toString(16).padStart(12, "0");
  const rand = random.toString("hex");
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${counter.toString(16).padStart(3, "0")}-${rand.slice(0, 4)}-${rand.slice(4)}`;
}
