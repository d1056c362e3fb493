/**
 * A simulated RDMA NIC attached to a {@link Fabric}: host memory arena and allocator, memory regions and
 * windows with keys, fast registration, queue pairs (reliable connected), shared receive queues, completion
 * queues, a management-datagram channel, reset — driven by batched engine passes that the fabric's one engine
 * driver runs for every NIC on it (a microtask loop, no fiber per NIC).
 *
 * Hot-path verbs (posts, poll, arm, doorbell) are synchronous and return a {@link NicCode} (0 = ok); they never
 * throw. Control verbs (create/destroy/register…) are Effects failing with {@link NicError}; destroy verbs also
 * work after a reset.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Scheduler from "effect/Scheduler"
import type * as Scope from "effect/Scope"
import { Fabric } from "./Fabric.js"
import type { Engine } from "./internal/driver.js"
import type { Config, Handler, MadHandler, ResultsLike, SglLike } from "./internal/nic.js"
import {
  C,
  EXTERNAL_BASE,
  LOGICAL_BASE,
  NicCore,
  OP_READ,
  OP_SEND,
  OP_SEND_INV,
  OP_WRITE,
  PRIVILEGED_KEY,
  QP_ERROR,
  QP_INIT,
  QP_RTS,
  VA_BASE
} from "./internal/nic.js"
import { PAGE } from "./internal/phys.js"
import { fabricCores } from "./internal/registry.js"

// -----------------------------------------------------------------------------------------------------------------
// errors

/**
 * A control verb failed with a NIC code (see NicCode).
 *
 * @since 0.1.0
 * @category errors
 */
export class NicError extends Data.TaggedError("NicError")<{
  readonly code: number
  readonly op: string
}> {}

// -----------------------------------------------------------------------------------------------------------------
// config and info

/**
 * NIC configuration: limits (queryable as {@link NicInfo}) and transport knobs.
 *
 * @since 0.1.0
 * @category models
 */
export interface NicConfig {
  readonly vendorId: number
  readonly deviceId: number
  readonly maxQps: number
  readonly maxCqs: number
  readonly maxSrqs: number
  readonly maxPds: number
  readonly maxMrs: number
  readonly maxMws: number
  /** max initiator (send) queue depth */
  readonly maxSqDepth: number
  /** max receive queue depth */
  readonly maxRqDepth: number
  /** max SRQ depth; 0 = no SRQ support */
  readonly maxSrqDepth: number
  readonly maxCqDepth: number
  readonly maxSendSge: number
  readonly maxRecvSge: number
  readonly maxReadSge: number
  readonly maxInline: number
  readonly maxTransfer: number
  /** max inbound reads per QP (IRD cap) */
  readonly maxIrd: number
  /** max outbound reads per QP (ORD cap) */
  readonly maxOrd: number
  readonly maxRegistration: number
  readonly maxWindow: number
  /** FR-MR size (pages) the adapter prefers (≥ 16) */
  readonly frmrPageCount: number
  /** largest FR-MR page count accepted by initFastRegister */
  readonly maxFrPages: number
  readonly largeRequestThreshold: number
  /** bytes of host memory (the arena the application allocates from) */
  readonly hostMemoryBytes: number
  /** NIC-private memory (inline buffers) */
  readonly deviceMemoryBytes: number
  readonly mtu: number
  /** transport retry count (timeouts) */
  readonly retryCount: number
  /** RNR retry count; 7 = infinite */
  readonly rnrRetry: number
  /** retransmission timeout, microseconds */
  readonly ackTimeoutUs: number
  /** RNR back-off, microseconds */
  readonly rnrTimerUs: number
  /** max unacknowledged packets per QP */
  readonly windowPackets: number
  readonly readSinkNotRequired: boolean
  readonly readLocalInvalidate: boolean
  readonly cqResize: boolean
  readonly loopback: boolean
  readonly maxMadSize: number
  /** engine work units per pass (≈ packets + KiB copied) before yielding */
  readonly passBudget: number
}

