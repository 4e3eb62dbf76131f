// Placeholder until the command lands; exits non-zero so nothing mistakes it for working.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("pf-fleet demo: not available in this build yet\n");
  return 1;
}
