import * as Fabric from "@effect-ndk/hardware/Fabric"
import * as Nic from "@effect-ndk/hardware/Nic"
import { Lifetime } from "@effect-ndk/lifetime"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import { NdkProvider as NdkProviderTag } from "@effect-ndk/ndkpi/ProviderHost"
import type { NdkAdapter, NdkConnector, NdkListener, NdkQp, NdkSharedEndpoint } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer, TestClock } from "effect"
import { adapterOf } from "../src/internal/adapter.js"
import * as NdkProvider from "../src/NdkProvider.js"
import {
  accept,
  closeWith,
  cmFor,
  completeConnect,
  connect,
  connector,
  dial,
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
import { collect, registered, sge } from "./utils/setup.js"

describe("Connection bad input", () => {
  it.scoped("absent handles, wrong object types, foreign QPs and malformed arguments return SPEC statuses", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const c = yield* connector(a!)
      const qa = yield* qpOf(a!)
      const qbForeign = yield* qpOf(b!)
      const d = c.Dispatch
      const nul = null as unknown as NdkConnector
      expect(yield* d.NdkConnect(nul, qa, v4(a!.n, 0), 16, v4(b!.n, 1), 16, 1, 1, null, 0, log.completion("x"), null))
        .toBe(S.STATUS_INVALID_PARAMETER)
      // a QP passed where a connector is expected
      expect(
        yield* d.NdkConnect(
          qa as unknown as NdkConnector,
          qa,
          v4(a!.n, 0),
          16,
          v4(b!.n, 1),
          16,
          1,
          1,
          null,
          0,
          log.completion("x"),
          null
        )
      ).toBe(S.STATUS_INVALID_PARAMETER)
      // the connector passed where a QP is expected, and a QP of another adapter
      expect(yield* connect(c, c as unknown as NdkQp, v4(a!.n, 0), v4(b!.n, 1), log)).toBe(S.STATUS_INVALID_PARAMETER)
      expect(yield* connect(c, qbForeign, v4(a!.n, 0), v4(b!.n, 1), log)).toBe(S.STATUS_INVALID_PARAMETER)
      // address lengths below sizeof(SOCKADDR_IN), destination port 0, private data longer than its buffer
      expect(yield* d.NdkConnect(c, qa, v4(a!.n, 0), 8, v4(b!.n, 1), 16, 1, 1, null, 0, log.completion("x"), null))
        .toBe(S.STATUS_INVALID_PARAMETER)
      expect(yield* connect(c, qa, v4(a!.n, 0), v4(b!.n, 0), log)).toBe(S.STATUS_INVALID_PARAMETER)
      expect(
        yield* d.NdkConnect(
          c,
          qa,
          v4(a!.n, 0),
          16,
          v4(b!.n, 1),
          16,
          1,
          1,
          new Uint8Array(2),
          3,
          log.completion("x"),
          null
        )
      ).toBe(S.STATUS_INVALID_PARAMETER)
      expect(yield* d.NdkConnect(c, qa, v4(a!.n, 0), 16, v4(b!.n, 1), 16, 1, 1, null, 3, log.completion("x"), null))
        .toBe(S.STATUS_INVALID_PARAMETER)
      expect(yield* d.NdkConnect(c, qa, v4(a!.n, 0), 16, v4(b!.n, 1), 16, -1, 1, null, 0, log.completion("x"), null))
        .toBe(S.STATUS_INVALID_PARAMETER)
      // mixed families
      expect(
        yield* d.NdkConnect(
          c,
          qa,
          v4(a!.n, 0),
          16,
          { family: 23, address: "fd00::0:2", port: 1 },
          28,
          1,
          1,
          null,
          0,
          log.completion("x"),
          null
        )
      ).toBe(S.STATUS_INVALID_PARAMETER)
      // accept / reject on a connector that has no incoming request
      expect(yield* accept(c, qa, log)).toBe(S.STATUS_INVALID_DEVICE_STATE)
      expect(yield* d.NdkReject(c, null, 0)).toBe(S.STATUS_INVALID_DEVICE_STATE)
      expect(yield* d.NdkGetConnectionData(c, null, null, null, OutParam.inOut(0))).toBe(S.STATUS_CONNECTION_INVALID)
      expect(yield* disconnect(c, log)).toBe(S.STATUS_CONNECTION_INVALID)
      const l = yield* listener(a!, [])
      expect(yield* l.Dispatch.NdkListen(l, v4(a!.n, 1), 4, () => Effect.void, null)).toBe(S.STATUS_INVALID_PARAMETER)
      yield* l.Dispatch.NdkControlConnectEvents(null as never, true)
      // use after close: refused with STATUS_INVALID_DEVICE_STATE
      expect(yield* closeWith(c, log, "c")).toBe(S.STATUS_SUCCESS)
      expect(yield* d.NdkGetConnectionData(c, null, null, null, OutParam.inOut(0))).toBe(S.STATUS_INVALID_DEVICE_STATE)
      expect(yield* connect(c, qa, v4(a!.n, 0), v4(b!.n, 1), log)).toBe(S.STATUS_INVALID_DEVICE_STATE)
      expect(log.calls).toEqual([])
    }))

  it.scoped("a QP already bound to a connection is refused with STATUS_CONNECTION_ACTIVE", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { qa } = yield* established(a!, b!, log)
      const c = yield* connector(a!)
      expect(yield* connect(c, qa, v4(a!.n, 0), v4(b!.n, 5000), log)).toBe(S.STATUS_CONNECTION_ACTIVE)
    }))
})