/**
 * Default configuration.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultConfig: NicConfig = {
  vendorId: 0x1af4,
  deviceId: 0x5244,
  maxQps: 16384,
  maxCqs: 16384,
  maxSrqs: 1024,
  maxPds: 1024,
  maxMrs: 65536,
  maxMws: 16384,
  maxSqDepth: 16384,
  maxRqDepth: 16384,
  maxSrqDepth: 16384,
  maxCqDepth: 1 << 20,
  maxSendSge: 16,
  maxRecvSge: 16,
  maxReadSge: 16,
  maxInline: 256,
  maxTransfer: 1 << 30,
  maxIrd: 16,
  maxOrd: 16,
  maxRegistration: 1 << 30,
  maxWindow: 1 << 30,
  frmrPageCount: 256,
  maxFrPages: 4096,
  largeRequestThreshold: 16384,
  hostMemoryBytes: 16 * 1024 * 1024,
  deviceMemoryBytes: 4 * 1024 * 1024,
  mtu: 4096,
  retryCount: 7,
  rnrRetry: 7,
  ackTimeoutUs: 10000,
  rnrTimerUs: 100,
  windowPackets: 1024,
  readSinkNotRequired: false,
  readLocalInvalidate: true,
  cqResize: true,
  loopback: true,
  maxMadSize: 256,
  passBudget: 1024
}

/**
 * Queryable limits and capabilities (like NDK_ADAPTER_INFO).
 *
 * @since 0.1.0
 * @category models
 */
export interface NicInfo extends NicConfig {
  readonly address: number
  readonly pageSize: number
  /** first VA of the host arena */
  readonly hostBase: number
}

// -----------------------------------------------------------------------------------------------------------------
// caller-side structures

/**
 * A reusable scatter/gather list: `count` entries of (address, length, key). Build one per queue and reuse it;
 * posts copy it.
 *
 * @since 0.1.0
 * @category models
 */
export class Sgl implements SglLike {
  count = 0
  readonly addr: Float64Array
  readonly len: Float64Array
  readonly key: Uint32Array
  constructor(readonly capacity: number) {
    this.addr = new Float64Array(capacity)
    this.len = new Float64Array(capacity)
    this.key = new Uint32Array(capacity)
  }
  /** Sets entry `i` and grows `count` to cover it. */
  set(i: number, addr: number, len: number, key: number): this {
    this.addr[i] = addr
    this.len[i] = len
    this.key[i] = key >>> 0
    if (i >= this.count) this.count = i + 1
    return this
  }
  /** One-entry list. */
  one(addr: number, len: number, key: number): this {
    this.count = 0
    return this.set(0, addr, len, key)
  }
  clear(): this {
    this.count = 0
    return this
  }
}

/**
 * Poll results: typed-array records plus a parallel array of contexts. Entry `i` of a poll that returned `n`
 * is valid for `i < n`.
 *
 * @since 0.1.0
 * @category models
 */
export class CqResults implements ResultsLike {
  readonly status: Uint8Array
  readonly opcode: Uint8Array
  readonly qpn: Uint32Array
  /** bytes transferred (receives: bytes received) */
  readonly bytes: Float64Array
  /** invalidated key for RECEIVE_INVALIDATE */
  readonly key: Uint32Array
  readonly context: Array<unknown>
  constructor(readonly capacity: number) {
    this.status = new Uint8Array(capacity)
    this.opcode = new Uint8Array(capacity)
    this.qpn = new Uint32Array(capacity)
    this.bytes = new Float64Array(capacity)
    this.key = new Uint32Array(capacity)
    this.context = new Array(capacity)
  }
}

/**
 * Host memory of the NIC's host: an arena the application allocates from (VAs), plus read/write access.
 *
 * @since 0.1.0
 * @category models
 */
export interface HostMemory {
  readonly base: number
  readonly size: number
  /** allocates `size` bytes (aligned to `align`, default 64); returns the VA or -1 */
  readonly alloc: (size: number, align?: number) => number
  readonly free: (va: number) => boolean
  /** copies out `len` bytes at `va` (an empty array when the range is outside the arena) */
  readonly read: (va: number, len: number) => Uint8Array
  /** false (nothing written) when the range is outside the arena */
  readonly write: (va: number, data: Uint8Array) => boolean
  readonly fill: (va: number, len: number, byte: number) => boolean
  /** live view of the bytes, no copy (empty outside the arena) */
  readonly view: (va: number, len: number) => Uint8Array
  /** bytes currently allocated */
  readonly used: () => number
}

/**
 * Object-creation attributes of a QP.
 *
 * @since 0.1.0
 * @category models
 */
