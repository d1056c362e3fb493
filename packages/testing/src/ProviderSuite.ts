/**
 * A conformance suite for any NDKPI provider: named cases, each citing the R-numbers of SPEC.md it checks,
 * driven through the raw interface over a recording {@link EventLog} and checked by the {@link Verifier} plus
 * the case's own black-box assertions (flush counts, data integrity).
 *
 * A target is a factory of hosts (`Factory`): each host is a provider (`NdkProviderHost`), the IPv4 address
 * its listeners use, and access to the host memory the consumer registers (allocation, read, write).
 *
 * @since 0.1.0
 */
import * as Fabric from "@effect-ndk/hardware/Fabric"
import * as Nic from "@effect-ndk/hardware/Nic"
import type { NdkProviderHost } from "@effect-ndk/ndkpi/ProviderHost"
import { NdkProvider } from "@effect-ndk/ndkpi/ProviderHost"
import * as Sge from "@effect-ndk/ndkpi/Sge"
import type * as NdkProviderImpl from "@effect-ndk/provider/NdkProvider"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as EventLog from "./EventLog.js"
import * as R from "./internal/raw.js"
import * as World from "./internal/world.js"
import * as Verifier from "./Verifier.js"

/**
 * One host of a target.
 *
 * @since 0.1.0
 * @category models
 */
export interface Host {
  readonly provider: NdkProviderHost
  /** the IPv4 text address of the host (listeners bind it) */
  readonly ip: string
  /** allocates `size` bytes of registrable host memory; returns the VA (or -1) */
  readonly alloc: (size: number) => number
  readonly read: (va: number, length: number) => Uint8Array
  readonly write: (va: number, data: Uint8Array) => boolean
}

/**
 * A target: builds `count` hosts that can reach each other (scoped).
 *
 * @since 0.1.0
 * @category models
 */
export type Factory = (count: number) => Effect.Effect<ReadonlyArray<Host>, unknown, Scope.Scope>

/**
 * A failed black-box assertion of a case.
 *
 * @since 0.1.0
 * @category errors
 */
export class CaseFailure extends Data.TaggedError("CaseFailure")<{ readonly message: string }> {}

/**
 * One case: a name citing its R-numbers, how many hosts it needs, and its body.
 *
 * @since 0.1.0
 * @category models
 */
export interface Case {
  readonly name: string
  readonly hosts: number
  readonly body: (hosts: ReadonlyArray<Host>) => Effect.Effect<void, CaseFailure | R.Failed>
}

/**
 * The outcome of one case: the verifier's violations and the case's own failure, if any.
 *
 * @since 0.1.0
 * @category models
 */
export interface Outcome {
  readonly name: string
  readonly violations: ReadonlyArray<Verifier.Violation>
  readonly failure: string | undefined
  readonly events: number
}

/**
 * `true` when the outcome has no violation and no failure.
 *
 * @since 0.1.0
 * @category predicates
 */
export const passed = (o: Outcome): boolean => o.violations.length === 0 && o.failure === undefined

const fail = (message: string) => Effect.fail(new CaseFailure({ message }))

/**
 * Our provider (`@effect-ndk/provider`) over N simulated hosts on one fabric, connection side wired, as a
 * target; `wrap` may replace each provider host (broken providers).
 *
 * @since 0.1.0
 * @category targets
 */
export const simulated = (
  options: { readonly wrap?: (host: NdkProviderHost) => NdkProviderHost; readonly mode?: NdkProviderImpl.Mode } = {}
): Factory =>
(count) =>
  Effect.map(
    World.make(count, { provider: () => (options.mode ? { mode: options.mode } : {}) }),
    ({ hosts }) =>
      hosts.map((h) => ({
        provider: options.wrap ? options.wrap(h.provider) : h.provider,
        ip: R.ipOf(h.address),
        alloc: (size: number) => h.nic.memory.alloc(size, 4096),
        read: h.nic.memory.read,
        write: h.nic.memory.write
      }))
  )

/**
 * Any provider layer over the simulated NIC (`Layer<NdkProvider, E, Nic>`, e.g. `NdkProvider.layer()` of
 * `@effect-ndk/provider`) as a target: N NICs on one fabric, the layer built once per NIC, host memory from the
 * NIC.
 *
 * @since 0.1.0
 * @category targets
 */