describe("Connection in pending completion mode", () => {
  it.scoped("R1: NdkListen and NdkCompleteConnect return PENDING and complete once through their callbacks", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world(2)
      const log = new Log()
      const incoming: Array<NdkConnector> = []
      const l = yield* listener(b!, incoming)
      const l2 = yield* listener(b!, [])
      const ca = yield* connector(a!)
      const qa = yield* qpOf(a!)
      const qb = yield* qpOf(b!)
      yield* a!.provider.setMode("pending")
      yield* b!.provider.setMode("pending")
      expect(yield* listen(l, v4(b!.n, 5000), log)).toBe(S.STATUS_PENDING)
      expect(log.of("listen")).toEqual([])
      yield* waitFor(log, "listen")
      expect(log.of("listen")).toEqual([{ what: "listen", context: "listen", status: S.STATUS_SUCCESS }])
      yield* connect(ca, qa, v4(a!.n, 0), v4(b!.n, 5000), log)
      yield* until(() => incoming.length === 1)
      yield* accept(incoming[0]!, qb, log)
      yield* waitFor(log, "connect")
      expect(yield* completeConnect(ca, log)).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "complete")
      yield* waitFor(log, "accept")
      yield* TestClock.adjust("1 second")
      expect(log.of("complete").map((c) => c.status)).toEqual([S.STATUS_SUCCESS])
      expect(log.of("accept").map((c) => c.status)).toEqual([S.STATUS_SUCCESS])
      // a second listener on the port: SHARING_VIOLATION delivered through the callback
      expect(yield* listen(l2, v4(b!.n, 5000), log)).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "listen", 2)
      expect(log.of("listen")[1]!.status).toBe(S.STATUS_SHARING_VIOLATION)
    }))
})

describe("Connection traffic and adapter close", () => {
  it.scoped("a connection made by connect/accept carries sends and RDMA reads both ways", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { qa, qb } = yield* established(a!, b!, log, 5000, { ird: 4, ord: 4 })
      const ba = yield* registered(a!.host.nic, a!.pd, 4096)
      const bb = yield* registered(b!.host.nic, b!.pd, 4096)
      a!.host.nic.memory.write(ba.va, new Uint8Array([5, 6, 7]))
      b!.host.nic.memory.write(bb.va + 100, new Uint8Array([42]))
      expect(yield* qb.Dispatch.NdkReceive(qb, "rb", [sge(bb, 0, 64)], 1)).toBe(S.STATUS_SUCCESS)
      expect(yield* qa.Dispatch.NdkSend(qa, "sa", [sge(ba, 0, 3)], 1, 0)).toBe(S.STATUS_SUCCESS)
      expect(yield* qa.Dispatch.NdkRead(qa, "read", [sge(ba, 200, 1)], 1, BigInt(bb.va + 100), bb.remote, 0))
        .toBe(S.STATUS_SUCCESS)
      const rb = yield* collect(b!.cq, 1)
      const ra = yield* collect(a!.cq, 2)
      expect(rb.map((r) => [r.RequestContext, r.Status, r.BytesTransferred])).toEqual([["rb", 0, 3]])
      expect(ra.map((r) => [r.RequestContext, r.Status]).sort()).toEqual([["read", 0], ["sa", 0]])
      expect(Array.from(a!.host.nic.memory.read(ba.va + 200, 1))).toEqual([42])
    }))

  it.scoped("§8.6: adapter close blocks while a connector and a listener are open", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, qa, cb, qb, l } = yield* established(a!, b!, log)
      const closing = yield* Effect.fork(b!.provider.CloseNdkAdapter(null, b!.adapter))
      yield* TestClock.adjust("1 second")
      expect(closing.unsafePoll()).toBeNull()
      for (const o of [cb, l, qb]) yield* closeWith(o, log, "b")
      yield* closeWith(b!.cq, log, "b")
      yield* closeWith(b!.pd, log, "b")
      yield* until(() => closing.unsafePoll() !== null)
      yield* Fiber.join(closing)
      // a saw the abortive disconnect of the closed passive connector
      yield* waitFor(log, "disconnect-event")
      expect(log.of("disconnect-event")[0]!.context).toBe("active-disc")
      yield* closeWith(ca, log, "a")
      yield* closeWith(qa, log, "a")
      const k = adapterOf(a!.adapter)!.kernel
      expect(Array.from(k.objects.values()).map((o) => o.type).sort()).toEqual([1, 3, 6])
      void Lifetime
    }))
})

