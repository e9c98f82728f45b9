import type { Context, PhaseResult } from "./client.ts";
import { Tally } from "./client.ts";
export async function runSoak(_context: Context, _seconds: number): Promise<PhaseResult> {
  return { phase: "soak", tally: new Tally(), violations: ["not written yet"], notes: {} };
}
