/**
 * The processes of a fleet (Flower's worker list): each process whose job engine runs keeps one row, keyed by the
 * owner id it writes on its leases, and refreshes it on a timer. A process that died leaves its row behind, no
 * longer refreshed; rows silent for a long time are pruned.
 */
import type { QueueName } from "../jobs/types.js";

export interface ProcessRow {
  /** the engine's owner id, the same as `lease_owner` on the jobs it runs */
  owner: string;
  host: string;
  pid: number;
  /** PF_EGRESS_ID: the public IP its calls leave from, by name */
  egress: string;
  /** sandbox or live */
  mode: string;
  /** each queue's concurrency in this process */
  queues: Partial<Record<QueueName, number>>;
  runsJobs: boolean;
  firesSchedules: boolean;
  /** how often this process refreshes its row: a reader judges it silent against this */
  heartbeatMs: number;
  startedAt: number;
  lastSeenAt: number;
}

export interface ProcessRepo {
  /** inserts the row or refreshes it (everything but `startedAt`, which the first heartbeat set) */
  heartbeat(row: ProcessRow): Promise<void>;
  /** every row, oldest start first */
  list(): Promise<ProcessRow[]>;
  /** a clean stop: the process is gone, not silent */
  remove(owner: string): Promise<void>;
  /** deletes rows last seen before `before`; returns how many */
  pruneSilent(before: number): Promise<number>;
}