export interface QpAttributes {
  readonly pd: number
  readonly sendCq: number
  readonly recvCq: number
  /** SRQ handle; receives then come from the SRQ */
  readonly srq?: number
  readonly sqDepth: number
  /** ignored with an SRQ */
  readonly rqDepth: number
  readonly maxSendSge: number
  readonly maxRecvSge: number
  readonly maxInline: number
}

/**
 * Connection attributes (negotiated by the provider over MADs).
 *
 * @since 0.1.0
 * @category models
 */
export interface ConnectAttributes {
  readonly remoteAddress: number
  readonly remoteQpn: number
  /** inbound reads this QP serves */
  readonly ird: number
  /** outbound reads this QP may have in flight */
  readonly ord: number
  /** first PSN this QP sends (default 0) */
  readonly sendPsn?: number
  /** first PSN expected from the peer (default 0) */
  readonly recvPsn?: number
}

/**
 * QP state names.
 *
 * @since 0.1.0
 * @category constants
 */
export const QpState = { INIT: QP_INIT, CONNECTED: QP_RTS, ERROR: QP_ERROR } as const

/**
 * Live-object counts and engine counters (inspection surface for checkers).
 *
 * @since 0.1.0
 * @category models
 */
export interface NicStats {
  readonly pds: number
  readonly mrs: number
  readonly mws: number
  readonly qps: number
  readonly cqs: number
  readonly srqs: number
  readonly removed: boolean
  readonly packetsOut: number
  readonly packetsIn: number
  readonly bytesOut: number
  readonly retransmits: number
  readonly rnrNaks: number
  readonly seqNaks: number
  readonly passes: number
  /** read-response packets sent (responder side) */
  readonly readResponses: number
  /** most read-response resources (bounded by IRD) one QP held at once */
  readonly readSlotsPeak: number
}

/**
 * Work in flight on a QP (`workInFlight`): what a graceful disconnect waits for before the QP is flushed.
 *
 * @since 0.1.0
 * @category models
 */
export interface QpWork {
  /** send-queue WRs submitted (doorbell rung) and not yet completed, silent ones included */
  readonly requests: number
  /** a send or write message from the peer is partly placed */
  readonly inbound: boolean
  /** read-response resources still sending (at most the QP's IRD) */
  readonly readResponses: number
}

/**
 * A CQ/SRQ event handler: an Effect (run in order on the NIC's delivery fiber), or `{ sync }`, a plain function the
 * engine driver calls right after the pass that raised the event — never inside a verb call. A `sync` handler is
 * the fast path (no fiber hop); it should only record the event or hand it over, and must not throw (a throw is
 * contained and logged).
 *
 * @since 0.1.0
 * @category models
 */
export type EventHandler = Handler

/**
 * A management-datagram handler: an Effect (run in order on the NIC's delivery fiber) or `{ sync }` (called by the
 * engine driver after the pass that received the datagram).
 *
 * @since 0.1.0
 * @category models
 */
export type DatagramHandler = MadHandler

/**
 * The NIC service (one per host).
 *
 * @since 0.1.0
 * @category models
 */
export interface Nic {
  readonly address: number
  readonly info: NicInfo
  readonly memory: HostMemory
  /** the local key that addresses LAM logical addresses (local access only, never remote) */
  readonly privilegedKey: number

  // protection domains
  readonly allocPd: Effect.Effect<number, NicError>
  readonly freePd: (pd: number) => Effect.Effect<void, NicError>

  // memory regions
  readonly createMr: (pd: number, options?: { readonly fastRegister?: boolean }) => Effect.Effect<number, NicError>
  /** registers `[va, va+len)` of the host arena with Access bits; keys change on every registration */
  readonly registerMr: (mr: number, va: number, len: number, access: number) => Effect.Effect<void, NicError>
  /**
   * Slow path: registers a caller buffer outside the arena at the VA the caller names (`va`, as an MDL carries
   * it; omitted: a synthetic VA); returns the VA that names its first byte. Same checks as arena regions.
   */
  readonly registerExternal: (
    mr: number,
    buffer: Uint8Array,
    access: number,
    va?: number
  ) => Effect.Effect<number, NicError>
  readonly deregisterMr: (mr: number) => Effect.Effect<void, NicError>
  readonly initFastRegister: (mr: number, pageCount: number, remoteAccess: boolean) => Effect.Effect<void, NicError>
  /** always succeeds for a live handle unless MWs are still bound (BUSY) */
  readonly destroyMr: (mr: number) => Effect.Effect<void, NicError>
  /** local/remote key of an MR (same value), or -1 when not registered / not initialized */
  readonly mrKey: (mr: number) => number

