import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkConnector } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck as fc, TestClock } from "effect"
import {
  accept,
  closeWith,
  cmFor,
  completeConnect,
  connect,
  connector,
  dial,
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
  world,
  worldWith
} from "./utils/conn.js"
import { collect, registered, sge } from "./utils/setup.js"

const bytes = (...xs: Array<number>) => new Uint8Array(xs)

describe("Connection establishment", () => {
  it.scoped("R126: NdkConnect to an address with no listener fails with STATUS_CONNECTION_REFUSED", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const c = yield* connector(a!)
      const qp = yield* qpOf(a!)
      expect(yield* connect(c, qp, v4(a!.n, 0), v4(b!.n, 7777), log)).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "connect")
      expect(log.of("connect")).toEqual([{ what: "connect", context: "connect", status: S.STATUS_CONNECTION_REFUSED }])
    }))

  it.scoped("R127: a passive NdkReject fails the active connect with REFUSED; the reject data is readable", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      const c = yield* connector(a!)
      const qp = yield* qpOf(a!)
      expect(yield* connect(c, qp, v4(a!.n, 0), v4(b!.n, 5000), log)).toBe(S.STATUS_PENDING)
      yield* until(() => incoming.length === 1)
      expect(yield* incoming[0]!.Dispatch.NdkReject(incoming[0]!, bytes(9, 8, 7), 3)).toBe(S.STATUS_SUCCESS)
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
      const len = OutParam.inOut(200)
      const buf = new Uint8Array(200)
      expect(yield* c.Dispatch.NdkGetConnectionData(c, null, null, buf, len)).toBe(S.STATUS_SUCCESS)
      expect(len.value).toBe(148)
      expect(Array.from(buf.slice(0, 4))).toEqual([9, 8, 7, 0])
    }))

  it.scoped("R128: each incoming request raises exactly one connect event with a new connector (type 8)", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      for (let i = 0; i < 3; i++) {
        const c = yield* connector(a!)
        const qp = yield* qpOf(a!)
        expect(yield* connect(c, qp, v4(a!.n, 0), v4(b!.n, 5000), log, { ctx: i })).toBe(S.STATUS_PENDING)
      }
      yield* until(() => incoming.length >= 3)
      yield* TestClock.adjust("1 second")
      expect(incoming.length).toBe(3)
      expect(new Set(incoming).size).toBe(3)
      for (const c of incoming) expect(c.Header.ObjectType).toBe(8)
    }))

  it.scoped("R129: while paused no connect event is raised and connects are refused; resume restores events", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming, l } = yield* listening()
      yield* l.Dispatch.NdkControlConnectEvents(l, true)
      const c = yield* connector(a!)
      const qp = yield* qpOf(a!)
      yield* connect(c, qp, v4(a!.n, 0), v4(b!.n, 5000), log)
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
      expect(incoming.length).toBe(0)
      yield* l.Dispatch.NdkControlConnectEvents(l, false)
      yield* connect(c, qp, v4(a!.n, 0), v4(b!.n, 5000), log)
      yield* until(() => incoming.length === 1)
      expect(incoming.length).toBe(1)
    }))

  it.scoped(
    "R126 (§9.4 backlog row): with the backlog full a further connect completes STATUS_CONNECTION_REFUSED; a reject, accept or close frees a place",
    () =>
      Effect.gen(function*() {
        // the backlog is the provider's `connectionManager.backlog` option (NdkListen takes none, SPEC.md §6.11)
        const { sides: [a, b], log, incoming } = yield* listening({ provider: { connectionManager: { backlog: 2 } } })
        const attempt = (ctx: string) =>
          Effect.gen(function*() {
            const c = yield* connector(a!)
            expect(yield* connect(c, yield* qpOf(a!), v4(a!.n, 0), v4(b!.n, 5000), log, { ctx })).toBe(S.STATUS_PENDING)
            return c
          })
        // two requests fill the backlog: two connect events, neither connect completes yet
        yield* attempt("c1")
        yield* attempt("c2")
        expect(yield* until(() => incoming.length === 2)).toBe(true)
        // the third is refused without a connect event; the same connector may try again later (R156)
        const c3 = yield* attempt("c3")
        yield* waitFor(log, "connect")
        expect(log.of("connect").map((c) => [c.context, c.status])).toEqual([["c3", S.STATUS_CONNECTION_REFUSED]])
        expect(incoming.length).toBe(2)
        // a reject frees a place: the retry is delivered
        expect(yield* incoming[0]!.Dispatch.NdkReject(incoming[0]!, null, 0)).toBe(S.STATUS_SUCCESS)
        yield* waitFor(log, "connect", 2)
        expect(log.of("connect", "c1")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
        expect(yield* connect(c3, yield* qpOf(a!), v4(a!.n, 0), v4(b!.n, 5000), log, { ctx: "c3" }))
          .toBe(S.STATUS_PENDING)
        expect(yield* until(() => incoming.length === 3)).toBe(true)
        // full again; an accept frees a place too, and so does closing an incoming connector
        yield* attempt("c4")
        yield* waitFor(log, "connect", 3)
        expect(log.of("connect", "c4")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
        expect(yield* accept(incoming[1]!, yield* qpOf(b!), log)).toBe(S.STATUS_PENDING)
        expect(yield* closeWith(incoming[2]!, log, "in3")).toBe(S.STATUS_SUCCESS)
        yield* attempt("c5")
        yield* attempt("c6")
        expect(yield* until(() => incoming.length === 5)).toBe(true)
        yield* attempt("c7")
        yield* waitFor(log, "connect", 6)
        expect(log.of("connect", "c7")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
      })
  )

  it.scoped("R139: NdkCompleteConnect before the connect completed returns STATUS_CONNECTION_INVALID", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log } = yield* listening()
      const c = yield* connector(a!)
      expect(yield* completeConnect(c, log)).toBe(S.STATUS_CONNECTION_INVALID)
      const qp = yield* qpOf(a!)
      yield* connect(c, qp, v4(a!.n, 0), v4(b!.n, 5000), log)
      expect(yield* completeConnect(c, log)).toBe(S.STATUS_CONNECTION_INVALID)
      expect(log.of("complete").length).toBe(0)
    }))

  it.scoped("R140: the passive NdkAccept completes only after the active NdkCompleteConnect", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      const ca = yield* connector(a!)
      const qa = yield* qpOf(a!)
      const qb = yield* qpOf(b!)
      yield* connect(ca, qa, v4(a!.n, 0), v4(b!.n, 5000), log)
      yield* until(() => incoming.length === 1)
      const ba = yield* registered(a!.host.nic, a!.pd, 4096)
      const bb = yield* registered(b!.host.nic, b!.pd, 4096)
      expect(yield* qb.Dispatch.NdkReceive(qb, "rb", [sge(bb, 0, 64)], 1)).toBe(S.STATUS_SUCCESS)
      expect(yield* accept(incoming[0]!, qb, log)).toBe(S.STATUS_PENDING)
      // not connected before the accept completes: initiator posts are refused
      expect(yield* qb.Dispatch.NdkSend(qb, "early", [sge(bb, 0, 8)], 1, 0)).toBe(S.STATUS_CONNECTION_INVALID)
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_SUCCESS)
      yield* TestClock.adjust("5 seconds")
      expect(log.of("accept").length).toBe(0)
      expect(yield* completeConnect(ca, log)).toBe(S.STATUS_SUCCESS)
      // the active side may send at once; the data reaches the passive QP once it is connected
      expect(yield* qa.Dispatch.NdkSend(qa, "first", [sge(ba, 0, 8)], 1, 0)).toBe(S.STATUS_SUCCESS)
      yield* waitFor(log, "accept")
      expect(log.of("accept")).toEqual([{ what: "accept", context: "accept", status: S.STATUS_SUCCESS }])
      const rb = yield* collect(b!.cq, 1)
      expect(rb.map((r) => [r.RequestContext, r.Status])).toEqual([["rb", S.STATUS_SUCCESS]])
      const ra = yield* collect(a!.cq, 1)
      expect(ra.map((r) => [r.RequestContext, r.Status])).toEqual([["first", S.STATUS_SUCCESS]])
    }))

  it.scoped("R141: if the active side never completes, the passive NdkAccept fails with STATUS_IO_TIMEOUT", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      const ca = yield* dial(a!, b!, log)
      yield* until(() => incoming.length === 1)
      yield* accept(incoming[0]!, yield* qpOf(b!), log)
      yield* waitFor(log, "connect")
      yield* TestClock.adjust("29 seconds")
      expect(log.of("accept").length).toBe(0)
      yield* TestClock.adjust("2 seconds")
      yield* waitFor(log, "accept")
      expect(log.of("accept")[0]!.status).toBe(S.STATUS_IO_TIMEOUT)
      // the active side's establishment is over too
      expect(yield* completeConnect(ca, log)).toBe(S.STATUS_CONNECTION_ABORTED)
    }))

  it.scoped("R142: an active NdkReject after its connect completed fails the passive accept (ABORTED)", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      const ca = yield* dial(a!, b!, log)
      yield* until(() => incoming.length === 1)
      yield* accept(incoming[0]!, yield* qpOf(b!), log)
      yield* waitFor(log, "connect")
      expect(yield* ca.Dispatch.NdkReject(ca, null, 0)).toBe(S.STATUS_SUCCESS)
      yield* waitFor(log, "accept")
      expect(log.of("accept")[0]!.status).toBe(S.STATUS_CONNECTION_ABORTED)
    }))

  it.scoped("R143: closing the active connector before accept makes NdkAccept / NdkReject fail ABORTED", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      const actives: Array<NdkConnector> = []
      for (let i = 0; i < 2; i++) {
        const ca = yield* connector(a!)
        actives.push(ca)
        yield* connect(ca, yield* qpOf(a!), v4(a!.n, 0), v4(b!.n, 5000), log, { ctx: i })
      }
      yield* until(() => incoming.length === 2)
      for (const ca of actives) expect(yield* closeWith(ca, log, "close-active")).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "close", 2)
      // the pending connects completed with STATUS_CANCELLED before the close completions
      expect(log.calls.map((c) => c.what)).toEqual(["connect", "close", "connect", "close"])
      expect(log.of("connect").map((c) => c.status)).toEqual([S.STATUS_CANCELLED, S.STATUS_CANCELLED])
      yield* TestClock.adjust("10 millis")
      expect(yield* accept(incoming[0]!, yield* qpOf(b!), log)).toBe(S.STATUS_CONNECTION_ABORTED)
      expect(yield* incoming[1]!.Dispatch.NdkReject(incoming[1]!, null, 0)).toBe(S.STATUS_CONNECTION_ABORTED)
      expect(log.of("accept").length).toBe(0)
    }))

  it.scoped("R142: with the NDSPI option an active reject after reply fails the passive accept REFUSED", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening({
        provider: { connectionManager: { activeRejectRefused: true } }
      })
      expect(cmFor(b!).config.activeRejectRefused).toBe(true)
      const ca = yield* dial(a!, b!, log)
      yield* until(() => incoming.length === 1)
      yield* accept(incoming[0]!, yield* qpOf(b!), log)
      yield* waitFor(log, "connect")
      expect(yield* ca.Dispatch.NdkReject(ca, null, 0)).toBe(S.STATUS_SUCCESS)
      yield* waitFor(log, "accept")
      expect(log.of("accept")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
    }))
})

