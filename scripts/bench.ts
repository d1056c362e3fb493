/**
 * A small same-run benchmark harness shared by the `bench:*` scripts.
 *
 * Each comparison runs a measured variant and its yardstick alternately in the same process: first a
 * time-based warm-up, then `rounds` interleaved rounds, keeping the best round of each. The ratio is
 * value ÷ baseline, both measured in this run, so a noisy machine shifts both sides alike.
 *
 * Latencies use {@link compareMedian} instead: every operation timed, the median of all samples reported.
 *
 * With `--json` every result is also printed as one JSON object a line:
 * `{"bench":"W1","metric":…,"value":…,"baseline":…,"ratio":…,"target":"<= 3"}`.
 */
import { performance } from "node:perf_hooks"

/** One timed body: runs `ops` operations and returns nothing (or a promise of nothing). */
export type Body = (ops: number) => void | Promise<void>

export interface Comparison {
  /** Bench id, e.g. "W1" or "lifetime-request". */
  readonly bench: string
  /** What is measured, e.g. "ns/op" or "MB/s 64KiB". */
  readonly metric: string
  /** The measured variant and its yardstick. */
  readonly value: Body
  readonly baseline: Body
  /** Operations per timed round (both sides). */
  readonly ops: number
  /** Optional different op count for the baseline (e.g. bytes vs messages); defaults to `ops`. */
  readonly baselineOps?: number
  /** "time": cost per op (lower is better); "rate": ops per second (higher is better). */
  readonly kind: "time" | "rate"
  /** Target as printed, e.g. "<= 2.2" or ">= 0.5". */
  readonly target: string
  readonly warmupMs?: number
  readonly rounds?: number
}

export interface Result {
  readonly bench: string
  readonly metric: string
  readonly value: number
  readonly baseline: number
  readonly ratio: number
  readonly target: string
  readonly pass: boolean
}

const timeRound = async (body: Body, ops: number): Promise<number> => {
  const start = performance.now()
  const r = body(ops)
  if (r !== undefined) await r
  return performance.now() - start
}

/** Checks a ratio against a target string such as "<= 2.2" or ">= 0.5". */
export const meetsTarget = (ratio: number, target: string): boolean => {
  const m = /^\s*(<=|>=)\s*([0-9.]+)/.exec(target)
  if (m === null) return true
  const bound = Number(m[2])
  return m[1] === "<=" ? ratio <= bound : ratio >= bound
}

/** Runs one comparison; returns per-op cost in ns ("time") or ops/s ("rate") for each side. */
export const compare = async (c: Comparison): Promise<Result> => {
  const warmupMs = c.warmupMs ?? 2000
  const rounds = c.rounds ?? 5
  const baselineOps = c.baselineOps ?? c.ops
  const warmEnd = performance.now() + warmupMs
  while (performance.now() < warmEnd) {
    await timeRound(c.value, c.ops)
    await timeRound(c.baseline, baselineOps)
  }
  let bestValue = Infinity
  let bestBaseline = Infinity
  for (let i = 0; i < rounds; i++) {
    bestValue = Math.min(bestValue, await timeRound(c.value, c.ops))
    bestBaseline = Math.min(bestBaseline, await timeRound(c.baseline, baselineOps))
  }
  const value = c.kind === "time" ? (bestValue * 1e6) / c.ops : (c.ops * 1000) / bestValue
  const baseline = c.kind === "time" ? (bestBaseline * 1e6) / baselineOps : (baselineOps * 1000) / bestBaseline
  return derived(c.bench, c.metric, value, baseline, c.target)
}

/**
 * One sampled body: runs `ops` operations and writes the wall-clock duration of each (milliseconds, taken with
 * `performance.now()` around that one operation) into `out[0..ops)`.
 */
export type Sampler = (ops: number, out: Float64Array) => void | Promise<void>

export interface MedianComparison {
  readonly bench: string
  readonly metric: string
  readonly value: Sampler
  readonly baseline: Sampler
  /** Operations per round (both sides); every operation is one sample. */
  readonly ops: number
  readonly target: string
  readonly warmupMs?: number
  readonly rounds?: number
}

const median = (xs: Float64Array): number => {
  const s = Float64Array.from(xs).sort()
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/**
 * The cost of taking one sample around nothing (two `performance.now()` calls and a store), in ms: subtracted
 * from both sides' medians so the timer does not flatter the ratio.
 */
const timerOverhead = (): number => {
  const n = 20_000
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    out[i] = performance.now() - t
  }
  return median(out)
}

/**
 * Like {@link compare} for latencies: the measured side and its yardstick run alternately (time-based warm-up,
 * then `rounds` interleaved rounds), every single operation is timed, and the result is the median over all
 * samples of all rounds of each side (ns per op), minus the timer's own cost.
 */
export const compareMedian = async (c: MedianComparison): Promise<Result> => {
  const warmupMs = c.warmupMs ?? 2000
  const rounds = c.rounds ?? 5
  const scratch = new Float64Array(c.ops)
  const warmEnd = performance.now() + warmupMs
  while (performance.now() < warmEnd) {
    await c.value(c.ops, scratch)
    await c.baseline(c.ops, scratch)
  }
  const values = new Float64Array(c.ops * rounds)
  const baselines = new Float64Array(c.ops * rounds)
  for (let i = 0; i < rounds; i++) {
    await c.value(c.ops, scratch)
    values.set(scratch, i * c.ops)
    await c.baseline(c.ops, scratch)
    baselines.set(scratch, i * c.ops)
  }
  const overhead = timerOverhead()
  const value = Math.max(median(values) - overhead, 1e-9) * 1e6
  const baseline = Math.max(median(baselines) - overhead, 1e-9) * 1e6
  return derived(c.bench, c.metric, value, baseline, c.target)
}

/** A derived result (e.g. "per-request cost at 10^4 ÷ at 10^2") built from two measured numbers. */
export const derived = (
  bench: string,
  metric: string,
  value: number,
  baseline: number,
  target: string
): Result => {
  const ratio = value / baseline
  return { bench, metric, value, baseline, ratio, target, pass: meetsTarget(ratio, target) }
}

const fmt = (n: number): string => Math.abs(n) >= 1000 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(3)

/** Prints results as a table (and as JSON lines when `--json` is on the command line). */
export const report = (title: string, results: ReadonlyArray<Result>): void => {
  const json = process.argv.includes("--json")
  if (json) {
    for (const r of results) {
      const { pass: _pass, ...line } = r
      process.stdout.write(JSON.stringify(line) + "\n")
    }
    return
  }
  const rows = results.map((
    r
  ) => [r.bench, r.metric, fmt(r.value), fmt(r.baseline), r.ratio.toFixed(3), r.target, r.pass ? "ok" : "MISS"])
  const header = ["bench", "metric", "value", "baseline", "ratio", "target", ""]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`)
  for (const row of rows) process.stdout.write(line(row) + "\n")
}