describe("Layer wiring", () => {
  it.scoped("NdkProvider.layer wires the connection side: connector, listener and shared endpoint creates work", () =>
    Effect.gen(function*() {
      const host = yield* NdkProviderTag
      const out = OutParam.out<NdkAdapter>()
      expect(
        yield* host.OpenNdkAdapter(
          host.MiniportAdapterContext,
          { Version: NdkVersion.V2_1, SwitchId: 0, VPortId: 0 },
          out
        )
      )
        .toBe(S.STATUS_SUCCESS)
      const adapter = out.value!
      const c = OutParam.out<NdkConnector>()
      expect(yield* adapter.Dispatch.NdkCreateConnector(adapter, () => Effect.void, null, c)).toBe(S.STATUS_SUCCESS)
      expect(c.value!.Header.ObjectType).toBe(8)
      const l = OutParam.out<NdkListener>()
      expect(yield* adapter.Dispatch.NdkCreateListener(adapter, () => Effect.void, null, () => Effect.void, null, l))
        .toBe(S.STATUS_SUCCESS)
      expect(yield* l.value!.Dispatch.NdkListen(l.value!, v4(9, 0), 16, () => Effect.void, null)).toBe(S.STATUS_SUCCESS)
      const sep = OutParam.out<NdkSharedEndpoint>()
      expect(yield* adapter.Dispatch.NdkCreateSharedEndpoint(adapter, v4(9, 0), 16, () => Effect.void, null, sep))
        .toBe(S.STATUS_SUCCESS)
      const log = new Log()
      for (const o of [c.value!, l.value!, sep.value!]) expect(yield* closeWith(o, log, "x")).toBe(S.STATUS_SUCCESS)
      yield* host.CloseNdkAdapter(host.MiniportAdapterContext, adapter)
    }).pipe(
      Effect.provide(
        NdkProvider.layer().pipe(
          Layer.provide(Nic.layer({ address: 9, config: { hostMemoryBytes: 1 << 20, deviceMemoryBytes: 1 << 18 } })),
          Layer.provide(Fabric.layer({ memoryBytes: 8 << 20 }))
        )
      )
    ))
})

describe("Callback context", () => {
  it.scoped("R39: adapter close from inside a connect event is reported as a violation (callback context)", () =>
    Effect.gen(function*() {
      const violations: Array<{ readonly rule: string }> = []
      const { sides: [a, b] } = yield* world(2, { provider: { onViolation: (v) => void violations.push(v) } })
      const log = new Log()
      const incoming: Array<NdkConnector> = []
      const l = yield* listener(b!, incoming, () => b!.provider.CloseNdkAdapter(null, b!.adapter))
      yield* listen(l, v4(b!.n, 5000))
      yield* dial(a!, b!, log)
      yield* until(() => incoming.length === 1)
      yield* until(() => violations.length === 1)
      expect(violations.map((v) => v.rule)).toEqual(["R39"])
    }))
})

describe("NIC reset", () => {
  it.scoped("a pending disconnect fails DEVICE_REMOVED, new connects are refused, everything stays closable", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, qa, l } = yield* established(a!, b!, log)
      void l
      const lonely = yield* connector(a!)
      const lq = yield* qpOf(a!)
      const c2 = yield* connector(a!)
      const q2 = yield* qpOf(a!)
      // a connect to a host that does not answer stays pending until the reset
      yield* connect(lonely, lq, v4(a!.n, 0), v4(9, 80), log, { ctx: "lonely" })
      expect(yield* disconnect(ca, log, "d")).toBe(S.STATUS_PENDING)
      yield* until(() => false, 3)
      yield* a!.provider.reset
      yield* waitFor(log, "disconnect")
      yield* waitFor(log, "connect", 2)
      expect(log.of("disconnect")[0]!.status).toBe(S.STATUS_DEVICE_REMOVED)
      expect(log.of("connect", "lonely")[0]!.status).toBe(S.STATUS_DEVICE_REMOVED)
      expect(yield* connect(c2, q2, v4(a!.n, 0), v4(b!.n, 5000), log)).toBe(S.STATUS_DEVICE_REMOVED)
      for (const o of [ca, lonely, c2]) {
        expect([S.STATUS_SUCCESS, S.STATUS_PENDING]).toContain(yield* closeWith(o, log, "x"))
      }
      void qa
      yield* TestClock.adjust("1 second")
      const k = adapterOf(a!.adapter)!.kernel
      expect(Array.from(k.objects.values()).filter((o) => o.type === 8).length).toBe(0)
    }))
})

