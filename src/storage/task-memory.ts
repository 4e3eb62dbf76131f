/** The repository of what tasks remember beyond job rows (batch submissions, faucet claims, revealed seeds). Filled in as the module moves behind the seam. */
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the module moves behind the seam
export interface TaskMemoryRepo {}
