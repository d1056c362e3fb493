import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkConnector, NdkListener, NdkSharedEndpoint } from "@effect-ndk/ndkpi/RawInterface"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import {
  accept,
  closeWith,
  cmFor,
  connect,
  connector,
  established,
  listen,
  listener,
  Log,
  qpOf,
  S,
  sharedEndpoint,
  until,
  v4,
  v6,
  waitFor,
  world
} from "./utils/conn.js"

const localOf = (o: NdkListener | NdkSharedEndpoint | NdkConnector) =>
  Effect.gen(function*() {
    const out = OutParam.out<SockAddr>()
    const len = OutParam.inOut(28)
    const st = yield* (o.Dispatch.NdkGetLocalAddress as (
      o: unknown,
      a: OutParam.Out<SockAddr> | null,
      l: OutParam.InOut<number>
    ) => Effect.Effect<number>)(o, out, len)
    expect(st).toBe(S.STATUS_SUCCESS)
    return out.value!
  })

const connectWithSep = (
  c: NdkConnector,
  qp: Parameters<NdkConnector["Dispatch"]["NdkConnectWithSharedEndpoint"]>[1],
  sep: NdkSharedEndpoint,
  dst: SockAddr,
  log: Log,
  ctx: unknown
) => c.Dispatch.NdkConnectWithSharedEndpoint(c, qp, sep, dst, 16, 2, 2, null, 0, log.completion("connect"), ctx)