describe("Connection close races", () => {
  it.scoped("every connect completes once and every close completes, whatever the close timing (seeded loss)", () =>
    Effect.gen(function*() {
      for (let seed = 1; seed <= 4; seed++) {
        yield* Effect.scoped(Effect.gen(function*() {
          const { fabric, sides: [a, b] } = yield* world(2, { fabric: { seed } })
          yield* fabric.setFaults({ loss: 0.1, duplicate: 0.1, reorder: 0.1 })
          const log = new Log()
          const incoming: Array<NdkConnector> = []
          const l = yield* listener(b!, incoming, (c) =>
            Effect.gen(function*() {
              const q = yield* qpOf(b!)
              yield* accept(c, q, log, { ctx: "acc" })
            }))
          yield* listen(l, v4(b!.n, 5000))
          const n = 5
          const cs: Array<NdkConnector> = []
          for (let i = 0; i < n; i++) {
            const c = yield* connector(a!)
            cs.push(c)
            expect(yield* connect(c, yield* qpOf(a!), v4(a!.n, 0), v4(b!.n, 5000), log, { ctx: i }))
              .toBe(S.STATUS_PENDING)
          }
          // close connector i after i*seed ms of virtual time, passive ones after that
          const closes: Array<number> = []
          for (let i = 0; i < n; i++) {
            yield* TestClock.adjust(`${seed} millis`)
            yield* until(() => false, 3)
            closes.push(yield* closeWith(cs[i]!, log, `a${i}`))
          }
          yield* until(() => false, 50)
          for (const c of incoming) closes.push(yield* closeWith(c, log, "b"))
          closes.push(yield* closeWith(l, log, "l"))
          yield* TestClock.adjust("60 seconds")
          yield* until(() => false, 50)
          for (let i = 0; i < n; i++) expect(log.of("connect", i).length).toBe(1)
          const pendingCloses = closes.filter((s) => s === S.STATUS_PENDING).length
          expect(closes.every((s) => s === S.STATUS_SUCCESS || s === S.STATUS_PENDING)).toBe(true)
          expect(log.of("close").length).toBe(pendingCloses)
          expect(log.of("accept").length).toBe(incoming.length)
          const k = adapterOf(a!.adapter)!.kernel
          const kb = adapterOf(b!.adapter)!.kernel
          // only the QPs, CQ, PD and adapter remain
          expect(Array.from(k.objects.values()).filter((o) => o.type === 8).length).toBe(0)
          expect(Array.from(kb.objects.values()).filter((o) => o.type === 8 || o.type === 9).length).toBe(0)
          // no connection state is left in either connection manager once the retransmissions ran out
          expect(cmFor(a!).conns.size + cmFor(b!).conns.size).toBe(0)
          // every endpoint and 4-tuple of the connectors and the listener was released
          expect(cmFor(a!).registry.byKey.size + cmFor(b!).registry.byKey.size).toBe(0)
          expect(cmFor(a!).registry.tuples.size + cmFor(b!).registry.tuples.size).toBe(0)
        }))
      }
    }))

  it.scoped("the same seed and workload replay the same handshakes (trace hash and callback log)", () =>
    Effect.gen(function*() {
      const once = Effect.scoped(Effect.gen(function*() {
        const { fabric, sides: [a, b] } = yield* world(2, { fabric: { seed: 11 } })
        yield* fabric.setFaults({ loss: 0.15, duplicate: 0.1, reorder: 0.2 })
        const log = new Log()
        for (let i = 0; i < 3; i++) yield* established(a!, b!, log, 7000 + i)
        return { hash: yield* fabric.traceHash, calls: log.calls.map((c) => `${c.what}:${String(c.status)}`) }
      }))
      const first = yield* once
      const second = yield* once
      expect(second).toEqual(first)
    }))
})