export const fromLayer = <E>(provider: Layer.Layer<NdkProvider, E, Nic.Nic>): Factory => (count) =>
  Effect.gen(function*() {
    const fabric = yield* Fabric.make({ memoryBytes: 16 * 1024 * 1024 })
    const hosts: Array<Host> = []
    for (let i = 0; i < count; i++) {
      const nic = yield* Effect.provideService(
        Nic.make({ address: i + 1, config: { hostMemoryBytes: 1024 * 1024, deviceMemoryBytes: 256 * 1024 } }),
        Fabric.Fabric,
        fabric
      )
      const ctx = yield* Layer.build(provider).pipe(Effect.provideService(Nic.Nic, nic))
      hosts.push({
        provider: Context.get(ctx, NdkProvider),
        ip: R.ipOf(i + 1),
        alloc: (size: number) => nic.memory.alloc(size, 4096),
        read: nic.memory.read,
        write: nic.memory.write
      })
    }
    return hosts
  })

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`

/** one host: adapter, PD, CQ, QP, registered buffer */
const side = (h: Host, qpCtx: string, notify: (status: number) => Effect.Effect<void> = () => Effect.void) =>
  Effect.gen(function*() {
    const adapter = yield* R.open(h.provider)
    const pd = yield* R.createPd(adapter)
    const cq = yield* R.createCq(adapter, 64, (_c, s) => notify(s), `${qpCtx}-cq`)
    const qp = yield* R.createQp(pd, cq, qpCtx)
    const va = h.alloc(8192)
    if (va < 0) return yield* fail("host memory allocation failed")
    const buf = yield* R.registered(pd, va, 8192)
    return { h, adapter, pd, cq, qp, buf }
  })

type Side = Effect.Effect.Success<ReturnType<typeof side>>

const closeAll = (objects: ReadonlyArray<{ readonly Header: unknown; readonly Dispatch: unknown }>) =>
  Effect.forEach(
    objects,
    (o, i) => Effect.flatMap(R.closeAndWait(o as never), (ok) => ok ? Effect.void : fail(`object ${i} never closed`))
  )

const teardown = (s: Side) =>
  Effect.gen(function*() {
    yield* closeAll([s.qp, s.buf.mr, s.cq, s.pd])
    yield* R.closeAdapter(s.h.provider, s.adapter)
  })

/**
 * The cases.
 *
 * @since 0.1.0
 * @category cases
 */
export const cases: ReadonlyArray<Case> = [
  {
    name: "R1, R2, R3, R4, R5, R12, R13, R14, R15: create every object, close each once, children first",
    hosts: 1,
    body: (hs) => Effect.flatMap(side(hs[0]!, "qp"), teardown)
  },
  {
    name: "R16, R21, R168: closing a connector with a pending connect cancels it before the close completion",
    hosts: 2,
    body: (hs) =>
      Effect.gen(function*() {
        const a = yield* side(hs[0]!, "qa")
        const b = yield* side(hs[1]!, "qb")
        const incoming: Array<unknown> = []
        const l = yield* R.listener(b.adapter, (c) => Effect.sync(() => void incoming.push(c)))
        yield* l.Dispatch.NdkListen(l, R.v4(b.h.ip, 7000), 16, () => Effect.void, "listen")
        const ca = yield* R.connector(a.adapter)
        let status = -1
        let closed = false
        const st = yield* ca.Dispatch.NdkConnect(
          ca,
          a.qp,
          R.v4(a.h.ip, 0),
          16,
          R.v4(b.h.ip, 7000),
          16,
          4,
          4,
          null,
          0,
          (_c, s) => Effect.sync(() => void (status = s)),
          "connect"
        )
        if (st !== R.S.STATUS_PENDING) return yield* fail(`NdkConnect returned ${hex(st)}`)
        yield* R.until(() => incoming.length > 0, 2000)
        const cs = yield* R.close(ca, () => Effect.sync(() => void (closed = true)), "close-connector")
        yield* R.until(() => closed || cs === R.S.STATUS_SUCCESS, 2000)
        if (status === -1) return yield* fail("the pending connect never completed")
        for (const c of incoming) yield* R.closeAndWait(c as never, 2000)
        yield* R.closeAndWait(l, 2000)
        yield* teardown(a)
        yield* teardown(b)
      })
  },
  {
    name: "R22, R23, R24, R26, R27: antecedents closed first complete only after their successors",
    hosts: 1,
    body: (hs) =>
      Effect.gen(function*() {
        const s = yield* side(hs[0]!, "qp")
        let pdClosed = false
        let cqClosed = false
        const ps = yield* R.close(s.pd, () => Effect.sync(() => void (pdClosed = true)), "close-pd")
        const cs = yield* R.close(s.cq, () => Effect.sync(() => void (cqClosed = true)), "close-cq")
        if (ps === R.S.STATUS_SUCCESS || cs === R.S.STATUS_SUCCESS) {
          return yield* fail("a PD or CQ with open successors closed inline")
        }
        yield* R.until(() => pdClosed && cqClosed, 20)
        if (pdClosed || cqClosed) return yield* fail("a PD or CQ close completed while its QP was open")
        yield* closeAll([s.qp, s.buf.mr])
        yield* R.until(() => pdClosed && cqClosed, 400)
        if (!pdClosed || !cqClosed) return yield* fail("the PD or CQ close never completed")
        yield* R.closeAdapter(s.h.provider, s.adapter)
      })
  },
  {
    name: "R29: closing a QP flushes every outstanding receive (STATUS_CANCELLED) before its close completion",
    hosts: 1,
    body: (hs) =>
      Effect.gen(function*() {
        const s = yield* side(hs[0]!, "qp")
        const posted = 6
        for (let i = 0; i < posted; i++) {
          const st = yield* s.qp.Dispatch.NdkReceive(s.qp, `recv-${i}`, [
            Sge.make(BigInt(s.buf.va + i * 64), 64, s.buf.token)
          ], 1)
          if (st !== R.S.STATUS_SUCCESS) return yield* fail(`NdkReceive returned ${hex(st)}`)
        }
        const seen: Array<{ readonly Status: number; readonly RequestContext: unknown }> = []
        let atCompletion = -1
        let closed = false
        const st = yield* R.close(s.qp, () =>
          Effect.gen(function*() {
            seen.push(...(yield* R.drain(s.cq)))
            atCompletion = seen.length
            closed = true
          }), "close-qp")
        if (st === R.S.STATUS_SUCCESS) {
          seen.push(...(yield* R.drain(s.cq)))
          atCompletion = seen.length
          closed = true
        }
        yield* R.until(() => closed, 400)
        seen.push(...(yield* R.drain(s.cq)))
        if (atCompletion < posted) {
          return yield* fail(
            `only ${atCompletion} of ${posted} flushed receives were in the CQ at the close completion`
          )
        }
        const cancelled = seen.filter((r) => r.Status === R.S.STATUS_CANCELLED)
        if (cancelled.length !== posted) {
          return yield* fail(`${cancelled.length} STATUS_CANCELLED entries for ${posted} outstanding receives`)
        }
        yield* closeAll([s.buf.mr, s.cq, s.pd])
        yield* R.closeAdapter(s.h.provider, s.adapter)
      })
  },
  {
    name:
      "R55, R57, R63, R18, R19, R82: an armed CQ notifies once per arm; send data arrives intact and in order; an armed CQ closes without a notification",
    hosts: 2,
    body: (hs) =>
      Effect.gen(function*() {
        const a = yield* side(hs[0]!, "qa")
        let notified = 0
        const b = yield* side(hs[1]!, "qb", () => Effect.sync(() => void notified++))
        const conn = yield* R.establish({ adapter: a.adapter, qp: a.qp, ip: a.h.ip }, {
          adapter: b.adapter,
          qp: b.qp,
          ip: b.h.ip
        }, 7100)
        const n = 4
        for (let i = 0; i < n; i++) {
          yield* b.qp.Dispatch.NdkReceive(
            b.qp,
            `recv-${i}`,
            [Sge.make(BigInt(b.buf.va + i * 256), 256, b.buf.token)],
            1
          )
          const payload = new Uint8Array(200).map((_, k) => (i * 31 + k) & 255)
          a.h.write(a.buf.va + i * 256, payload)
        }
        yield* b.cq.Dispatch.NdkArmCq(b.cq, 1)
        for (let i = 0; i < n; i++) {
          const st = yield* a.qp.Dispatch.NdkSend(
            a.qp,
            `send-${i}`,
            [
              Sge.make(BigInt(a.buf.va + i * 256), 200, a.buf.token)
            ],
            1,
            0
          )
          if (st !== R.S.STATUS_SUCCESS) return yield* fail(`NdkSend returned ${hex(st)}`)
        }
        const got: Array<
          { readonly Status: number; readonly RequestContext: unknown; readonly BytesTransferred: number }
        > = []
        yield* R.until(() => notified > 0, 2000)
        yield* R.until(() => false, 20)
        if (notified !== 1) return yield* fail(`${notified} notifications for one arm`)
        yield* R.until(() => false, 200)
        got.push(...(yield* R.drain(b.cq)))
        if (got.length !== n) return yield* fail(`${got.length} receive completions for ${n} sends`)
        for (let i = 0; i < n; i++) {
          if (got[i]!.RequestContext !== `recv-${i}`) return yield* fail("receive completions out of posting order")
          if (got[i]!.Status !== R.S.STATUS_SUCCESS || got[i]!.BytesTransferred !== 200) {
            return yield* fail(`receive ${i}: ${hex(got[i]!.Status)}, ${got[i]!.BytesTransferred} bytes`)
          }
          const data = b.h.read(b.buf.va + i * 256, 200)
          for (let k = 0; k < 200; k++) {
            if (data[k] !== ((i * 31 + k) & 255)) return yield* fail(`receive ${i}: byte ${k} differs`)
          }
        }
        yield* R.drain(a.cq)
        yield* b.cq.Dispatch.NdkArmCq(b.cq, 1)
        yield* closeAll([conn.ca, conn.cb, conn.l])
        const before = notified
        yield* teardown(a)
        yield* teardown(b)
        if (notified > before + 1) return yield* fail("notifications after the close of the CQ")
      })
  },
  {
    name: "R149, R151, R152: a graceful disconnect from both sides completes, then both sides close",
    hosts: 2,
    body: (hs) =>
      Effect.gen(function*() {
        const a = yield* side(hs[0]!, "qa")
        const b = yield* side(hs[1]!, "qb")
        const conn = yield* R.establish({ adapter: a.adapter, qp: a.qp, ip: a.h.ip }, {
          adapter: b.adapter,
          qp: b.qp,
          ip: b.h.ip
        }, 7200)
        let done = -1
        let peerDone = -1
        const st = yield* conn.ca.Dispatch.NdkDisconnect(conn.ca, (_c, s) => Effect.sync(() => void (done = s)), "disc")
        yield* R.until(() => false, 5)
        const ps = yield* conn.cb.Dispatch.NdkDisconnect(
          conn.cb,
          (_c, s) => Effect.sync(() => void (peerDone = s)),
          "peer-disc"
        )
        yield* R.until(
          () => (st !== R.S.STATUS_PENDING || done !== -1) && (ps !== R.S.STATUS_PENDING || peerDone !== -1),
          2000
        )
        const final = st === R.S.STATUS_PENDING ? done : st
        if (final !== R.S.STATUS_SUCCESS) return yield* fail(`NdkDisconnect ended ${hex(final)}`)
        yield* closeAll([conn.ca, conn.cb, conn.l])
        yield* teardown(a)
        yield* teardown(b)
      })
  }
]

/**
 * Runs one case against a target: builds its hosts, wraps each with one event log, runs the body, lets the
 * provider settle, and verifies the log.
 *
 * @since 0.1.0
 * @category running
 */
export const runCase = (target: Factory, c: Case): Effect.Effect<Outcome> =>
  Effect.scoped(
    Effect.gen(function*() {
      const hosts = yield* target(c.hosts)
      const log = EventLog.unsafeMake()
      const wrapped = hosts.map((h) => ({ ...h, provider: log.wrapHost(h.provider) }))
      const result = yield* Effect.either(c.body(wrapped))
      yield* R.until(() => false, 20)
      const violations = Verifier.verify(log.events)
      const failure = result._tag === "Left" ? result.left.message : undefined
      return { name: c.name, violations, failure, events: log.events.length } satisfies Outcome
    })
  ).pipe(
    Effect.catchAllCause((cause) =>
      Effect.succeed<Outcome>({ name: c.name, violations: [], failure: `target failed: ${String(cause)}`, events: 0 })
    )
  )

/**
 * Runs every case against a target.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (target: Factory): Effect.Effect<ReadonlyArray<Outcome>> =>
  Effect.forEach(cases, (c) => runCase(target, c))

/**
 * An outcome as text (the case, then each failure and violation).
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (o: Outcome): string =>
  [
    `${passed(o) ? "ok  " : "FAIL"} ${o.name}`,
    ...(o.failure === undefined ? [] : [`  failure: ${o.failure}`]),
    ...o.violations.map((v) => "  " + Verifier.format(v).split("\n").join("\n  "))
  ].join("\n")