  // memory windows
  readonly createMw: (pd: number) => Effect.Effect<number, NicError>
  readonly destroyMw: (mw: number) => Effect.Effect<void, NicError>
  /** remote key of a bound MW, or -1 */
  readonly mwKey: (mw: number) => number

  // logical address mapping (the NIC's IOMMU, for LAMs and fast-register page lists)
  readonly mapLogical: (
    va: number,
    len: number
  ) => Effect.Effect<{ readonly pages: ReadonlyArray<number>; readonly fbo: number }, NicError>
  readonly unmapLogical: (pages: ReadonlyArray<number>) => Effect.Effect<void>

  // completion queues
  readonly createCq: (depth: number, onEvent?: EventHandler) => Effect.Effect<number, NicError>
  readonly destroyCq: (cq: number) => Effect.Effect<void, NicError>
  readonly resizeCq: (cq: number, depth: number) => Effect.Effect<void, NicError>
  /** arms for the next (Arm.NEXT) or next solicited/error (Arm.SOLICITED) completion */
  readonly armCq: (cq: number, type: number) => number
  /** moves up to `max` (default capacity) completions into `out`; 0 when empty or failed */
  readonly pollCq: (cq: number, out: CqResults, max?: number) => number
  /** 0, or the event code (CQ_OVERRUN / DEVICE_FATAL) of a failed CQ */
  readonly cqError: (cq: number) => number
  readonly cqCount: (cq: number) => number

  // shared receive queues
  readonly createSrq: (options: {
    readonly pd: number
    readonly depth: number
    readonly maxSge: number
    /** limit event fires once when queued receives drop below it; 0 = not armed */
    readonly limit?: number
    readonly onEvent?: EventHandler
  }) => Effect.Effect<number, NicError>
  /** depth 0 keeps the depth; limit > 0 (re)arms (fires at once if already below), 0 keeps arm state */
  readonly modifySrq: (srq: number, depth: number, limit: number) => Effect.Effect<void, NicError>
  readonly destroySrq: (srq: number) => Effect.Effect<void, NicError>
  readonly postSrqReceive: (srq: number, context: unknown, sgl: Sgl) => number
  readonly srqCount: (srq: number) => number

  // queue pairs
  readonly createQp: (attributes: QpAttributes) => Effect.Effect<number, NicError>
  readonly destroyQp: (qpn: number) => Effect.Effect<void, NicError>
  readonly connectQp: (qpn: number, attributes: ConnectAttributes) => Effect.Effect<void, NicError>
  /** moves the QP to error; every outstanding WR completes with FLUSHED (also the flush verb) */
  readonly qpToError: (qpn: number) => number
  readonly qpState: (qpn: number) => number
  /** work in flight on a QP (all zero when not connected), or undefined for an unknown QP */
  readonly workInFlight: (qpn: number) => QpWork | undefined
  /**
   * Calls `handler(QP_DRAINED)` once (delivered after an engine pass, like CQ events) when the QP has no work in
   * flight — at once if it has none; also when it goes to error or is destroyed. A new watch replaces the old.
   * Returns a NicCode (INVALID_HANDLE for an unknown QP).
   */
  readonly watchDrain: (qpn: number, handler: EventHandler) => number
  /** removes the QP's drain watch (its handler is not called) */
  readonly unwatchDrain: (qpn: number) => number
  /** waits until the QP has no work in flight (a drain watch; interrupting the wait removes it) */
  readonly awaitDrained: (qpn: number) => Effect.Effect<void, NicError>