describe("Connection data", () => {
  it.scoped("R144: effective IRD/ORD follow §9.6 on both sides for random offers and adapter caps", () =>
    Effect.gen(function*() {
      const samples = fc.sample(
        fc.record({
          capA: fc.record({ ird: fc.integer({ min: 1, max: 16 }), ord: fc.integer({ min: 1, max: 16 }) }),
          capP: fc.record({ ird: fc.integer({ min: 1, max: 16 }), ord: fc.integer({ min: 1, max: 16 }) }),
          a: fc.record({ ird: fc.integer({ min: 0, max: 40 }), ord: fc.integer({ min: 0, max: 40 }) }),
          p: fc.record({ ird: fc.integer({ min: 0, max: 40 }), ord: fc.integer({ min: 0, max: 40 }) })
        }),
        { numRuns: 8, seed: 144 }
      )
      for (const s of samples) {
        yield* Effect.scoped(Effect.gen(function*() {
          const { sides: [a, b] } = yield* worldWith([
            { maxIrd: s.capA.ird, maxOrd: s.capA.ord },
            { maxIrd: s.capP.ird, maxOrd: s.capP.ord }
          ])
          const log = new Log()
          const incoming: Array<NdkConnector> = []
          const l = yield* listener(b!, incoming)
          yield* listen(l, v4(b!.n, 5000))
          const ca = yield* connector(a!)
          yield* connect(ca, yield* qpOf(a!), v4(a!.n, 0), v4(b!.n, 5000), log, s.a)
          yield* until(() => incoming.length === 1)
          const cb = incoming[0]!
          const Ai = Math.min(s.a.ird, s.capA.ird), Ao = Math.min(s.a.ord, s.capA.ord)
          const Pi = Math.min(s.p.ird, s.capP.ird), Po = Math.min(s.p.ord, s.capP.ord)
          const limits = (c: NdkConnector) =>
            Effect.gen(function*() {
              const ird = OutParam.out<number>()
              const ord = OutParam.out<number>()
              const st = yield* c.Dispatch.NdkGetConnectionData(c, ird, ord, null, OutParam.inOut(0))
              expect(st).toBe(S.STATUS_SUCCESS)
              return [ird.value, ord.value]
            })
          // before accept: the requester's offer capped by the passive adapter
          expect(yield* limits(cb)).toEqual([Math.min(Ao, s.capP.ird), Math.min(Ai, s.capP.ord)])
          yield* accept(cb, yield* qpOf(b!), log, s.p)
          yield* waitFor(log, "connect")
          expect(yield* limits(ca)).toEqual([Math.min(Ai, Po), Math.min(Ao, Pi)])
          yield* completeConnect(ca, log)
          yield* waitFor(log, "accept")
          expect(yield* limits(cb)).toEqual([Math.min(Pi, Ao), Math.min(Po, Ai)])
        }))
      }
    }))

  it.scoped("R145: NdkGetConnectionData follows the RDS protocol", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      const ca = yield* connector(a!)
      const data = new Uint8Array(20).map((_, i) => i + 1)
      yield* connect(ca, yield* qpOf(a!), v4(a!.n, 0), v4(b!.n, 5000), log, { data })
      yield* until(() => incoming.length === 1)
      const cb = incoming[0]!
      const len = OutParam.inOut(0)
      expect(yield* cb.Dispatch.NdkGetConnectionData(cb, null, null, null, len)).toBe(S.STATUS_SUCCESS)
      expect(len.value).toBe(56) // RDS = MaxCallerData on the passive side
      const short = new Uint8Array(10)
      len.value = 10
      expect(yield* cb.Dispatch.NdkGetConnectionData(cb, null, null, short, len)).toBe(S.STATUS_BUFFER_TOO_SMALL)
      expect(len.value).toBe(56)
      expect(Array.from(short)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
      const full = new Uint8Array(64).fill(0xee)
      len.value = 64
      expect(yield* cb.Dispatch.NdkGetConnectionData(cb, null, null, full, len)).toBe(S.STATUS_SUCCESS)
      expect(len.value).toBe(56)
      expect(Array.from(full.slice(0, 22))).toEqual([...Array.from(data), 0, 0])
      len.value = 5
      expect(yield* cb.Dispatch.NdkGetConnectionData(cb, null, null, null, len)).toBe(S.STATUS_INVALID_PARAMETER)
    }))

  it.scoped("R146: connect data is readable before accept; accept data after the connect completed", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      const ca = yield* dial(a!, b!, log, { data: bytes(1, 2, 3) })
      yield* until(() => incoming.length === 1)
      const cb = incoming[0]!
      const buf = new Uint8Array(56)
      yield* cb.Dispatch.NdkGetConnectionData(cb, null, null, buf, OutParam.inOut(56))
      expect(Array.from(buf.slice(0, 3))).toEqual([1, 2, 3])
      yield* accept(cb, yield* qpOf(b!), log, { data: new Uint8Array(148).fill(7) })
      yield* waitFor(log, "connect")
      const back = new Uint8Array(148)
      expect(yield* ca.Dispatch.NdkGetConnectionData(ca, null, null, back, OutParam.inOut(148))).toBe(S.STATUS_SUCCESS)
      expect(back.every((x) => x === 7)).toBe(true)
    }))

  it.scoped("R147: private data over MaxCallerData / MaxCalleeData fails inline with STATUS_INVALID_BUFFER_SIZE", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      const ca = yield* connector(a!)
      const qa = yield* qpOf(a!)
      expect(yield* connect(ca, qa, v4(a!.n, 0), v4(b!.n, 5000), log, { data: new Uint8Array(57) }))
        .toBe(S.STATUS_INVALID_BUFFER_SIZE)
      expect(yield* connect(ca, qa, v4(a!.n, 0), v4(b!.n, 5000), log, { data: new Uint8Array(56) }))
        .toBe(S.STATUS_PENDING)
      yield* until(() => incoming.length === 1)
      const cb = incoming[0]!
      const qb = yield* qpOf(b!)
      expect(yield* accept(cb, qb, log, { data: new Uint8Array(149) })).toBe(S.STATUS_INVALID_BUFFER_SIZE)
      expect(yield* cb.Dispatch.NdkReject(cb, new Uint8Array(149), 149)).toBe(S.STATUS_INVALID_BUFFER_SIZE)
      expect(yield* accept(cb, qb, log, { data: new Uint8Array(148) })).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "connect")
      expect(log.of("connect").length).toBe(1)
      expect(log.calls.filter((c) => c.status === S.STATUS_INVALID_BUFFER_SIZE).length).toBe(0)
    }))

  it.scoped("R156: a connector whose connect was refused accepts another NdkConnect", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const ca = yield* connector(a!)
      const qa = yield* qpOf(a!)
      yield* connect(ca, qa, v4(a!.n, 0), v4(b!.n, 5000), log)
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
      const incoming: Array<NdkConnector> = []
      const l = yield* listener(b!, incoming)
      yield* listen(l, v4(b!.n, 5000))
      expect(yield* connect(ca, qa, v4(a!.n, 0), v4(b!.n, 5000), log)).toBe(S.STATUS_PENDING)
      yield* until(() => incoming.length === 1)
      yield* accept(incoming[0]!, yield* qpOf(b!), log)
      yield* waitFor(log, "connect", 2)
      expect(log.of("connect")[1]!.status).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R157: loopback connects succeed only with NDK_ADAPTER_FLAG_LOOPBACK_CONNECTIONS_SUPPORTED", () =>
    Effect.gen(function*() {
      const { sides: [a] } = yield* world(1)
      const log = new Log()
      const incoming: Array<NdkConnector> = []
      const l = yield* listener(a!, incoming)
      yield* listen(l, v4(a!.n, 5000))
      const ca = yield* connector(a!)
      yield* connect(ca, yield* qpOf(a!), v4(a!.n, 0), v4(a!.n, 5000), log)
      yield* until(() => incoming.length === 1)
      yield* accept(incoming[0]!, yield* qpOf(a!), log)
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_SUCCESS)
      yield* Effect.scoped(Effect.gen(function*() {
        const { sides: [x] } = yield* worldWith([{ loopback: false }])
        const log2 = new Log()
        const inc: Array<NdkConnector> = []
        const l2 = yield* listener(x!, inc)
        yield* listen(l2, v4(x!.n, 5000))
        const cx = yield* connector(x!)
        expect(yield* connect(cx, yield* qpOf(x!), v4(x!.n, 0), v4(x!.n, 5000), log2)).toBe(S.STATUS_PENDING)
        expect(log2.of("connect")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
        yield* TestClock.adjust("1 second")
        expect(inc.length).toBe(0)
      }))
    }))

  it.scoped("R9: closing the connector inside its NdkConnect completion still returns PENDING, one close completion", () =>
    Effect.gen(function*() {
      const { sides: [x] } = yield* worldWith([{ loopback: false }])
      const log = new Log()
      const cx = yield* connector(x!)
      const qp = yield* qpOf(x!)
      let closeStatus = -1
      const st = yield* cx.Dispatch.NdkConnect(
        cx,
        qp,
        v4(x!.n, 0),
        16,
        v4(x!.n, 5000),
        16,
        1,
        1,
        null,
        0,
        (ctx, status) =>
          Effect.gen(function*() {
            log.push({ what: "connect", context: ctx, status })
            closeStatus = yield* closeWith(cx, log, "close-in-callback")
          }),
        "ctx9"
      )
      expect(st).toBe(S.STATUS_PENDING)
      expect(closeStatus).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "close")
      yield* TestClock.adjust("1 second")
      expect(log.calls).toEqual([
        { what: "connect", context: "ctx9", status: S.STATUS_CONNECTION_REFUSED },
        { what: "close", context: "close-in-callback" }
      ])
    }))
})

