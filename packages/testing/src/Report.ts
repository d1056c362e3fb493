/**
 * Text reports of a simulator batch: the progress line and the summary table (used by `pnpm sim`).
 *
 * @since 0.1.0
 */
import type * as Simulator from "./Simulator.js"
import * as Verifier from "./Verifier.js"

const rulesOf = (check: string): string => {
  const c = Verifier.checks.find((x) => x.name === check)
  if (c !== undefined) return c.rules.join(", ")
  if (check === "CLOSE_NEVER_COMPLETED") return "R14"
  return "—"
}

/**
 * One progress line: runs done of total, events, violations, runs/minute.
 *
 * @since 0.1.0
 * @category formatting
 */
export const progress = (
  done: number,
  total: number,
  events: number,
  violations: number,
  elapsedMs: number
): string => {
  const width = 24
  const filled = Math.round((done / Math.max(1, total)) * width)
  const bar = "#".repeat(filled) + ".".repeat(width - filled)
  const rate = elapsedMs > 0 ? Math.round((done / elapsedMs) * 60_000) : 0
  return `[${bar}] ${done}/${total} runs  ${events} events  ${violations} violations  ${rate} runs/min`
}

/**
 * The summary table of a batch.
 *
 * @since 0.1.0
 * @category formatting
 */
export const summary = (
  s: Simulator.Summary,
  options: { readonly seed: number; readonly faults: ReadonlyArray<Simulator.Fault>; readonly elapsedMs: number }
): ReadonlyArray<string> => {
  const rows: Array<readonly [string, string]> = [
    ["seeds", `${options.seed} .. ${options.seed + s.runs - 1}`],
    ["faults", options.faults.length === 0 ? "none" : options.faults.join(",")],
    ["runs", String(s.runs)],
    ["  through @effect-ndk/consumer", String(s.consumerRuns)],
    ["runs connected", String(s.connected)],
    ["events", String(s.events)],
    ["messages checked", String(s.received)],
    ["RDMA writes checked", String(s.writes)],
    ["violations", String([...s.byCheck.values()].reduce((a, b) => a + b, 0))],
    ...[...s.byCheck].sort(([a], [b]) => (a < b ? -1 : 1)).map(([check, n]) =>
      [`  ${check} (${rulesOf(check)})`, String(n)] as const
    ),
    ["failing seeds", String(s.failing.length)],
    ["elapsed", `${(options.elapsedMs / 1000).toFixed(1)} s`],
    ["runs/minute", options.elapsedMs > 0 ? String(Math.round((s.runs / options.elapsedMs) * 60_000)) : "—"],
    ["batch hash", s.hash]
  ]
  const w = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`)
}
