import type { NdkConnector } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import {
  accept,
  closeWith,
  completeConnect,
  connect,
  connector,
  dial,
  disconnect,
  established,
  listen,
  listener,
  listening,
  Log,
  qpOf,
  S,
  until,
  v4,
  waitFor,
  world
} from "./utils/conn.js"
import { drain, registered, sge } from "./utils/setup.js"

describe("Connection close", () => {
  it.scoped("R12: closing an idle connector returns STATUS_SUCCESS and makes no callback", () =>
    Effect.gen(function*() {
      const { sides: [a] } = yield* world(1)
      const log = new Log()
      const c = yield* connector(a!)
      expect(yield* closeWith(c, log, "x")).toBe(S.STATUS_SUCCESS)
      yield* TestClock.adjust("1 second")
      expect(log.calls).toEqual([])
    }))

  it.scoped("R20: closing a listener while its connect event runs pends until the callback returned", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const incoming: Array<NdkConnector> = []
      const l = yield* listener(b!, incoming, (c) =>
        Effect.gen(function*() {
          log.push({ what: "event", context: null })
          // the delivered connector is closed at once (rejecting the request) so only the event holds the close
          yield* closeWith(c, log, "incoming")
          yield* Effect.sleep("5 millis")
          log.push({ what: "event-returned", context: null })
        }))
      yield* listen(l, v4(b!.n, 5000))
      yield* dial(a!, b!, log)
      yield* until(() => log.of("event").length === 1)
      expect(yield* closeWith(l, log, "listener")).toBe(S.STATUS_PENDING)
      yield* TestClock.adjust("4 millis")
      expect(log.of("close").length).toBe(0)
      yield* waitFor(log, "close")
      expect(log.calls.map((c) => c.what).filter((w) => w !== "connect")).toEqual([
        "event",
        "event-returned",
        "close"
      ])
      expect(log.of("close")[0]!.context).toBe("listener")
      // the active side was refused by the close of the incoming connector
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
    }))

  it.scoped("R25: closing a QP bound to a connector pends until the connector is closed", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, qa } = yield* established(a!, b!, log)
      expect(yield* closeWith(qa, log, "qp")).toBe(S.STATUS_PENDING)
      yield* TestClock.adjust("1 second")
      expect(log.of("close").length).toBe(0)
      expect(yield* closeWith(ca, log, "connector")).toBe(S.STATUS_SUCCESS)
      yield* waitFor(log, "close")
      expect(log.of("close").map((c) => c.context)).toEqual(["qp"])
    }))

  it.scoped("R130: after NdkCloseListener no connect event is raised and requests are refused, close pending", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming, l } = yield* listening()
      yield* dial(a!, b!, log, { ctx: 1 })
      yield* until(() => incoming.length === 1)
      expect(yield* closeWith(l, log, "listener")).toBe(S.STATUS_PENDING)
      yield* dial(a!, b!, log, { ctx: 2 })
      yield* waitFor(log, "connect")
      expect(log.of("connect", 2)[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
      expect(incoming.length).toBe(1)
      expect(log.of("close").length).toBe(0)
    }))

  it.scoped("R131: a listener close pends until every connector it delivered is closed", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { cb, l } = yield* established(a!, b!, log)
      const incoming2: Array<NdkConnector> = []
      void incoming2
      expect(yield* closeWith(l, log, "listener")).toBe(S.STATUS_PENDING)
      yield* TestClock.adjust("1 second")
      expect(log.of("close").length).toBe(0)
      expect(yield* closeWith(cb, log, "accepted")).toBe(S.STATUS_SUCCESS)
      yield* waitFor(log, "close")
      expect(log.of("close").map((c) => c.context)).toEqual(["listener"])
    }))

  it.scoped("R28: a pending listener / shared-endpoint close leaves the connections through them working", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { l, qa, qb } = yield* established(a!, b!, log)
      expect(yield* closeWith(l, log, "listener")).toBe(S.STATUS_PENDING)
      const ba = yield* registered(a!.host.nic, a!.pd, 4096)
      const bb = yield* registered(b!.host.nic, b!.pd, 4096)
      expect(yield* qb.Dispatch.NdkReceive(qb, "rb", [sge(bb, 0, 64)], 1)).toBe(S.STATUS_SUCCESS)
      expect(yield* qa.Dispatch.NdkSend(qa, "sa", [sge(ba, 0, 16)], 1, 0)).toBe(S.STATUS_SUCCESS)
      const got: Array<unknown> = []
      yield* until(() => {
        got.push(...drain(b!.cq).map((r) => [r.RequestContext, r.Status]))
        return got.length === 1
      })
      expect(got).toEqual([["rb", S.STATUS_SUCCESS]])
      expect(log.of("close").length).toBe(0)
    }))

  it.scoped("R166: closing the connector while WRs are posted on its QP loses none: each completes or is refused", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, qa, qb } = yield* established(a!, b!, log)
      const ba = yield* registered(a!.host.nic, a!.pd, 4096)
      const bb = yield* registered(b!.host.nic, b!.pd, 4096)
      for (let i = 0; i < 8; i++) yield* qb.Dispatch.NdkReceive(qb, `r${i}`, [sge(bb, i * 64, 64)], 1)
      const accepted: Array<string> = []
      for (let i = 0; i < 8; i++) {
        if (i === 4) expect(yield* closeWith(ca, log, "connector")).toBe(S.STATUS_SUCCESS)
        const st = yield* qa.Dispatch.NdkSend(qa, `s${i}`, [sge(ba, 0, 16)], 1, 0)
        if (i < 4) expect(st).toBe(S.STATUS_SUCCESS)
        else expect(st).toBe(S.STATUS_CONNECTION_INVALID)
        if (st === S.STATUS_SUCCESS) accepted.push(`s${i}`)
      }
      const done: Array<{ RequestContext: unknown; Status: number }> = []
      yield* until(() => {
        done.push(...drain(a!.cq))
        return done.length >= accepted.length
      })
      yield* TestClock.adjust("10 millis")
      done.push(...drain(a!.cq))
      expect(done.map((r) => r.RequestContext).sort()).toEqual(accepted)
      for (const r of done) expect([S.STATUS_SUCCESS, S.STATUS_CANCELLED]).toContain(r.Status)
    }))

  it.scoped("R158: closing an incoming connector without accept/reject makes the active connect fail REFUSED", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      yield* dial(a!, b!, log)
      yield* until(() => incoming.length === 1)
      expect(yield* closeWith(incoming[0]!, log, "incoming")).toBe(S.STATUS_SUCCESS)
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
    }))

  it.scoped("R159: closing a connected connector gives the peer a disconnect event and flushes local WRs", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca, qa } = yield* established(a!, b!, log)
      const buf = yield* registered(a!.host.nic, a!.pd, 4096)
      for (let i = 0; i < 3; i++) {
        expect(yield* qa.Dispatch.NdkReceive(qa, `r${i}`, [sge(buf, i * 64, 64)], 1)).toBe(S.STATUS_SUCCESS)
      }
      expect(yield* closeWith(ca, log, "connector")).toBe(S.STATUS_SUCCESS)
      yield* waitFor(log, "disconnect-event")
      expect(log.of("disconnect-event")).toEqual([{ what: "disconnect-event", context: "passive-disc" }])
      const results: Array<{ RequestContext: unknown; Status: number }> = []
      yield* until(() => {
        results.push(...drain(a!.cq))
        return results.length >= 3
      })
      expect(results.map((r) => [r.RequestContext, r.Status])).toEqual([
        ["r0", S.STATUS_CANCELLED],
        ["r1", S.STATUS_CANCELLED],
        ["r2", S.STATUS_CANCELLED]
      ])
      // the local QP is no longer connected
      expect(yield* qa.Dispatch.NdkSend(qa, "s", [sge(buf, 0, 8)], 1, 0)).toBe(S.STATUS_CONNECTION_INVALID)
    }))

  it.scoped("R21: closing with a pending accept completes it CANCELLED; the active complete fails ABORTED", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      const ca = yield* dial(a!, b!, log)
      yield* until(() => incoming.length === 1)
      yield* accept(incoming[0]!, yield* qpOf(b!), log)
      yield* waitFor(log, "connect")
      expect(yield* closeWith(incoming[0]!, log, "accepting")).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "close")
      expect(log.calls.map((c) => [c.what, c.status])).toEqual([
        ["connect", S.STATUS_SUCCESS],
        ["accept", S.STATUS_CANCELLED],
        ["close", undefined]
      ])
      yield* TestClock.adjust("5 millis")
      expect(yield* completeConnect(ca, log)).toBe(S.STATUS_CONNECTION_ABORTED)
    }))

  it.scoped("R21: closing with a pending disconnect completes it CANCELLED, the peer sees an abort", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { ca } = yield* established(a!, b!, log)
      expect(yield* disconnect(ca, log)).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "disconnect-event")
      // b got the graceful notification; a's disconnect waits for b's own disconnect: close a now
      expect(yield* closeWith(ca, log, "closing")).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "close")
      const tail = log.calls.slice(-2).map((c) => [c.what, c.status])
      expect(tail).toEqual([["disconnect", S.STATUS_CANCELLED], ["close", undefined]])
      expect(log.of("disconnect-event").length).toBe(1)
    }))

  it.scoped("R168: a pending connect is completed CANCELLED after (never inside) the close call, before its completion", () =>
    Effect.gen(function*() {
      const { sides: [a] } = yield* world(1)
      const log = new Log()
      const ca = yield* connector(a!)
      // host 9 does not exist: the connect stays pending while the REQ is retransmitted
      yield* connect(ca, yield* qpOf(a!), v4(a!.n, 0), v4(9, 5000), log)
      const st = yield* closeWith(ca, log, "c")
      expect(st).toBe(S.STATUS_PENDING)
      expect(log.calls).toEqual([])
      yield* waitFor(log, "close")
      expect(log.calls).toEqual([
        { what: "connect", context: "connect", status: S.STATUS_CANCELLED },
        { what: "close", context: "c" }
      ])
      yield* TestClock.adjust("10 seconds")
      expect(log.calls.length).toBe(2)
    }))
})