  // posts (sync, NicCode)
  readonly postReceive: (qpn: number, context: unknown, sgl: Sgl) => number
  readonly postSend: (qpn: number, context: unknown, sgl: Sgl, flags: number) => number
  readonly postSendInvalidate: (qpn: number, context: unknown, sgl: Sgl, flags: number, remoteKey: number) => number
  readonly postWrite: (
    qpn: number,
    context: unknown,
    sgl: Sgl,
    flags: number,
    remoteAddress: number,
    remoteKey: number
  ) => number
  readonly postRead: (
    qpn: number,
    context: unknown,
    sgl: Sgl,
    flags: number,
    remoteAddress: number,
    remoteKey: number
  ) => number
  readonly postBind: (
    qpn: number,
    context: unknown,
    mr: number,
    mw: number,
    va: number,
    len: number,
    flags: number
  ) => number
  readonly postFastRegister: (
    qpn: number,
    context: unknown,
    mr: number,
    pages: ArrayLike<number>,
    pageCount: number,
    fbo: number,
    len: number,
    baseVa: number,
    flags: number
  ) => number
  /** target: FR-MR or MW handle */
  readonly postInvalidate: (qpn: number, context: unknown, target: number, flags: number) => number
  /** submits WRs posted with DEFER */
  readonly ringDoorbell: (qpn: number) => number

  // management datagrams
  readonly sendMad: (remoteAddress: number, data: Uint8Array) => number
  readonly onMad: (handler: DatagramHandler | undefined) => void

  // faults
  /** reset / surprise removal: QPs to error, in-flight WRs fail, CQ/SRQ fatal events, detach from the fabric */
  readonly reset: Effect.Effect<void>
  readonly stats: () => NicStats
  /** true while the engine has runnable work (or has not parked yet); for deterministic test stepping */
  readonly busy: () => boolean
}

/**
 * @since 0.1.0
 * @category tags
 */
export const Nic: Context.Tag<Nic, Nic> = Context.GenericTag<Nic>("@effect-ndk/hardware/Nic")

/**
 * @since 0.1.0
 * @category models
 */
export interface NicOptions {
  readonly address: number
  readonly config?: Partial<NicConfig>
}

/**
 * The delivery fiber's scheduler: microtask batches, giving the event loop a turn (setImmediate, no timer clamp)
 * after 256 consecutive batches of a busy fiber (the count restarts whenever it parks). Effect's
 * default scheduler falls back to `setTimeout(0)` (≥ 1 ms in Node) after 2048 microtask batches, which would
 * idle a busy fiber.
 */
const makeEngineScheduler = () => {
  let depth = 0
  const scheduler = Scheduler.makeBatched((run) => {
    if (++depth % 256 === 0) setImmediate(run)
    else queueMicrotask(run)
  })
  return { scheduler, parked: () => void (depth = 0) }
}

const fail = (op: string, code: number) => Effect.fail(new NicError({ code, op }))
const handleOrFail = (op: string, r: number): Effect.Effect<number, NicError> =>
  r < 0 ? fail(op, -r) : Effect.succeed(r)
const codeOrFail = (op: string, r: number): Effect.Effect<void, NicError> => r !== 0 ? fail(op, r) : Effect.void

