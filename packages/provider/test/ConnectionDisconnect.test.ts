import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import type { NdkConnector } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import {
  accept,
  closeWith,
  completeConnect,
  connect,
  connector,
  disconnect,
  established,
  listen,
  listener,
  Log,
  qpOf,
  S,
  until,
  v4,
  waitFor,
  world
} from "./utils/conn.js"
import { drain, registered, sge } from "./utils/setup.js"

describe("Disconnect", () => {
  it.scoped("R149: the disconnect event is raised at most once (graceful disconnect, then abort)", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca } = yield* established(a!, b!, log)
      yield* disconnect(ca, log)
      yield* waitFor(log, "disconnect-event")
      yield* closeWith(ca, log, "abort")
      yield* TestClock.adjust("2 seconds")
      expect(log.of("disconnect-event").length).toBe(1)
    }))

  it.scoped("R150: a peer that aborts right after completing its connect (the passive accept still completing) raises the disconnect event after the accept completion", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      for (const [port, how] of [[5000, "abort"], [5001, "graceful"]] as const) {
        const log = new Log()
        const incoming: Array<NdkConnector> = []
        const l = yield* listener(b!, incoming)
        expect(yield* listen(l, v4(b!.n, port))).toBe(S.STATUS_SUCCESS)
        const qa = yield* qpOf(a!, "qa")
        const qb = yield* qpOf(b!, "qb")
        const ca = yield* connector(a!)
        expect(yield* connect(ca, qa, v4(a!.n, 0), v4(b!.n, port), log)).toBe(S.STATUS_PENDING)
        yield* until(() => incoming.length > 0)
        expect(yield* accept(incoming[0]!, qb, log)).toBe(S.STATUS_PENDING)
        yield* waitFor(log, "connect")
        // the RTU and the abort (or DREQ) leave back to back: both reach the passive side in one engine pass
        expect(yield* completeConnect(ca, log)).toBe(S.STATUS_SUCCESS)
        if (how === "abort") yield* closeWith(ca, log, "ca")
        else yield* disconnect(ca, log)
        yield* waitFor(log, "disconnect-event")
        expect(log.calls.filter((c) => c.what === "accept" || c.what === "disconnect-event")).toEqual([
          { what: "accept", context: "accept", status: S.STATUS_SUCCESS },
          { what: "disconnect-event", context: "passive-disc" }
        ])
      }
    }))

  it.scoped("R150: a peer-initiated disconnect raises the event and does not flush the notified side", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, qb } = yield* established(a!, b!, log)
      const buf = yield* registered(b!.host.nic, b!.pd, 4096)
      expect(yield* qb.Dispatch.NdkReceive(qb, "rb", [sge(buf, 0, 64)], 1)).toBe(S.STATUS_SUCCESS)
      yield* disconnect(ca, log)
      yield* waitFor(log, "disconnect-event")
      expect(log.of("disconnect-event")[0]!.context).toBe("passive-disc")
      yield* TestClock.adjust("10 millis")
      expect(drain(b!.cq)).toEqual([])
    }))

  it.scoped("R151: NdkDisconnect completes after the peer's graceful disconnect, or IO_TIMEOUT without it", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, cb } = yield* established(a!, b!, log)
      expect(yield* disconnect(ca, log, "a")).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "disconnect-event")
      yield* TestClock.adjust("1 second")
      expect(log.of("disconnect").length).toBe(0)
      expect(yield* disconnect(cb, log, "b")).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "disconnect", 2)
      expect(log.of("disconnect").map((c) => [c.context, c.status]).sort()).toEqual([
        ["a", S.STATUS_SUCCESS],
        ["b", S.STATUS_SUCCESS]
      ])
      // a peer that never answers: STATUS_IO_TIMEOUT after the disconnect timeout
      const log2 = new Log()
      const second = yield* established(a!, b!, log2, 5001)
      yield* disconnect(second.ca, log2, "lonely")
      yield* TestClock.adjust("29 seconds")
      expect(log2.of("disconnect").length).toBe(0)
      yield* TestClock.adjust("2 seconds")
      yield* waitFor(log2, "disconnect")
      expect(log2.of("disconnect")[0]!.status).toBe(S.STATUS_IO_TIMEOUT)
    }))

  it.scoped("R152: when NdkDisconnect completes every outstanding WR has completed STATUS_CANCELLED", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, cb, qa } = yield* established(a!, b!, log)
      const buf = yield* registered(a!.host.nic, a!.pd, 4096)
      for (let i = 0; i < 2; i++) yield* qa.Dispatch.NdkReceive(qa, `r${i}`, [sge(buf, i * 64, 64)], 1)
      yield* disconnect(ca, log, "a")
      yield* disconnect(cb, log, "b")
      const seen: Array<unknown> = []
      yield* waitFor(log, "disconnect", 2)
      // the flush precedes the completion: the entries are already in the CQ
      yield* until(() => {
        seen.push(...drain(a!.cq).map((r) => [r.RequestContext, r.Status]))
        return seen.length >= 2
      }, 5)
      expect(seen).toEqual([["r0", S.STATUS_CANCELLED], ["r1", S.STATUS_CANCELLED]])
    }))

  it.scoped("R153: disconnects from both sides at once complete on both sides (either event order)", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, cb } = yield* established(a!, b!, log)
      expect(yield* disconnect(ca, log, "a")).toBe(S.STATUS_PENDING)
      expect(yield* disconnect(cb, log, "b")).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "disconnect", 2)
      expect(log.of("disconnect").every((c) => c.status === S.STATUS_SUCCESS)).toBe(true)
      expect(log.of("disconnect-event").length).toBeLessThanOrEqual(2)
    }))

  it.scoped("R154: after a disconnect, posts fail CONNECTION_INVALID and connector / QP cannot be reused", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, cb, qa } = yield* established(a!, b!, log)
      yield* disconnect(ca, log, "a")
      yield* disconnect(cb, log, "b")
      yield* waitFor(log, "disconnect", 2)
      const buf = yield* registered(a!.host.nic, a!.pd, 4096)
      expect(yield* qa.Dispatch.NdkSend(qa, "s", [sge(buf, 0, 8)], 1, 0)).toBe(S.STATUS_CONNECTION_INVALID)
      expect(yield* connect(ca, yield* qpOf(a!), v4(a!.n, 0), v4(b!.n, 5000), log))
        .toBe(S.STATUS_INVALID_DEVICE_STATE)
      expect(yield* disconnect(ca, log)).toBe(S.STATUS_CONNECTION_INVALID)
      const fresh = yield* connector(a!)
      expect(yield* connect(fresh, qa, v4(a!.n, 0), v4(b!.n, 5000), log)).toBe(S.STATUS_CONNECTION_ACTIVE)
    }))

  it.scoped("R155: NdkDisconnectEventCallbackEx receives ProviderDisconnectReason (0 graceful, 1 abort)", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const reasons: Array<[unknown, number]> = []
      const run = (port: number) =>
        Effect.gen(function*() {
          const log = new Log()
          const incoming: Array<NdkConnector> = []
          const l = yield* listener(b!, incoming)
          yield* listen(l, v4(b!.n, port))
          const ca = yield* connector(a!)
          yield* connect(ca, yield* qpOf(a!), v4(a!.n, 0), v4(b!.n, port), log)
          yield* until(() => incoming.length === 1)
          const cb = incoming[0]!
          expect(
            yield* cb.Dispatch.NdkAcceptEx(
              cb,
              yield* qpOf(b!),
              1,
              1,
              null,
              0,
              (ctx, reason) => Effect.sync(() => void reasons.push([ctx, reason])),
              `ex${port}`,
              log.completion("accept"),
              null
            )
          ).toBe(S.STATUS_PENDING)
          yield* waitFor(log, "connect")
          expect(
            yield* ca.Dispatch.NdkCompleteConnectEx(ca, null, null, log.completion("complete"), null)
          ).toBe(S.STATUS_SUCCESS)
          yield* waitFor(log, "accept")
          return { ca, log }
        })
      const g = yield* run(5000)
      yield* disconnect(g.ca, g.log)
      yield* until(() => reasons.length === 1)
      const x = yield* run(5001)
      yield* closeWith(x.ca, x.log, "abort")
      yield* until(() => reasons.length === 2)
      expect(reasons).toEqual([["ex5000", 0], ["ex5001", 1]])
    }))

  it.scoped("R155: below 2.1 the Ex connector functions are refused with STATUS_NOT_SUPPORTED", () =>
    Effect.gen(function*() {
      const { sides: [a] } = yield* world(1, { version: NdkVersion.V1_2 })
      const log = new Log()
      const ca = yield* connector(a!)
      expect(yield* ca.Dispatch.NdkCompleteConnectEx(ca, null, null, log.completion("x"), null))
        .toBe(S.STATUS_NOT_SUPPORTED)
      expect(yield* ca.Dispatch.NdkAcceptEx(ca, yield* qpOf(a!), 1, 1, null, 0, null, null, log.completion("x"), null))
        .toBe(S.STATUS_NOT_SUPPORTED)
      expect(ca.Header.Version).toEqual({ Major: 1, Minor: 2 })
    }))
})
