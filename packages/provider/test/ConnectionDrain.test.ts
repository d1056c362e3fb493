import type * as Nic from "@effect-ndk/hardware/Nic"
import type { NdkResult } from "@effect-ndk/ndkpi/NdkResult"
import { NdkOpFlag } from "@effect-ndk/ndkpi/OpFlag"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { qpSeam } from "../src/internal/qp.js"
import { cmFor, disconnect, established, Log, waitFor, world } from "./utils/conn.js"
import type { Call } from "./utils/conn.js"
import { drain, registered, S, sge } from "./utils/setup.js"

const SILENT = NdkOpFlag.NDK_OP_FLAG_SILENT_SUCCESS

const bytes = (len: number, seed: number): Uint8Array => {
  const b = new Uint8Array(len)
  let x = seed | 1
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    b[i] = x >>> 24
  }
  return b
}

/** A log that runs `onEvent` synchronously inside the disconnect event callback. */
class ReactiveLog extends Log {
  onEvent: (() => void) | undefined = undefined
  override push(c: Call): void {
    super.push(c)
    if (c.what === "disconnect-event") this.onEvent?.()
  }
}

describe("Disconnect waits for DMA (R151, R152)", () => {
  it.scoped("R151/R152: NdkDisconnect waits for silent RDMA writes in flight under loss; they all land, then the receives complete STATUS_CANCELLED", () =>
    Effect.gen(function*() {
      const { fabric, sides: [a, b] } = yield* world(2, {
        fabric: { seed: 11, latencyUs: 2 },
        nic: { ackTimeoutUs: 200, retryCount: 60 }
      })
      // b reacts to the disconnect event at once, from inside the callback (its QP is flushed microseconds later)
      const log = new ReactiveLog()
      const { ca, cb, qa } = yield* established(a!, b!, log)
      let peerHadData = false
      let peerStatus = -1
      const SIZE = 16384
      const src = yield* registered(a!.host.nic, a!.pd, 8 * SIZE)
      const dst = yield* registered(b!.host.nic, b!.pd, 8 * SIZE)
      const rbuf = yield* registered(a!.host.nic, a!.pd, 4096)
      const data = bytes(8 * SIZE, 7)
      a!.host.nic.memory.write(src.va, data)
      yield* fabric.setFaults({ loss: 0.1 })
      for (let k = 0; k < 8; k++) {
        const st = yield* qa.Dispatch.NdkWrite(
          qa,
          `w${k}`,
          [sge(src, k * SIZE, SIZE)],
          1,
          BigInt(dst.va + k * SIZE),
          dst.remote,
          SILENT
        )
        expect(st).toBe(S.STATUS_SUCCESS)
      }
      for (let i = 0; i < 2; i++) yield* qa.Dispatch.NdkReceive(qa, `r${i}`, [sge(rbuf, i * 64, 64)], 1)
      const qpn = qpSeam(qa)!.qpn
      const nicA = a!.host.nic
      expect(nicA.workInFlight(qpn)!.requests).toBe(8)
      let atCompletion: { work: Nic.QpWork | undefined; cq: Array<NdkResult> } | undefined
      const st = yield* ca.Dispatch.NdkDisconnect(
        ca,
        (ctx, status) =>
          Effect.sync(() => {
            atCompletion = { work: nicA.workInFlight(qpn), cq: drain(a!.cq) }
            log.push({ what: "disconnect", context: ctx, status })
          }),
        "a"
      )
      expect(st).toBe(S.STATUS_PENDING)
      // the peer hears of the disconnect only once a's writes are acknowledged: its memory already holds them
      log.onEvent = () => {
        peerHadData = b!.host.nic.memory.read(dst.va, data.length).every((x, i) => x === data[i])
        peerStatus = Effect.runSync(disconnect(cb, log, "b"))
      }
      yield* waitFor(log, "disconnect", 2, 4000)
      expect(log.of("disconnect").map((c) => [c.context, c.status]).sort()).toEqual([
        ["a", S.STATUS_SUCCESS],
        ["b", S.STATUS_SUCCESS]
      ])
      // R151: nothing in flight when the completion ran; R152: the outstanding receives were already CANCELLED,
      // and no silent write reported anything (all succeeded)
      expect(atCompletion!.work).toEqual({ requests: 0, inbound: false, readResponses: 0 })
      expect(atCompletion!.cq.map((r) => [r.RequestContext, r.Status])).toEqual([
        ["r0", S.STATUS_CANCELLED],
        ["r1", S.STATUS_CANCELLED]
      ])
      expect(peerHadData).toBe(true)
      expect(peerStatus).toBe(S.STATUS_PENDING)
      expect(nicA.stats().retransmits + nicA.stats().seqNaks + b!.host.nic.stats().seqNaks).toBeGreaterThan(0)
      expect((yield* fabric.counters).lost).toBeGreaterThan(0)
    }))

  it.scoped("R151/R152: a QP that never drains (RNR forever) is flushed after the disconnect timeout; the send completes STATUS_CANCELLED", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world(2, { nic: { rnrRetry: 7, rnrTimerUs: 1000 } })
      const log = new Log()
      const { ca, cb, qa } = yield* established(a!, b!, log)
      const buf = yield* registered(a!.host.nic, a!.pd, 4096)
      // b never posts a receive: the silent send stays in flight (receiver not ready, infinite RNR retry)
      expect(yield* qa.Dispatch.NdkSend(qa, "s", [sge(buf, 0, 64)], 1, SILENT)).toBe(S.STATUS_SUCCESS)
      const qpn = qpSeam(qa)!.qpn
      // a short disconnect timeout (virtual time): the drain wait is bounded by it
      cmFor(a!).config = { ...cmFor(a!).config, disconnectTimeoutMs: 50 }
      expect(yield* disconnect(ca, log, "a")).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "disconnect-event", 1, 40)
      expect(log.of("disconnect-event").length).toBe(0)
      expect(a!.host.nic.workInFlight(qpn)!.requests).toBe(1)
      yield* waitFor(log, "disconnect-event", 1, 100)
      expect(log.of("disconnect-event").length).toBe(1)
      yield* disconnect(cb, log, "b")
      yield* waitFor(log, "disconnect", 2, 400)
      expect(log.of("disconnect").map((c) => [c.context, c.status]).sort()).toEqual([
        ["a", S.STATUS_SUCCESS],
        ["b", S.STATUS_SUCCESS]
      ])
      expect(drain(a!.cq).map((r) => [r.RequestContext, r.Status])).toEqual([["s", S.STATUS_CANCELLED]])
      expect(a!.host.nic.workInFlight(qpn)).toEqual({ requests: 0, inbound: false, readResponses: 0 })
    }))
})