/**
 * Creates a NIC at `address` on the fabric in context, with its engine (run by the fabric's driver) and its delivery
 * fiber for Effect handlers; detached when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: NicOptions): Effect.Effect<Nic, NicError, Fabric | Scope.Scope> =>
  Effect.gen(function*() {
    const fabric = yield* Fabric
    const fcore = fabricCores.get(fabric)
    if (fcore === undefined) return yield* fail("make", C.INVALID_HANDLE)
    if (fcore.byAddress.has(options.address)) return yield* fail("make", C.ADDRESS_IN_USE)
    const config: Config = { ...defaultConfig, ...options.config }
    config.mtu = Math.min(config.mtu, fcore.link.mtu)
    let core: NicCore
    try {
      core = new NicCore(fcore, fcore.nextPortIndex(), options.address, config)
    } catch {
      return yield* fail("make", C.NO_RESOURCES)
    }
    fcore.attach(core)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        core.attached = false
        fcore.detach(core)
      })
    )
    const clock = yield* Effect.clock
    const runFork = yield* FiberSet.makeRuntime<never>()
    core.schedule = (at) => {
      const delay = Math.max(0, at - clock.unsafeCurrentTimeMillis())
      runFork(Effect.zipRight(Effect.sleep(Duration.millis(delay)), Effect.sync(() => core.timerFired(at))))
    }
    // the engine: driven by the fabric's driver (internal/driver.ts); synchronous handlers run right after the
    // pass that raised their event, Effect handlers and MADs go in order through one delivery fiber per NIC
    let stopped = false
    const fxHandlers: Array<(code: number) => Effect.Effect<void>> = []
    const fxCodes: Array<number> = []
    const madFrom: Array<number> = []
    const madData: Array<Uint8Array> = []
    const madHandlers: Array<(from: number, data: Uint8Array) => Effect.Effect<void>> = []
    let fxParked: ((effect: Effect.Effect<void>) => void) | undefined = undefined
    let fxBusy = false
    const fxWake = () => {
      fxBusy = true
      const w = fxParked
      if (w !== undefined) {
        fxParked = undefined
        w(Effect.void)
      }
    }
    const defects: Array<unknown> = []
    const engine: Engine = {
      queued: false,
      pass: () => stopped ? false : core.pass(),
      deliver: () => {
        if (stopped) return false
        const n = core.takeEvents()
        if (n > 0) {
          const handlers = core.takenHandlers
          const codes = core.takenCodes
          for (let k = 0; k < n; k++) {
            const h = handlers[k]
            if (h === undefined) continue
            if (typeof h === "function") {
              fxHandlers.push(h)
              fxCodes.push(codes[k]!)
              continue
            }
            try {
              h.sync(codes[k]!)
            } catch (defect) {
              defects.push(defect)
            }
          }
          core.eventsDelivered()
        }
        const mads = core.takeMads()
        const mh = madHandler
        if (mads !== undefined && mh !== undefined) {
          for (let k = 0; k < mads.data.length; k++) {
            if (typeof mh === "function") {
              madFrom.push(mads.from[k]!)
              madData.push(mads.data[k]!)
              madHandlers.push(mh)
              continue
            }
            try {
              mh.sync(mads.from[k]!, mads.data[k]!)
            } catch (defect) {
              defects.push(defect)
            }
          }
        }
        if (fxCodes.length > 0 || madData.length > 0 || defects.length > 0) fxWake()
        return n > 0 || mads !== undefined
      }
    }
    const driver = fcore.driver
    core.waker = () => driver.kick(engine)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        stopped = true
        core.waker = undefined
      })
    )
    const logged = (e: Effect.Effect<void>) =>
      Effect.catchAllCause(e, (cause) => Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logError(cause))
    const engineScheduler = makeEngineScheduler()
    const fxWait = Effect.async<void>((resume) => {
      if (fxCodes.length > 0 || madData.length > 0 || defects.length > 0) {
        resume(Effect.void)
        return
      }
      fxBusy = false
      engineScheduler.parked()
      fxParked = resume
      return Effect.sync(() => {
        fxParked = undefined
      })
    })
    /** one batch of the delivery fiber: Effect handlers and MADs in the order the engine raised them */
    const fxStep: Effect.Effect<void> = Effect.suspend(() => {
      const effects: Array<Effect.Effect<void>> = []
      for (const d of defects.splice(0)) effects.push(Effect.logError(Cause.die(d)))
      const hs = fxHandlers.splice(0)
      const codes = fxCodes.splice(0)
      for (let k = 0; k < hs.length; k++) {
        const h = hs[k]!
        const code = codes[k]!
        effects.push(logged(Effect.suspend(() => h(code))))
      }
      const froms = madFrom.splice(0)
      const datas = madData.splice(0)
      const mhs = madHandlers.splice(0)
      for (let k = 0; k < datas.length; k++) {
        const mh = mhs[k]!
        const from = froms[k]!
        const data = datas[k]!
        effects.push(logged(Effect.suspend(() => mh(from, data))))
      }
      const run = effects.length === 1 ? effects[0]! : Effect.forEach(effects, (e) => e, { discard: true })
      return Effect.zipRight(run, fxWait)
    })
    yield* Effect.forkScoped(
      Effect.withScheduler(Effect.zipRight(fxWait, Effect.forever(fxStep)), engineScheduler.scheduler)
    )
    // work queued before the driver was attached (none for a fresh NIC, but keep the invariant simple)
    if (core.hasWork()) core.wake()

    let madHandler: MadHandler | undefined = undefined
    const hostSize = core.hostSize
    const phys = fcore.phys
    const none = new Uint8Array(0)
    const memory: HostMemory = {
      base: VA_BASE,
      size: hostSize,
      alloc: (size, align) => core.host.alloc(size, align),
      free: (va) => core.host.free(va),
      read: (va, len) => {
        if (!core.inHost(va, len)) return none
        const p = core.hostPhys(va)
        return phys.bytes.slice(p, p + len)
      },
      write: (va, data) => {
        if (!core.inHost(va, data.length)) return false
        phys.bytes.set(data, core.hostPhys(va))
        return true
      },
      fill: (va, len, byte) => {
        if (!core.inHost(va, len)) return false
        const p = core.hostPhys(va)
        phys.bytes.fill(byte, p, p + len)
        return true
      },
      view: (va, len) => {
        if (!core.inHost(va, len)) return none
        const p = core.hostPhys(va)
        return phys.bytes.subarray(p, p + len)
      },
      used: () => core.host.used
    }
    const info: NicInfo = { ...config, address: options.address, pageSize: PAGE, hostBase: VA_BASE }
    const wakeIfEvents = () => {
      if (core.evCodes.length > 0) core.wake()
    }
    const nic: Nic = {
      address: options.address,
      info,
      memory,
      privilegedKey: PRIVILEGED_KEY,
      allocPd: Effect.suspend(() => handleOrFail("allocPd", core.allocPd())),
      freePd: (pd) => Effect.suspend(() => codeOrFail("freePd", core.freePd(pd))),
      createMr: (pd, o) => Effect.suspend(() => handleOrFail("createMr", core.createMr(pd, o?.fastRegister === true))),
      registerMr: (mr, va, len, access) =>
        Effect.suspend(() => codeOrFail("registerMr", core.registerMr(mr, va, len, access))),
      registerExternal: (mr, buffer, access, va) =>
        Effect.suspend(() => handleOrFail("registerExternal", core.registerExternal(mr, buffer, access, va ?? -1))),
      deregisterMr: (mr) => Effect.suspend(() => codeOrFail("deregisterMr", core.deregisterMr(mr))),
      initFastRegister: (mr, pages, remote) =>
        Effect.suspend(() => codeOrFail("initFastRegister", core.initFastRegister(mr, pages, remote))),
      destroyMr: (mr) => Effect.suspend(() => codeOrFail("destroyMr", core.destroyMr(mr))),
      mrKey: (mr) => core.validKey(mr),
      createMw: (pd) => Effect.suspend(() => handleOrFail("createMw", core.createMw(pd))),
      destroyMw: (mw) => Effect.suspend(() => codeOrFail("destroyMw", core.destroyMw(mw))),
      mwKey: (mw) => core.validKey(mw),
      mapLogical: (va, len) =>
        Effect.suspend(() => {
          const pages: Array<number> = []
          const r = core.mapLogical(va, len, pages)
          return r < 0 ? fail("mapLogical", -r) : Effect.succeed({ pages, fbo: r })
        }),
      unmapLogical: (pages) => Effect.sync(() => core.unmapLogical(pages)),
      createCq: (depth, onEvent) => Effect.suspend(() => handleOrFail("createCq", core.createCq(depth, onEvent))),
      destroyCq: (cq) => Effect.suspend(() => codeOrFail("destroyCq", core.destroyCq(cq))),
      resizeCq: (cq, depth) => Effect.suspend(() => codeOrFail("resizeCq", core.resizeCq(cq, depth))),
      armCq: (cq, type) => core.armCq(cq, type),
      pollCq: (cq, out, max) => core.pollCq(cq, Math.min(max ?? out.capacity, out.capacity), out),
      cqError: (cq) => core.cq(cq)?.failed ?? 0,
      cqCount: (cq) => core.cq(cq)?.count ?? 0,
      createSrq: (o) =>
        Effect.suspend(() =>
          handleOrFail("createSrq", core.createSrq(o.pd, o.depth, o.maxSge, o.limit ?? 0, o.onEvent))
        ),
      modifySrq: (srq, depth, limit) =>
        Effect.suspend(() => {
          const r = core.modifySrq(srq, depth, limit)
          wakeIfEvents()
          return codeOrFail("modifySrq", r)
        }),
      destroySrq: (srq) => Effect.suspend(() => codeOrFail("destroySrq", core.destroySrq(srq))),
      postSrqReceive: (srq, ctx, sgl) => core.postSrqReceive(srq, ctx, sgl),
      srqCount: (srq) => core.srq(srq)?.count ?? 0,
      createQp: (a) =>
        Effect.suspend(() =>
          handleOrFail(
            "createQp",
            core.createQp(
              a.pd,
              a.sendCq,
              a.recvCq,
              a.srq ?? -1,
              a.sqDepth,
              a.rqDepth,
              a.maxSendSge,
              a.maxRecvSge,
              a.maxInline
            )
          )
        ),
      destroyQp: (qpn) => Effect.suspend(() => codeOrFail("destroyQp", core.destroyQp(qpn))),
      connectQp: (qpn, a) =>
        Effect.suspend(() =>
          codeOrFail(
            "connectQp",
            core.connectQp(qpn, a.remoteAddress, a.remoteQpn, a.ird, a.ord, a.sendPsn ?? 0, a.recvPsn ?? 0)
          )
        ),
      qpToError: (qpn) => core.qpToError(qpn),
      qpState: (qpn) => core.qp(qpn)?.state ?? -1,
      workInFlight: (qpn) => {
        const q = core.qp(qpn)
        if (q === undefined) return undefined
        const live = core.inFlight(q)
        return {
          requests: live ? q.sqBell - q.sqHead : 0,
          inbound: live && (q.respActive || q.respWriting),
          readResponses: live ? q.rdCount : 0
        }
      },
      watchDrain: (qpn, handler) => core.watchDrain(qpn, handler),
      unwatchDrain: (qpn) => core.unwatchDrain(qpn),
      awaitDrained: (qpn) =>
        Effect.async<void, NicError>((resume) => {
          const r = core.watchDrain(qpn, { sync: () => resume(Effect.void) })
          if (r !== C.OK) {
            resume(fail("awaitDrained", r))
            return
          }
          return Effect.sync(() => void core.unwatchDrain(qpn))
        }),
      postReceive: (qpn, ctx, sgl) => core.postReceive(qpn, ctx, sgl),
      postSend: (qpn, ctx, sgl, flags) => core.postData(qpn, OP_SEND, ctx, sgl, flags, 0, 0, 0),
      postSendInvalidate: (qpn, ctx, sgl, flags, key) => core.postData(qpn, OP_SEND_INV, ctx, sgl, flags, 0, 0, key),
      postWrite: (qpn, ctx, sgl, flags, ra, rk) => core.postData(qpn, OP_WRITE, ctx, sgl, flags, ra, rk, 0),
      postRead: (qpn, ctx, sgl, flags, ra, rk) => core.postData(qpn, OP_READ, ctx, sgl, flags, ra, rk, 0),
      postBind: (qpn, ctx, mr, mw, va, len, flags) => core.postBind(qpn, ctx, mr, mw, va, len, flags),
      postFastRegister: (qpn, ctx, mr, pages, n, fbo, len, base, flags) =>
        core.postFastRegister(qpn, ctx, mr, pages, n, fbo, len, base, flags),
      postInvalidate: (qpn, ctx, target, flags) => core.postInvalidate(qpn, ctx, target, flags),
      ringDoorbell: (qpn) => core.ringDoorbell(qpn),
      sendMad: (addr, data) => core.sendMad(addr, data),
      onMad: (h) => {
        madHandler = h
        core.madHandler = h
      },
      reset: Effect.sync(() => core.reset()),
      busy: () => engine.queued || driver.active || fxBusy || core.busy(),
      stats: () => ({
        pds: core.nPds,
        mrs: core.nMrs,
        mws: core.nMws,
        qps: core.nQps,
        cqs: core.cqs.filter((c) => c !== undefined).length,
        srqs: core.srqs.filter((s) => s !== undefined).length,
        removed: core.removed,
        ...core.counters
      })
    }
    return nic
  })

/**
 * A layer providing one {@link Nic} (needs a {@link Fabric}).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: NicOptions): Layer.Layer<Nic, NicError, Fabric> => Layer.scoped(Nic, make(options))

/**
 * Address constants of the model: host VAs start at `hostBase`; logical (adapter) addresses at `logicalBase`;
 * external registrations at `externalBase`.
 *
 * @since 0.1.0
 * @category constants
 */
export const AddressSpace = { hostBase: VA_BASE, logicalBase: LOGICAL_BASE, externalBase: EXTERNAL_BASE } as const
