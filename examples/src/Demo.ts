/**
 * The main job's demo (`npm start`): several simulated hosts on one fabric, request/response and RDMA traffic on
 * many QPs with a live progress line, a shutdown while requests are in flight, then the summary tables.
 */
import { Effect } from "effect"
import { table } from "./Description.js"
import type { LoadOptions, LoadReport } from "./Shutdown.js"
import { load } from "./Shutdown.js"
import { runVirtual } from "./World.js"

export interface DemoOptions {
  readonly hosts: number
  readonly qps: number
  readonly durationMs: number
  readonly size: number
  readonly loss: number
  readonly seed: number
}

export const defaults: DemoOptions = { hosts: 4, qps: 4, durationMs: 5, size: 64, loss: 0, seed: 1 }

/** Runs the demo; `progress` receives each live progress line. */
export const run = (o: DemoOptions, progress: (line: string) => Effect.Effect<void>) =>
  runVirtual(load({ ...o, onProgress: progress } satisfies LoadOptions))

export const summary = (o: DemoOptions, r: LoadReport): Array<string> => {
  const t = r.totals
  const types = Object.keys(t.created)
  return [
    `SEED=${o.seed} hosts=${o.hosts} qps/pair=${o.qps} duration=${o.durationMs} ms size=${o.size} B loss=${o.loss}`,
    "",
    "traffic (virtual time)",
    ...table(["requests", "MB moved", "MB/s", "p50 µs", "p99 µs", "in flight at shutdown"], [[
      String(r.requests),
      (r.bytes / 1e6).toFixed(2),
      (r.bytes / Math.max(1, r.virtualMs * 1000)).toFixed(1),
      String(r.p50Us),
      String(r.p99Us),
      String(r.inFlightAtShutdown)
    ]]).map((l) => `  ${l}`),
    "",
    "lifetime",
    ...table(["object", "created", "closed"], types.map((k) => [k, String(t.created[k]), String(t.closed[k] ?? 0)]))
      .map((l) => `  ${l}`),
    ...table([
      "closes pended",
      "close completions fired",
      "requests flushed",
      "notifications cancelled",
      "waiters abandoned",
      "NIC rows left"
    ], [[
      String(t.closesPended),
      String(t.closeCompletionsFired),
      String(t.requestsFlushed),
      String(t.notificationsCancelled),
      String(t.abandoned),
      String(r.nicRowsLeft)
    ]]).map((l) => `  ${l}`),
    "",
    r.violations.length === 0 ? "invariants: all hold" : `INVARIANT VIOLATED: ${r.violations.join("; ")}`
  ]
}

/** A violated invariant: the demo exits non-zero with this message. */
export class InvariantViolated extends Error {
  readonly _tag = "InvariantViolated"
}

export const demo = (o: DemoOptions, progress: (line: string) => Effect.Effect<void>) =>
  Effect.flatMap(run(o, progress), (r) =>
    r.violations.length === 0
      ? Effect.succeed(summary(o, r))
      : Effect.fail(new InvariantViolated(summary(o, r).join("\n"))))
