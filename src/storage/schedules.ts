/** The repository of schedules, their slots and manual runs. Filled in as the module moves behind the seam. */
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the module moves behind the seam
export interface ScheduleRepo {}