describe("Endpoints", () => {
  it.scoped("R132: NdkListen on an address/port already in use fails with STATUS_SHARING_VIOLATION", () =>
    Effect.gen(function*() {
      const { sides: [a] } = yield* world(1)
      const l1 = yield* listener(a!, [])
      const l2 = yield* listener(a!, [])
      expect(yield* listen(l1, v4(a!.n, 5000))).toBe(S.STATUS_SUCCESS)
      expect(yield* listen(l2, v4(a!.n, 5000))).toBe(S.STATUS_SHARING_VIOLATION)
      // a second NdkListen on the same listener is a state error
      expect(yield* listen(l1, v4(a!.n, 5001))).toBe(S.STATUS_INVALID_DEVICE_STATE)
      // connect from, and a shared endpoint on, the same port collide too
      const log = new Log()
      const c = yield* connector(a!)
      expect(yield* connect(c, yield* qpOf(a!), v4(a!.n, 5000), v4(2, 1), log)).toBe(S.STATUS_SHARING_VIOLATION)
      expect((yield* sharedEndpoint(a!, v4(a!.n, 5000))).status).toBe(S.STATUS_SHARING_VIOLATION)
      expect(yield* listen(l2, v4(a!.n, 5002))).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R133: a closed listener's port stays in use while an accepted connector is open", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const { cb, l } = yield* established(a!, b!, log, 5000)
      expect(yield* closeWith(l, log, "listener")).toBe(S.STATUS_PENDING)
      const l2 = yield* listener(b!, [])
      expect(yield* listen(l2, v4(b!.n, 5000))).toBe(S.STATUS_SHARING_VIOLATION)
      expect(yield* closeWith(cb, log, "accepted")).toBe(S.STATUS_SUCCESS)
      yield* waitFor(log, "close")
      expect(yield* listen(l2, v4(b!.n, 5000))).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R134: port 0 yields an ephemeral port (49152–65535) reported by the get-local-address functions", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const inEphemeral = (p: number) => p >= 49152 && p <= 65535
      const l = yield* listener(b!, [])
      expect(yield* listen(l, v4(b!.n, 0))).toBe(S.STATUS_SUCCESS)
      const la = yield* localOf(l)
      expect(inEphemeral(la.port)).toBe(true)
      expect(la.address).toBe(v4(b!.n, 0).address)
      const { sep } = yield* sharedEndpoint(a!, v4(a!.n, 0))
      expect(inEphemeral((yield* localOf(sep!)).port)).toBe(true)
      const log = new Log()
      const c = yield* connector(a!)
      yield* connect(c, yield* qpOf(a!), v4(a!.n, 0), la, log)
      const cl = yield* localOf(c)
      expect(inEphemeral(cl.port)).toBe(true)
      // host a's two ephemeral ports differ
      expect(cl.port).not.toBe((yield* localOf(sep!)).port)
    }))

  it.scoped(
    "R135: with the ephemeral range exhausted, port 0 fails with STATUS_TOO_MANY_ADDRESSES",
    () =>
      Effect.gen(function*() {
        const { sides: [a] } = yield* world(1)
        // occupy every ephemeral port but one through the API, the last one through a listener
        const seps: Array<NdkSharedEndpoint> = []
        for (let i = 0; i < 65535 - 49152; i++) {
          const r = yield* sharedEndpoint(a!, v4(a!.n, 0))
          expect(r.status).toBe(S.STATUS_SUCCESS)
          seps.push(r.sep!)
        }
        const l = yield* listener(a!, [])
        expect(yield* listen(l, v4(a!.n, 0))).toBe(S.STATUS_SUCCESS)
        const l2 = yield* listener(a!, [])
        expect(yield* listen(l2, v4(a!.n, 0))).toBe(S.STATUS_TOO_MANY_ADDRESSES)
        expect((yield* sharedEndpoint(a!, v4(a!.n, 0))).status).toBe(S.STATUS_TOO_MANY_ADDRESSES)
        const log = new Log()
        const c = yield* connector(a!)
        expect(yield* connect(c, yield* qpOf(a!), v4(a!.n, 0), v4(2, 80), log)).toBe(S.STATUS_TOO_MANY_ADDRESSES)
        // a freed port is handed out again
        expect(yield* closeWith(seps[100]!, log, "sep")).toBe(S.STATUS_SUCCESS)
        expect(yield* listen(l2, v4(a!.n, 0))).toBe(S.STATUS_SUCCESS)
        // IPv6 has its own port space on this host
        expect((yield* sharedEndpoint(a!, v6(a!.n, 0))).status).toBe(S.STATUS_SUCCESS)
      }),
    { timeout: 30_000 }
  )

  it.scoped("R136: a local address not owned by the adapter fails with STATUS_INVALID_ADDRESS", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const foreign = v4(b!.n, 5000)
      const l = yield* listener(a!, [])
      expect(yield* listen(l, foreign)).toBe(S.STATUS_INVALID_ADDRESS)
      expect((yield* sharedEndpoint(a!, foreign)).status).toBe(S.STATUS_INVALID_ADDRESS)
      const log = new Log()
      const c = yield* connector(a!)
      expect(yield* connect(c, yield* qpOf(a!), foreign, v4(b!.n, 6000), log)).toBe(S.STATUS_INVALID_ADDRESS)
      expect(yield* listen(l, { family: 2, address: "127.0.0.1", port: 1 })).toBe(S.STATUS_INVALID_ADDRESS)
      expect(log.calls).toEqual([])
    }))

  it.scoped(
    "R136, R128 (model decision): NdkListen on the unspecified address (0.0.0.0, ::) listens on every address of the adapter in its family",
    () =>
      Effect.gen(function*() {
        const { sides: [a, b] } = yield* world()
        const log = new Log()
        const incoming: Array<NdkConnector> = []
        const l = yield* listener(b!, incoming)
        expect(yield* listen(l, { family: 2, address: "0.0.0.0", port: 5000 }, log)).toBe(S.STATUS_SUCCESS)
        // the listener reports what it was bound to
        expect(yield* localOf(l)).toEqual({ family: 2, address: "0.0.0.0", port: 5000 })
        // a request to the adapter's IPv4 address raises one connect event; the connection's local address is the
        // concrete address the request named
        const ca = yield* connector(a!)
        expect(yield* connect(ca, yield* qpOf(a!), v4(a!.n, 0), v4(b!.n, 5000), log)).toBe(S.STATUS_PENDING)
        expect(yield* until(() => incoming.length === 1)).toBe(true)
        expect(yield* localOf(incoming[0]!)).toEqual(v4(b!.n, 5000))
        expect(yield* accept(incoming[0]!, yield* qpOf(b!), log)).toBe(S.STATUS_PENDING)
        yield* waitFor(log, "connect")
        expect(log.of("connect")[0]!.status).toBe(S.STATUS_SUCCESS)
        // the other family is not covered: an IPv6 request to that port is refused
        const c6 = yield* connector(a!)
        expect(yield* connect(c6, yield* qpOf(a!), v6(a!.n, 0), v6(b!.n, 5000), log, { ctx: "v6" }))
          .toBe(S.STATUS_PENDING)
        yield* waitFor(log, "connect", 2)
        expect(log.of("connect", "v6")[0]!.status).toBe(S.STATUS_CONNECTION_REFUSED)
        // "::" in any spelling, port 0 ⇒ an ephemeral port
        const l6 = yield* listener(b!, incoming)
        expect(yield* listen(l6, { family: 23, address: "0:0::0", port: 0 })).toBe(S.STATUS_SUCCESS)
        const la6 = yield* localOf(l6)
        expect(la6.address).toBe("0:0:0:0:0:0:0:0")
        expect(la6.port).toBeGreaterThanOrEqual(49152)
        const c6b = yield* connector(a!)
        expect(yield* connect(c6b, yield* qpOf(a!), v6(a!.n, 0), v6(b!.n, la6.port), log, { ctx: "v6b" }))
          .toBe(S.STATUS_PENDING)
        expect(yield* until(() => incoming.length === 2)).toBe(true)
        expect((yield* localOf(incoming[1]!)).port).toBe(la6.port)
        // a shared endpoint or a connect from the unspecified address stays refused (they need a concrete address)
        expect((yield* sharedEndpoint(a!, { family: 2, address: "0.0.0.0", port: 0 })).status)
          .toBe(S.STATUS_INVALID_ADDRESS)
      })
  )

  it.scoped(
    "R132 (model decision): the unspecified address and the adapter's own address collide on one port, in both orders",
    () =>
      Effect.gen(function*() {
        const { sides: [a] } = yield* world(1)
        const any4 = (port: number): SockAddr => ({ family: 2, address: "0.0.0.0", port })
        const l1 = yield* listener(a!, [])
        const l2 = yield* listener(a!, [])
        const l3 = yield* listener(a!, [])
        expect(yield* listen(l1, any4(5000))).toBe(S.STATUS_SUCCESS)
        expect(yield* listen(l2, v4(a!.n, 5000))).toBe(S.STATUS_SHARING_VIOLATION)
        expect(yield* listen(l2, any4(5000))).toBe(S.STATUS_SHARING_VIOLATION)
        const log = new Log()
        const c = yield* connector(a!)
        expect(yield* connect(c, yield* qpOf(a!), v4(a!.n, 5000), v4(2, 1), log)).toBe(S.STATUS_SHARING_VIOLATION)
        expect((yield* sharedEndpoint(a!, v4(a!.n, 5000))).status).toBe(S.STATUS_SHARING_VIOLATION)
        // the other order
        expect(yield* listen(l2, v4(a!.n, 6000))).toBe(S.STATUS_SUCCESS)
        expect(yield* listen(l3, any4(6000))).toBe(S.STATUS_SHARING_VIOLATION)
        // the IPv6 port space is separate
        expect(yield* listen(l3, { family: 23, address: "::", port: 5000 })).toBe(S.STATUS_SUCCESS)
        // the port is free again once the wildcard listener is closed
        expect(yield* closeWith(l1, log, "l1")).toBe(S.STATUS_SUCCESS)
        const l4 = yield* listener(a!, [])
        expect(yield* listen(l4, v4(a!.n, 5000))).toBe(S.STATUS_SUCCESS)
      })
  )

  it.scoped("R137: a second connection with the same 4-tuple fails with STATUS_ADDRESS_ALREADY_EXISTS", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const l = yield* listener(b!, [])
      yield* listen(l, v4(b!.n, 5000))
      const { sep } = yield* sharedEndpoint(a!, v4(a!.n, 7000))
      const c1 = yield* connector(a!)
      const c2 = yield* connector(a!)
      expect(yield* connectWithSep(c1, yield* qpOf(a!), sep!, v4(b!.n, 5000), log, 1)).toBe(S.STATUS_PENDING)
      expect(yield* connectWithSep(c2, yield* qpOf(a!), sep!, v4(b!.n, 5000), log, 2))
        .toBe(S.STATUS_ADDRESS_ALREADY_EXISTS)
    }))

  it.scoped("R138: connectors share one endpoint to different destinations; its close pends until they close", () =>
    Effect.gen(function*() {
      const { sides: [a, b, c] } = yield* world(3)
      const log = new Log()
      const inB: Array<NdkConnector> = []
      const inC: Array<NdkConnector> = []
      yield* listen(yield* listener(b!, inB), v4(b!.n, 5000))
      yield* listen(yield* listener(c!, inC), v4(c!.n, 5000))
      const { sep } = yield* sharedEndpoint(a!, v4(a!.n, 7000))
      const c1 = yield* connector(a!)
      const c2 = yield* connector(a!)
      yield* connectWithSep(c1, yield* qpOf(a!), sep!, v4(b!.n, 5000), log, "b")
      yield* connectWithSep(c2, yield* qpOf(a!), sep!, v4(c!.n, 5000), log, "c")
      yield* until(() => inB.length === 1 && inC.length === 1)
      yield* accept(inB[0]!, yield* qpOf(b!), log)
      yield* accept(inC[0]!, yield* qpOf(c!), log)
      yield* waitFor(log, "connect", 2)
      expect(log.of("connect").map((x) => x.status)).toEqual([0, 0])
      expect((yield* localOf(c1)).port).toBe(7000)
      expect((yield* localOf(c2)).port).toBe(7000)
      expect(yield* closeWith(sep!, log, "sep")).toBe(S.STATUS_PENDING)
      yield* closeWith(c1, log, "c1")
      yield* TestClock.adjust("1 second")
      expect(log.of("close").map((x) => x.context)).toEqual([])
      yield* closeWith(c2, log, "c2")
      yield* waitFor(log, "close")
      expect(log.of("close").map((x) => x.context)).toEqual(["sep"])
      // the endpoint is free again
      expect((yield* sharedEndpoint(a!, v4(a!.n, 7000))).status).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R148: address getters with a short buffer return BUFFER_TOO_SMALL and 16 (IPv4) / 28 (IPv6)", () =>
    Effect.gen(function*() {
      const { sides: [a] } = yield* world(1)
      const l4 = yield* listener(a!, [])
      const l6 = yield* listener(a!, [])
      expect(yield* listen(l4, v4(a!.n, 5000))).toBe(S.STATUS_SUCCESS)
      expect(yield* listen(l6, v6(a!.n, 5000))).toBe(S.STATUS_SUCCESS)
      for (const [l, size] of [[l4, 16], [l6, 28]] as const) {
        const len = OutParam.inOut(4)
        const out = OutParam.out<SockAddr>()
        expect(yield* l.Dispatch.NdkGetLocalAddress(l, out, len)).toBe(S.STATUS_BUFFER_TOO_SMALL)
        expect(len.value).toBe(size)
        expect(out.value).toBeUndefined()
        len.value = 0
        expect(yield* l.Dispatch.NdkGetLocalAddress(l, null, len)).toBe(S.STATUS_BUFFER_TOO_SMALL)
        expect(len.value).toBe(size)
        expect(yield* l.Dispatch.NdkGetLocalAddress(l, out, len)).toBe(S.STATUS_SUCCESS)
        expect(out.value!.port).toBe(5000)
      }
      // a connector with no connection has no address yet
      const c = yield* connector(a!)
      expect(yield* c.Dispatch.NdkGetLocalAddress(c, OutParam.out(), OutParam.inOut(28)))
        .toBe(S.STATUS_CONNECTION_INVALID)
      expect(yield* c.Dispatch.NdkGetPeerAddress(c, OutParam.out(), OutParam.inOut(28)))
        .toBe(S.STATUS_CONNECTION_INVALID)
    }))

  it.scoped("R148: the passive side reads the peer address inside the connect event (IPv6 connection)", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const peers: Array<SockAddr | undefined> = []
      const incoming: Array<NdkConnector> = []
      const l = yield* listener(b!, incoming, (c) =>
        Effect.gen(function*() {
          const out = OutParam.out<SockAddr>()
          const len = OutParam.inOut(28)
          expect(yield* c.Dispatch.NdkGetPeerAddress(c, out, len)).toBe(S.STATUS_SUCCESS)
          expect(len.value).toBe(28)
          peers.push(out.value)
        }))
      yield* listen(l, v6(b!.n, 5000))
      const ca = yield* connector(a!)
      yield* connect(ca, yield* qpOf(a!), v6(a!.n, 6000), v6(b!.n, 5000), log)
      yield* until(() => peers.length === 1)
      expect(peers[0]).toEqual(v6(a!.n, 6000))
    }))

  it.scoped("IPv6 addresses are matched in any spelling (fd00::2 is fd00:0:0:0:0:0:0:2)", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const log = new Log()
      const incoming: Array<NdkConnector> = []
      const l = yield* listener(b!, incoming)
      expect(yield* listen(l, { family: 23, address: "FD00::2", port: 5000 })).toBe(S.STATUS_SUCCESS)
      expect(yield* listen(yield* listener(b!, []), v6(b!.n, 5000))).toBe(S.STATUS_SHARING_VIOLATION)
      const ca = yield* connector(a!)
      yield* connect(ca, yield* qpOf(a!), { family: 23, address: "fd00::1", port: 0 }, {
        family: 23,
        address: "fd00:0::0:2",
        port: 5000
      }, log)
      yield* until(() => incoming.length === 1)
      expect((yield* localOf(l)).address).toBe("fd00:0:0:0:0:0:0:2")
      expect(yield* connect(ca, yield* qpOf(a!), v6(a!.n, 0), { family: 23, address: "fd01::2", port: 1 }, log))
        .toBe(S.STATUS_INVALID_DEVICE_STATE)
      const c2 = yield* connector(a!)
      expect(yield* connect(c2, yield* qpOf(a!), v6(a!.n, 0), { family: 23, address: "fd01::2", port: 1 }, log))
        .toBe(S.STATUS_NETWORK_UNREACHABLE)
    }))

  it.scoped("§9.9: a partitioned peer is unreachable (HOST_UNREACHABLE); after healing the connect succeeds", () =>
    Effect.gen(function*() {
      const { fabric, sides: [a, b] } = yield* world()
      const log = new Log()
      const incoming: Array<NdkConnector> = []
      yield* listen(yield* listener(b!, incoming, (c) => accept(c, passiveQp.qp!, log)), v4(b!.n, 5000))
      const passiveQp: { qp?: Parameters<typeof accept>[1] } = {}
      passiveQp.qp = yield* qpOf(b!)
      yield* fabric.partition(a!.n, b!.n)
      const ca = yield* connector(a!)
      const qa = yield* qpOf(a!)
      yield* connect(ca, qa, v4(a!.n, 0), v4(b!.n, 5000), log)
      yield* TestClock.adjust("1 second")
      yield* waitFor(log, "connect")
      expect(log.of("connect")[0]!.status).toBe(S.STATUS_HOST_UNREACHABLE)
      yield* fabric.heal()
      expect(yield* connect(ca, qa, v4(a!.n, 0), v4(b!.n, 5000), log)).toBe(S.STATUS_PENDING)
      yield* waitFor(log, "connect", 2)
      expect(log.of("connect")[1]!.status).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R169: the shared endpoint's address-in-use check happens at creation", () =>
    Effect.gen(function*() {
      const { sides: [a, b] } = yield* world()
      const first = yield* sharedEndpoint(a!, v4(a!.n, 7000))
      expect(first.status).toBe(S.STATUS_SUCCESS)
      expect((yield* sharedEndpoint(a!, v4(a!.n, 7000))).status).toBe(S.STATUS_SHARING_VIOLATION)
      const log = new Log()
      yield* listen(yield* listener(b!, []), v4(b!.n, 5000))
      const c = yield* connector(a!)
      expect(yield* connectWithSep(c, yield* qpOf(a!), first.sep!, v4(b!.n, 5000), log, 1)).toBe(S.STATUS_PENDING)
      void cmFor
    }))
})