describe("Connection errors (§9.9)", () => {
  it.scoped("§9.9: an address with no host fails HOST_UNREACHABLE; outside the network NETWORK_UNREACHABLE", () =>
    Effect.gen(function*() {
      const { sides: [a] } = yield* world(1)
      const log = new Log()
      const ca = yield* connector(a!)
      const qa = yield* qpOf(a!)
      expect(yield* connect(ca, qa, v4(a!.n, 0), { family: 2, address: "192.168.1.1", port: 80 }, log))
        .toBe(S.STATUS_NETWORK_UNREACHABLE)
      expect(yield* connect(ca, qa, v4(a!.n, 0), v4(99, 80), log)).toBe(S.STATUS_PENDING)
      yield* TestClock.adjust("10 seconds")
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_HOST_UNREACHABLE)
    }))

  it.scoped("§9.9: a listener that never answers makes the connect fail STATUS_IO_TIMEOUT", () =>
    Effect.gen(function*() {
      const { sides: [a, b], log, incoming } = yield* listening()
      yield* dial(a!, b!, log)
      yield* until(() => incoming.length === 1)
      yield* TestClock.adjust("29 seconds")
      expect(log.of("connect").length).toBe(0)
      yield* TestClock.adjust("2 seconds")
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_IO_TIMEOUT)
      // the passive side's un-accepted connector learns of the abandonment
      expect(yield* accept(incoming[0]!, yield* qpOf(b!), log)).toBe(S.STATUS_CONNECTION_ABORTED)
    }))

  it.scoped("§9.9: connect / accept / complete succeed under 20% MAD loss (retransmission)", () =>
    Effect.gen(function*() {
      const { fabric, sides: [a, b] } = yield* world(2, { fabric: { seed: 7 } })
      yield* fabric.setFaults({ loss: 0.2 })
      const log = new Log()
      for (let i = 0; i < 4; i++) {
        yield* established(a!, b!, log, 6000 + i)
      }
      expect(log.of("connect").every((c) => c.status === S.STATUS_SUCCESS)).toBe(true)
      expect(log.of("accept").map((c) => c.status)).toEqual([0, 0, 0, 0])
    }))
})
