/**
 * Example 2 — bulk transfer: RDMA-write a large buffer to the peer in chunks (batched), RDMA-read it back into a
 * second region, check every byte, report throughput in virtual time.
 */
import type * as Ndk from "@effect-ndk/consumer/Ndk"
import { Effect } from "effect"
import { connect, nowUs, side, world } from "./World.js"

export interface BulkOptions {
  readonly bytes: number
  readonly chunk?: number
  readonly seed?: number
  readonly loss?: number
}

export interface BulkReport {
  readonly bytes: number
  readonly writeMBps: number
  readonly readMBps: number
  readonly intact: boolean
}

export const bulk = (o: BulkOptions) =>
  Effect.gen(function*() {
    const chunk = o.chunk ?? 16384
    const { hosts } = yield* world({
      hosts: 2,
      seed: o.seed ?? 2,
      loss: o.loss ?? 0,
      hostMemoryBytes: 4 * o.bytes + 65536
    })
    const a = yield* side(hosts[0]!, { bytes: 2 * o.bytes })
    const b = yield* side(hosts[1]!, { bytes: o.bytes })
    yield* connect(a, b, 7001)
    // deterministic pattern
    let x = (o.seed ?? 2) >>> 0
    for (let i = 0; i < o.bytes; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      a.mr.buffer.bytes[i] = x >>> 24
    }
    const chunks = Math.ceil(o.bytes / chunk)
    const wrs = (tag: "Write" | "Read", localBase: number): Array<Ndk.WorkRequest> =>
      Array.from({ length: chunks }, (_, i) => {
        const len = Math.min(chunk, o.bytes - i * chunk)
        return {
          _tag: tag,
          sgl: [a.mr.sge(localBase + i * chunk, len)],
          remoteAddress: b.mr.buffer.address + BigInt(i * chunk),
          remoteToken: b.mr.remoteToken
        }
      })
    const window = 32
    const inBatches = (all: Array<Ndk.WorkRequest>) =>
      Effect.forEach(
        Array.from({ length: Math.ceil(all.length / window) }, (_, k) => all.slice(k * window, (k + 1) * window)),
        (batch) => a.qp.batch(batch),
        { discard: true }
      )
    const t0 = yield* nowUs
    yield* inBatches(wrs("Write", 0))
    const t1 = yield* nowUs
    yield* inBatches(wrs("Read", o.bytes))
    const t2 = yield* nowUs
    const src = a.mr.buffer.bytes
    let intact = true
    for (let i = 0; i < o.bytes; i++) {
      if (src[i] !== src[o.bytes + i] || src[i] !== b.mr.buffer.bytes[i]) {
        intact = false
        break
      }
    }
    const mbps = (us: number) => Math.round(o.bytes / Math.max(1, us))
    return { bytes: o.bytes, writeMBps: mbps(t1 - t0), readMBps: mbps(t2 - t1), intact } satisfies BulkReport
  })

export const format = (r: BulkReport): Array<string> => [
  `bulk transfer: ${r.bytes} bytes written then read back (virtual time)`,
  `  write ${r.writeMBps} MB/s   read ${r.readMBps} MB/s   integrity ${r.intact ? "ok" : "BROKEN"}`
]
