/**
 * The `Ndk` service over any provider: every object a scoped resource, every pending call an Effect, every work
 * request an operation resolved by its CQ's dispatcher.
 */
import type { NdkAdapterInfo } from "@effect-ndk/ndkpi/AdapterInfo"
import * as AdapterInfo from "@effect-ndk/ndkpi/AdapterInfo"
import { NdkCqNotifyType } from "@effect-ndk/ndkpi/CqNotifyType"
import type { Guid, NdkExtensionInterface } from "@effect-ndk/ndkpi/ExtensionInterface"
import type { Mdl } from "@effect-ndk/ndkpi/Mdl"
import type * as NdkError from "@effect-ndk/ndkpi/NdkError"
import * as NdkErrors from "@effect-ndk/ndkpi/NdkError"
import type { NdkResult, NdkResultEx } from "@effect-ndk/ndkpi/NdkResult"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import { NdkOpFlag } from "@effect-ndk/ndkpi/OpFlag"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkProviderHost } from "@effect-ndk/ndkpi/ProviderHost"
import type {
  GroupAffinity,
  NdkAdapter,
  NdkConnector,
  NdkCq,
  NdkCqNotificationCallback,
  NdkListener,
  NdkMr,
  NdkMw,
  NdkPd,
  NdkQp,
  NdkSrq
} from "@effect-ndk/ndkpi/RawInterface"
import type { NdkSge } from "@effect-ndk/ndkpi/Sge"
import type { SockAddr } from "@effect-ndk/ndkpi/SockAddr"
import { byteLength } from "@effect-ndk/ndkpi/SockAddr"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { HostMemory } from "../HostMemory.js"
import type { Connector, SharedEndpoint } from "./connector.js"
import * as Conn from "./connector.js"
import type { Completion, CompletionEx, Sink, Stats } from "./core.js"
import {
  acquireRelease,
  awaitOp,
  Batch,
  closer,
  countCreated,
  create,
  Dispatcher,
  DispatcherEx,
  Inbox,
  makeStats,
  Op,
  Owner,
  request,
  snapshot,
  toError,
  waitOn
} from "./core.js"
import type { Kit } from "./kit.js"
import * as Query from "./kit.js"
import type { FastMemoryRegion, LogicalMapping } from "./memory.js"
import * as Memory from "./memory.js"

const S = NtStatus
const T = NdkObjectType
type E = NdkError.NdkError

// ---------------------------------------------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------------------------------------------

export type { Completion, CompletionEx, Stats }
export type { Connector, SharedEndpoint } from "./connector.js"
export type { ConnectionData } from "./kit.js"
export type { FastMemoryRegion, LogicalMapping } from "./memory.js"

/** A buffer in host memory: its virtual address, bytes and MDL. */
export interface Buffer {
  readonly address: bigint
  readonly length: number
  /** live bytes (no copy) */
  readonly bytes: Uint8Array
  readonly mdl: Mdl
}

/** A registered memory region. */
export interface MemoryRegion {
  readonly raw: NdkMr
  readonly buffer: Buffer
  readonly localToken: number
  readonly remoteToken: number
  /** an SGE over `[offset, offset + length)` of the buffer (default: all of it) */
  readonly sge: (offset?: number, length?: number) => NdkSge
  readonly close: Effect.Effect<void>
}

/** A memory window. */
export interface MemoryWindow {
  readonly raw: NdkMw
  readonly remoteToken: Effect.Effect<number>
  readonly close: Effect.Effect<void>
}

/** A completion queue with its dispatcher. */
export interface CompletionQueue {
  readonly raw: NdkCq
  /**
   * completions no fiber waits for: operations posted with `submit`, or foreign contexts (on an extended CQ they
   * go to `resultsEx` instead)
   */
  readonly results: Stream.Stream<Completion>
  /** the CQ was created with `extended: true`: its dispatcher polls with `NdkGetCqResultsEx` [1.2] */
  readonly extended: boolean
  /**
   * On an extended CQ: the completions no fiber waits for (`submit`, foreign contexts) with the `NDK_RESULT_EX`
   * fields — operation type (R73), provider error code ([2.1], 0 on success, R163) and type-specific output (the
   * invalidated token of a `ReceiveAndInvalidate`, R94). Waiting forms resolve as on any CQ. On a CQ created
   * without `extended` the stream fails at once with `NotSupported`.
   */
  readonly resultsEx: Stream.Stream<CompletionEx, E>
  /**
   * `NdkResizeCq` (the adapter sets `NDK_ADAPTER_FLAG_CQ_RESIZE_SUPPORTED`, else `NotSupported`); a depth below the
   * number of queued completions fails and leaves the CQ unchanged
   */
  readonly resize: (depth: number) => Effect.Effect<void, E>
  /**
   * `NdkControlCqInterruptModeration`: `interval` µs (0 = no moderation, `MAXULONG` = only the count governs) and
   * `count` completions (0 or 1 = no moderation); it changes only how soon a notification runs, never whether
   */
  readonly moderate: (options: { readonly interval: number; readonly count: number }) => Effect.Effect<void, E>
  readonly close: Effect.Effect<void>
}

/** A work request (for the batch and submit forms). */
export type WorkRequest =
  | { readonly _tag: "Send"; readonly sgl: ReadonlyArray<NdkSge>; readonly flags?: number; readonly context?: unknown }
  | { readonly _tag: "Receive"; readonly sgl: ReadonlyArray<NdkSge>; readonly context?: unknown }
  | {
    readonly _tag: "Read" | "Write"
    readonly sgl: ReadonlyArray<NdkSge>
    readonly remoteAddress: bigint
    readonly remoteToken: number
    readonly flags?: number
    readonly context?: unknown
  }

/** An operation posted ahead of time (a pre-posted receive): await it once. */
export interface Posted {
  readonly await: Effect.Effect<Completion, E>
  /** the completion has arrived (awaiting it will not suspend) */
  readonly done: () => boolean
}

/** A shared receive queue. */
export interface SharedReceiveQueue {
  readonly raw: NdkSrq
  readonly receive: (sgl: ReadonlyArray<NdkSge>, context?: unknown) => Effect.Effect<Completion, E>
  readonly postReceive: (sgl: ReadonlyArray<NdkSge>, context?: unknown) => Effect.Effect<Posted, E>
  readonly outstanding: () => number
  /**
   * `NdkModifySrq`: a new depth (absent or 0 keeps it); a `notifyThreshold` > 0 (re)arms the limit notification
   * (firing at once when already below), absent or 0 keeps threshold and arm state (SPEC §10.8)
   */
  readonly modify: (options: { readonly depth?: number; readonly notifyThreshold?: number }) => Effect.Effect<void, E>
  /**
   * The next limit notification: queued receives fell below the armed threshold. Fails with the SRQ's error
   * (`DeviceFailure` for STATUS_INTERNAL_ERROR). Notifications are buffered until taken.
   */
  readonly nextNotification: Effect.Effect<void, E>
  /** every limit notification, in order (takes from the same buffer as `nextNotification`); fails like it */
  readonly notifications: Stream.Stream<void, E>
  readonly close: Effect.Effect<void>
}

/** A queue pair: operations as Effects resolving with their completion. */
export interface QueuePair {
  readonly raw: NdkQp
  readonly send: (sgl: ReadonlyArray<NdkSge>, flags?: number) => Effect.Effect<Completion, E>
  readonly receive: (sgl: ReadonlyArray<NdkSge>) => Effect.Effect<Completion, E>
  readonly read: (
    sgl: ReadonlyArray<NdkSge>,
    remoteAddress: bigint,
    remoteToken: number,
    flags?: number
  ) => Effect.Effect<Completion, E>
  readonly write: (
    sgl: ReadonlyArray<NdkSge>,
    remoteAddress: bigint,
    remoteToken: number,
    flags?: number
  ) => Effect.Effect<Completion, E>
  /** posts one work request and waits for it */
  readonly post: (wr: WorkRequest) => Effect.Effect<Completion, E>
  /** posts a receive now; await its completion later */
  readonly postReceive: (sgl: ReadonlyArray<NdkSge>, context?: unknown) => Effect.Effect<Posted, E>
  /** posts many and resumes once with every completion (in posting order); no Deferred per operation */
  readonly batch: (wrs: ReadonlyArray<WorkRequest>) => Effect.Effect<ReadonlyArray<Completion>, E>
  /** posts without waiting: the completion goes to the CQ's `results` stream */
  readonly submit: (wr: WorkRequest) => Effect.Effect<void, E>
  readonly bind: (
    mr: MemoryRegion,
    mw: MemoryWindow,
    offset: number,
    length: number,
    flags: number
  ) => Effect.Effect<Completion, E>
  /** `NdkInvalidate` of a bound memory window or a fast-registered memory region */
  readonly invalidate: (target: MemoryWindow | FastMemoryRegion, flags?: number) => Effect.Effect<Completion, E>
  /**
   * `NdkFastRegister` of `frmr` over the pages of `lam` (default: the whole buffer, named by its own virtual
   * address); afterwards `frmr.remoteToken` is the token for the peer
   */
  readonly fastRegister: (
    frmr: FastMemoryRegion,
    lam: LogicalMapping,
    options?: { readonly length?: number; readonly baseVirtualAddress?: bigint; readonly flags?: number }
  ) => Effect.Effect<Completion, E>
  /** `NdkSendAndInvalidate` [1.2]: a send that also invalidates the peer's `remoteToken` before it completes there */
  readonly sendAndInvalidate: (
    sgl: ReadonlyArray<NdkSge>,
    remoteToken: number,
    flags?: number
  ) => Effect.Effect<Completion, E>
  /** cancels every outstanding work request (each completes with `Cancelled`) */
  readonly flush: Effect.Effect<void>
  /** operations posted and not completed */
  readonly outstanding: () => number
  readonly close: Effect.Effect<void>
}

/** Read limits and private data of a connection. */
export interface ConnectOptions {
  readonly inboundReadLimit?: number
  readonly outboundReadLimit?: number
  readonly privateData?: Uint8Array
}

/** An established connection. */
export interface Connection {
  readonly qp: QueuePair
  readonly connector: NdkConnector
  readonly inboundReadLimit: number
  readonly outboundReadLimit: number
  /** the peer's private data */
  readonly privateData: Uint8Array
  /** completes when the peer disconnects or the connection is aborted (the disconnect event) */
  readonly disconnected: Effect.Effect<void>
  readonly isDisconnected: () => boolean
  /** graceful disconnect (idempotent): completes once the peer has disconnected too (SPEC.md §9.8) */
  readonly disconnect: Effect.Effect<void, E>
  /** the disconnect event's provider reason: 0 unless established with `completeConnectEx` / `acceptEx` [2.1] */
  readonly disconnectReason: Effect.Effect<number>
  /** `NdkGetLocalAddress` of the connector */
  readonly localAddress: Effect.Effect<SockAddr, E>
  /** `NdkGetPeerAddress` of the connector */
  readonly peerAddress: Effect.Effect<SockAddr, E>
  readonly close: Effect.Effect<void>
}

/** An incoming connection request at a listener. */
export interface ConnectionRequest {
  readonly connector: NdkConnector
  readonly privateData: Uint8Array
  readonly inboundReadLimit: number
  readonly outboundReadLimit: number
  /**
   * Accepts on `qp`. The connector's close is (also) registered in the scope of this call, so it runs before the
   * QP's release when the QP was created after the request arrived (a QP bound to an open connector cannot finish
   * closing, R25).
   */
  readonly accept: (qp: QueuePair, options?: ConnectOptions) => Effect.Effect<Connection, E, Scope.Scope>
  /** `NdkAcceptEx` [2.1]: as `accept`; the disconnect event carries the provider's reason (`disconnectReason`) */
  readonly acceptEx: (qp: QueuePair, options?: ConnectOptions) => Effect.Effect<Connection, E, Scope.Scope>
  /** `NdkReject` with optional private data (the requester's connect fails with `ConnectionRefused`) */
  readonly reject: (privateData?: Uint8Array) => Effect.Effect<void, E>
  /** `NdkGetLocalAddress` of the incoming connector */
  readonly localAddress: Effect.Effect<SockAddr, E>
  /** `NdkGetPeerAddress`: who is asking */
  readonly peerAddress: Effect.Effect<SockAddr, E>
}

/** A listener. */
export interface Listener {
  readonly raw: NdkListener
  /** the next incoming request; its connector is closed with the scope (after accept: with the connection) */
  readonly incoming: Effect.Effect<ConnectionRequest, E, Scope.Scope>
  /** `NdkGetLocalAddress` of the listener (the port picked when listening on port 0) */
  readonly localAddress: Effect.Effect<SockAddr, E>
  /** `NdkControlConnectEvents(Pause)`: requests meanwhile are refused as if nobody listened (SPEC §6.11) */
  readonly pause: Effect.Effect<void>
  /** `NdkControlConnectEvents(Resume)` */
  readonly resume: Effect.Effect<void>
  readonly close: Effect.Effect<void>
}

/** Options of a queue pair. */
export interface QpOptions {
  readonly receiveCq: CompletionQueue
  readonly initiatorCq: CompletionQueue
  readonly receiveQueueDepth?: number
  readonly initiatorQueueDepth?: number
  readonly maxReceiveSge?: number
  readonly maxInitiatorSge?: number
  readonly inlineDataSize?: number
  readonly srq?: SharedReceiveQueue
  /** the QPContext of every completion (default: the QueuePair handle) */
  readonly context?: unknown
}

/** A protection domain. */
export interface ProtectionDomain {
  readonly raw: NdkPd
  /** allocates a buffer from host memory and registers it (the fast path) */
  readonly registerMemory: (size: number, flags: number) => Effect.Effect<MemoryRegion, E, Scope.Scope>
  /** registers a caller's buffer (allocated by the caller; it stays the caller's) */
  readonly registerBuffer: (buffer: Buffer, flags: number) => Effect.Effect<MemoryRegion, E, Scope.Scope>
  /**
   * registers the caller's own bytes, outside host memory (the provider's slow path), at `address` — the VA
   * peers and SGEs name them by (default: a fresh page-aligned VA of this service's caller-buffer range). The
   * bytes stay the caller's; the NIC reaches them only while the region is registered (until the scope ends).
   */
  readonly registerBytes: (
    bytes: Uint8Array,
    flags: number,
    options?: { readonly address?: bigint }
  ) => Effect.Effect<MemoryRegion, E, Scope.Scope>
  readonly createMw: Effect.Effect<MemoryWindow, E, Scope.Scope>
  readonly createSrq: (options: {
    readonly depth: number
    readonly maxSge?: number
    readonly notifyThreshold?: number
    readonly affinity?: GroupAffinity
  }) => Effect.Effect<SharedReceiveQueue, E, Scope.Scope>
  readonly createQp: (options: QpOptions) => Effect.Effect<QueuePair, E, Scope.Scope>
  /** `NdkGetPrivilegedMemoryRegionToken`: local read/write through logical addresses (`adapter.buildLam`), no remote */
  readonly privilegedToken: Effect.Effect<number>
  /** `NdkCreateMr(FastRegister)` + `NdkInitializeFastRegisterMr`: a region registered later by `qp.fastRegister` */
  readonly createFastRegisterMr: (options: {
    readonly pageCount: number
    readonly remoteAccess?: boolean
  }) => Effect.Effect<FastMemoryRegion, E, Scope.Scope>
  readonly close: Effect.Effect<void>
}

/** An open adapter. */
export interface Adapter {
  readonly raw: NdkAdapter
  readonly info: NdkAdapterInfo
  readonly version: NdkVersion.NdkVersion
  /** a buffer from host memory, freed with the scope */
  readonly allocate: (size: number) => Effect.Effect<Buffer, E, Scope.Scope>
  readonly createPd: Effect.Effect<ProtectionDomain, E, Scope.Scope>
  /**
   * `NdkCreateCq`; `affinity` is the processor hint for its notifications. `extended: true` makes the CQ poll with
   * `NdkGetCqResultsEx` and report completions nobody waits for on `resultsEx`; it needs NDKPI 1.2 or later
   * (fails with `NotSupported` on an adapter that negotiated 1.0 or 1.1, where the provider refuses the Ex poll)
   */
  readonly createCq: (
    depth: number,
    options?: { readonly affinity?: GroupAffinity; readonly extended?: boolean }
  ) => Effect.Effect<CompletionQueue, E, Scope.Scope>
  readonly listen: (address: SockAddr) => Effect.Effect<Listener, E, Scope.Scope>
  readonly connect: (
    qp: QueuePair,
    source: SockAddr,
    destination: SockAddr,
    options?: ConnectOptions
  ) => Effect.Effect<Connection, E, Scope.Scope>
  /** `NdkQueryExtensionInterface` on the adapter (`queryExtension` in `Ndk` does it for any object) */
  readonly queryExtension: (id: Guid, version: NdkVersion.NdkVersion) => Effect.Effect<NdkExtensionInterface, E>
  /** `NdkQueryAdapterInfo` again (the value read at open is `info`) */
  readonly queryInfo: Effect.Effect<NdkAdapterInfo, E>
  /** `NdkCreateConnector`: a connector for the active side step by step */
  readonly createConnector: Effect.Effect<Connector, E, Scope.Scope>
  /** `NdkCreateSharedEndpoint`: one local address for many outgoing connections */
  readonly createSharedEndpoint: (address: SockAddr) => Effect.Effect<SharedEndpoint, E, Scope.Scope>
  /** `NdkBuildLAM` over a host buffer, released (`NdkReleaseLAM`) with the scope */
  readonly buildLam: (buffer: Buffer) => Effect.Effect<LogicalMapping, E, Scope.Scope>
}

/** The service. */
export interface NdkService {
  readonly memory: HostMemory
  readonly openAdapter: (options?: {
    readonly version?: NdkVersion.NdkVersion
  }) => Effect.Effect<Adapter, E, Scope.Scope>
  readonly stats: Effect.Effect<Stats>
  readonly unsafeStats: () => Stats
}

// ---------------------------------------------------------------------------------------------------------------
// implementation
// ---------------------------------------------------------------------------------------------------------------

const SILENT = NdkOpFlag.NDK_OP_FLAG_SILENT_SUCCESS
/** the status of a work request refused because an object it names is closing (fails with `InvalidState`) */
const CLOSED = S.STATUS_INVALID_DEVICE_STATE
/** a post to a QP or SRQ whose close has started (R31): refused before the provider sees it */
const refused = Effect.fail(toError(CLOSED))
const DEFER = NdkOpFlag.NDK_OP_FLAG_DEFER
/** every tracked operation needs its completion: silent success and deferral are masked out */
const tracked = (flags: number | undefined): number => ((flags ?? 0) & ~(SILENT | DEFER)) >>> 0

const ANY = NdkCqNotifyType.NDK_CQ_NOTIFY_ANY

const PAGE = 4096n
/** where `registerBytes` places caller buffers when the caller names no address (far from any host arena) */
const OWN_BUFFER_BASE = 0x7e00_0000_0000n

/** A buffer over the caller's own bytes at the VA `address` (its MDL carries the bytes: outside host memory). */
export const callerBuffer = (bytes: Uint8Array, address: bigint): Buffer => ({
  address,
  length: bytes.length,
  bytes,
  mdl: { virtualAddress: address, byteCount: bytes.length, bytes }
})

export const make = (provider: NdkProviderHost, memory: HostMemory): NdkService => {
  const stats = makeStats()
  /** one close per object, whoever asks first (scope release or an explicit early close) */
  const closers = new WeakMap<object, Effect.Effect<void>>()
  const closeOnce = (
    key: object,
    type: number,
    close: Parameters<typeof closer>[2],
    after?: Effect.Effect<void>
  ): Effect.Effect<void> => {
    let c = closers.get(key)
    if (c === undefined) {
      c = Effect.zipRight(
        Effect.sync(() => void closing.add(key)),
        closer(stats, type, close, after)
      )
      closers.set(key, c)
    }
    return c
  }
  /** {@link closeOnce} of a QP or SRQ: its posts are refused from the moment its close starts (R31) */
  const closeOwner = (owner: Owner, ...args: Parameters<typeof closeOnce>): Effect.Effect<void> =>
    Effect.zipRight(Effect.sync(() => void (owner.closed = true)), closeOnce(...args))
  /** objects whose close has started: nothing may be called on them any more (R31) */
  const closing = new WeakSet<object>()
  /** Whether `a` or `b` (memory objects a work request names) is closing. */
  const isClosing = (a: object, b: object | undefined): boolean => closing.has(a) || (b !== undefined && closing.has(b))
  const kit: Kit = { stats, closeOnce }

  /** next VA of the caller-buffer range (page-aligned, a guard page between buffers, never reused) */
  let nextOwnVa = OWN_BUFFER_BASE
  const ownBuffer = (bytes: Uint8Array, address: bigint | undefined): Effect.Effect<Buffer, E> =>
    Effect.suspend(() => {
      if (!(bytes instanceof Uint8Array) || bytes.length === 0) return Effect.fail(toError(S.STATUS_INVALID_PARAMETER))
      let va = address
      if (va === undefined) {
        va = nextOwnVa
        nextOwnVa += (BigInt(bytes.length) + 2n * PAGE - 1n) / PAGE * PAGE
      }
      return Effect.succeed(callerBuffer(bytes, va))
    })

  const allocate = (size: number): Effect.Effect<Buffer, E, Scope.Scope> =>
    Effect.acquireRelease(
      Effect.suspend(() => {
        if (!(Number.isInteger(size) && size > 0)) return Effect.fail(toError(S.STATUS_INVALID_PARAMETER))
        const va = memory.alloc(size)
        if (va < 0) return Effect.fail(toError(S.STATUS_INSUFFICIENT_RESOURCES))
        const address = BigInt(va)
        return Effect.succeed<Buffer>({
          address,
          length: size,
          bytes: memory.view(va, size),
          mdl: { virtualAddress: address, byteCount: size }
        })
      }),
      (b) => Effect.sync(() => void memory.free(Number(b.address)))
    )

  // ---- CQ -------------------------------------------------------------------------------------------------

  interface CqState {
    readonly handle: CompletionQueue
    readonly dispatcher: Dispatcher | Dispatcher<NdkResultEx> | undefined
    readonly sink: Sink
    readonly owners: Set<Owner>
    drain(): Effect.Effect<void>
    /** the CQ's close has started */
    closing(): boolean
  }
  const cqStates = new WeakMap<CompletionQueue, CqState>()

  const createCq = (
    adapter: NdkAdapter,
    depth: number,
    affinity: GroupAffinity | null = null,
    extended = false
  ): Effect.Effect<CompletionQueue, E, Scope.Scope> =>
    Effect.gen(function*() {
      const queue = yield* Queue.unbounded<Completion>()
      const exQueue = extended ? yield* Queue.unbounded<CompletionEx>() : undefined
      const sink: Sink = exQueue === undefined ? { queue, open: true } : { queue, ex: exQueue, open: true }
      const owners = new Set<Owner>()
      const failAll = (status: number) => {
        for (const o of owners) o.failAll(status)
      }
      // the dispatcher needs the CQ (poll/arm); the callback is wired before the CQ exists
      const slot: { cq: NdkCq | undefined; dispatcher: Dispatcher | Dispatcher<NdkResultEx> | undefined } = {
        cq: undefined,
        dispatcher: undefined
      }
      const fallbackBuffer: Array<NdkResult> = new Array(64)
      const fallbackBufferEx: Array<NdkResultEx> = new Array(64)
      const fallbackNotified = (status: number): Effect.Effect<void> =>
        Effect.gen(function*() {
          const cq = slot.cq
          if (cq === undefined) return
          stats.notifications++
          const d = new Dispatcher(stats, sink, () => 0, () => {}, failAll)
          const dx = new DispatcherEx(stats, sink, () => 0, () => {}, failAll)
          const drainFx = Effect.gen(function*() {
            let n: number
            do {
              if (extended) {
                n = yield* cq.Dispatch.NdkGetCqResultsEx(cq, fallbackBufferEx, 64)
                for (let i = 0; i < n; i++) dx.buffer[i] = fallbackBufferEx[i]!
                dx.deliver(n)
              } else {
                n = yield* cq.Dispatch.NdkGetCqResults(cq, fallbackBuffer, 64)
                for (let i = 0; i < n; i++) d.buffer[i] = fallbackBuffer[i]!
                d.deliver(n)
              }
            } while (n === 64)
          })
          yield* drainFx
          if (status !== S.STATUS_SUCCESS) {
            failAll(status)
            return
          }
          yield* cq.Dispatch.NdkArmCq(cq, ANY)
          yield* drainFx
        })
      // the callback, plus its synchronous twin once the dispatcher exists (a provider may run the twin straight
      // from its engine: the dispatcher's work is synchronous anyway)
      const twin = (_c: unknown, status: number): void => slot.dispatcher!.notified(status >>> 0)
      const callback: NdkCqNotificationCallback = Object.defineProperty(
        (_c: unknown, status: number): Effect.Effect<void> =>
          slot.dispatcher !== undefined
            ? Effect.sync(() => slot.dispatcher!.notified(status >>> 0))
            : fallbackNotified(status >>> 0),
        "unsafe",
        { get: () => slot.dispatcher !== undefined ? twin : undefined }
      )
      const raw = yield* Effect.acquireRelease(
        create<NdkCq>(stats, T.NdkObjectTypeCq, (cc, ctx, out) =>
          adapter.Dispatch.NdkCreateCq(
            adapter,
            depth,
            callback,
            slot,
            affinity,
            cc,
            ctx,
            out
          )),
        (cq) => closeCq(cq)
      )
      slot.cq = raw
      const unsafe = raw.unsafe
      if (unsafe !== undefined) {
        slot.dispatcher = extended
          ? new DispatcherEx(
            stats,
            sink,
            (results, n) => unsafe.NdkGetCqResultsEx(raw, results, n),
            () => unsafe.NdkArmCq(raw, ANY),
            failAll
          )
          : new Dispatcher(
            stats,
            sink,
            (results, n) => unsafe.NdkGetCqResults(raw, results, n),
            () => unsafe.NdkArmCq(raw, ANY),
            failAll
          )
      }
      const closeCq = (cq: NdkCq) =>
        closeOnce(
          cq,
          T.NdkObjectTypeCq,
          (cc, ctx) =>
            Effect.suspend(() => {
              if (slot.dispatcher?.armed === true) stats.notificationsCancelled++
              return cq.Dispatch.NdkCloseCq(cq, cc, ctx)
            }),
          Effect.zipRight(
            Effect.sync(() => {
              sink.open = false
            }),
            exQueue === undefined
              ? Queue.shutdown(queue)
              : Effect.zipRight(Queue.shutdown(queue), Queue.shutdown(exQueue))
          )
        )
      const handle: CompletionQueue = {
        raw,
        results: Stream.fromQueue(queue),
        extended,
        resultsEx: exQueue === undefined
          ? Stream.fail(new NdkErrors.NotSupported({ status: S.STATUS_NOT_SUPPORTED }))
          : Stream.fromQueue(exQueue),
        resize: (depth) => request((rc, ctx) => raw.Dispatch.NdkResizeCq(raw, depth, rc, ctx)),
        moderate: ({ count, interval }) =>
          Effect.flatMap(raw.Dispatch.NdkControlCqInterruptModeration(raw, interval, count), Query.check),
        close: closeCq(raw)
      }
      const state: CqState = {
        handle,
        dispatcher: slot.dispatcher,
        sink,
        owners,
        // a CQ whose close has started is never polled again (R31): what it still holds is unreachable
        drain: () =>
          closing.has(raw)
            ? Effect.void
            : slot.dispatcher !== undefined
            ? Effect.sync(() => slot.dispatcher!.drain())
            : fallbackNotified(S.STATUS_SUCCESS),
        closing: () => closing.has(raw)
      }
      cqStates.set(handle, state)
      if (slot.dispatcher !== undefined) slot.dispatcher.rearm()
      else yield* raw.Dispatch.NdkArmCq(raw, ANY)
      return handle
    })

  // ---- MR / MW --------------------------------------------------------------------------------------------

  const registerOver = (pd: NdkPd, buffer: Buffer, flags: number): Effect.Effect<MemoryRegion, E, Scope.Scope> =>
    Effect.gen(function*() {
      const raw = yield* Effect.acquireRelease(
        create<NdkMr>(stats, T.NdkObjectTypeMr, (cc, ctx, out) => pd.Dispatch.NdkCreateMr(pd, false, cc, ctx, out)),
        (mr) => closeOnce(mr, T.NdkObjectTypeMr, (cc, ctx) => mr.Dispatch.NdkCloseMr(mr, cc, ctx))
      )
      yield* Effect.acquireRelease(
        request((rc, ctx) => raw.Dispatch.NdkRegisterMr(raw, buffer.mdl, BigInt(buffer.length), flags, rc, ctx)),
        // a deregistration can only fail if the MR is already unusable; the close that follows cleans up. An MR
        // closed early was released with its registration: no call on it after its close (R31)
        () =>
          Effect.suspend(() =>
            closing.has(raw)
              ? Effect.void
              : Effect.ignore(request((rc, ctx) => raw.Dispatch.NdkDeregisterMr(raw, rc, ctx)))
          )
      )
      const localToken = yield* raw.Dispatch.NdkGetLocalTokenFromMr(raw)
      const remoteToken = yield* raw.Dispatch.NdkGetRemoteTokenFromMr(raw)
      const mr: MemoryRegion = {
        raw,
        buffer,
        localToken,
        remoteToken,
        sge: (offset = 0, length = buffer.length - offset) => ({
          VirtualAddress: buffer.address + BigInt(offset),
          Length: length,
          MemoryRegionToken: localToken
        }),
        close: closeOnce(raw, T.NdkObjectTypeMr, (cc, ctx) => raw.Dispatch.NdkCloseMr(raw, cc, ctx))
      }
      return mr
    })

  const createMw = (pd: NdkPd): Effect.Effect<MemoryWindow, E, Scope.Scope> =>
    Effect.map(
      Effect.acquireRelease(
        create<NdkMw>(stats, T.NdkObjectTypeMw, (cc, ctx, out) => pd.Dispatch.NdkCreateMw(pd, cc, ctx, out)),
        (mw) => closeOnce(mw, T.NdkObjectTypeMw, (cc, ctx) => mw.Dispatch.NdkCloseMw(mw, cc, ctx))
      ),
      (raw): MemoryWindow => ({
        raw,
        remoteToken: raw.Dispatch.NdkGetRemoteTokenFromMw(raw),
        close: closeOnce(raw, T.NdkObjectTypeMw, (cc, ctx) => raw.Dispatch.NdkCloseMw(raw, cc, ctx))
      })
    )

  // ---- posting ----------------------------------------------------------------------------------------------

  /** Posts one work request with `op` as its context; returns the NTSTATUS (sync twin when present). */
  const postEffect = (qp: NdkQp, op: Op, wr: WorkRequest): Effect.Effect<number> => {
    const d = qp.Dispatch
    switch (wr._tag) {
      case "Send":
        return d.NdkSend(qp, op, wr.sgl, wr.sgl.length, tracked(wr.flags))
      case "Receive":
        return d.NdkReceive(qp, op, wr.sgl, wr.sgl.length)
      case "Read":
        return d.NdkRead(qp, op, wr.sgl, wr.sgl.length, wr.remoteAddress, wr.remoteToken, tracked(wr.flags))
      case "Write":
        return d.NdkWrite(qp, op, wr.sgl, wr.sgl.length, wr.remoteAddress, wr.remoteToken, tracked(wr.flags))
    }
  }
  const postSync = (qp: NdkQp, op: Op, wr: WorkRequest): number => {
    const u = qp.unsafe!
    switch (wr._tag) {
      case "Send":
        return u.NdkSend(qp, op, wr.sgl, wr.sgl.length, tracked(wr.flags))
      case "Receive":
        return u.NdkReceive(qp, op, wr.sgl, wr.sgl.length)
      case "Read":
        return u.NdkRead(qp, op, wr.sgl, wr.sgl.length, wr.remoteAddress, wr.remoteToken, tracked(wr.flags))
      case "Write":
        return u.NdkWrite(qp, op, wr.sgl, wr.sgl.length, wr.remoteAddress, wr.remoteToken, tracked(wr.flags))
    }
  }

  /**
   * Post + wait in one `Effect.async` (sync twin): the dispatcher resumes this fiber with the completion.
   * Interruption leaves the work request posted and tracked; its completion is dropped when it arrives.
   */
  const postAndWait = (
    owner: Owner,
    context: unknown,
    post: (op: Op) => number,
    postFx: (op: Op) => Effect.Effect<number>,
    hasSync: boolean
  ): Effect.Effect<Completion, E> => {
    if (hasSync) {
      return Effect.withFiberRuntime((fiber, status) => {
        if (owner.closed) return refused
        const op = new Op(owner, context)
        const st = post(op)
        if (st !== S.STATUS_SUCCESS) return Effect.fail(toError(st))
        owner.add(op)
        waitOn(op, fiber, status.runtimeFlags)
        return Effect.async<Completion, E>((resume) => {
          op.resume = resume
        })
      })
    }
    return Effect.suspend(() => {
      if (owner.closed) return refused
      const op = new Op(owner, context)
      return Effect.flatMap(postFx(op), (st) => {
        if (st !== S.STATUS_SUCCESS) return Effect.fail(toError(st))
        owner.add(op)
        return awaitOp(op)
      })
    })
  }

  /**
   * {@link postAndWait} for a WR naming memory objects (`a`, `b`: MR, MW, fast-register MR): refused with
   * {@link CLOSED} before the provider sees it when one of them is closing, rather than naming a closed object (R31)
   */
  const postNaming = (
    owner: Owner,
    a: object,
    b: object | undefined,
    post: (op: Op) => number,
    postFx: (op: Op) => Effect.Effect<number>,
    hasSync: boolean
  ): Effect.Effect<Completion, E> =>
    postAndWait(
      owner,
      undefined,
      (op) => isClosing(a, b) ? CLOSED : post(op),
      (op) => Effect.suspend(() => isClosing(a, b) ? Effect.succeed(CLOSED) : postFx(op)),
      hasSync
    )

  const prePost = (
    owner: Owner,
    context: unknown,
    post: (op: Op) => Effect.Effect<number>
  ): Effect.Effect<Posted, E> =>
    Effect.suspend(() => {
      if (owner.closed) return refused
      const op = new Op(owner, context)
      return Effect.flatMap(post(op), (st) => {
        if (st !== S.STATUS_SUCCESS) return Effect.fail(toError(st))
        owner.add(op)
        return Effect.succeed<Posted>({ await: awaitOp(op), done: () => op.done })
      })
    })

  /** `prePost` through a synchronous twin: one Effect step. */
  const prePostSync = (
    owner: Owner,
    context: unknown,
    post: (op: Op) => number
  ): Effect.Effect<Posted, E> =>
    Effect.suspend(() => {
      if (owner.closed) return refused
      const op = new Op(owner, context)
      const st = post(op)
      if (st !== S.STATUS_SUCCESS) return Effect.fail(toError(st))
      owner.add(op)
      return Effect.succeed<Posted>({ await: awaitOp(op), done: () => op.done })
    })

  // ---- SRQ ------------------------------------------------------------------------------------------------

  const createSrq = (
    pd: NdkPd,
    o: {
      readonly depth: number
      readonly maxSge?: number
      readonly notifyThreshold?: number
      readonly affinity?: GroupAffinity
    }
  ): Effect.Effect<SharedReceiveQueue, E, Scope.Scope> =>
    Effect.gen(function*() {
      const owner = new Owner(stats)
      // limit notifications (statuses), buffered until taken; shut down once the SRQ has closed
      const notices = yield* Queue.unbounded<number>()
      const closeSrq = (srq: NdkSrq) =>
        closeOwner(
          owner,
          srq,
          T.NdkObjectTypeSrq,
          (cc, ctx) => srq.Dispatch.NdkCloseSrq(srq, cc, ctx),
          // its QPs closed first; receives nobody consumed are dropped without a completion (SPEC §8.7 close
          // table, model decision): they fail with Cancelled, so nobody waits forever
          Effect.zipRight(Queue.shutdown(notices), Effect.sync(() => void owner.failAll(S.STATUS_CANCELLED)))
        )
      const raw = yield* Effect.acquireRelease(
        create<NdkSrq>(stats, T.NdkObjectTypeSrq, (cc, ctx, out) =>
          pd.Dispatch.NdkCreateSrq(
            pd,
            o.depth,
            o.maxSge ?? 4,
            o.notifyThreshold ?? 0,
            (q, status) => Effect.sync(() => void (q as Queue.Queue<number>).unsafeOffer(status >>> 0)),
            notices,
            o.affinity ?? null,
            cc,
            ctx,
            out
          )),
        closeSrq
      )
      const noticeOf = (status: number): Effect.Effect<void, E> =>
        status === S.STATUS_SUCCESS ? Effect.void : Effect.fail(toError(status))
      const post = (op: Op, sgl: ReadonlyArray<NdkSge>) => raw.Dispatch.NdkSrqReceive(raw, op, sgl, sgl.length)
      const unsafe = raw.unsafe
      const handle: SharedReceiveQueue = {
        raw,
        receive: (sgl, context) =>
          postAndWait(
            owner,
            context,
            (op) => unsafe!.NdkSrqReceive(raw, op, sgl, sgl.length),
            (op) => post(op, sgl),
            unsafe !== undefined
          ),
        postReceive: (sgl, context) => prePost(owner, context, (op) => post(op, sgl)),
        outstanding: () => owner.count,
        modify: ({ depth, notifyThreshold }) =>
          request((rc, ctx) => raw.Dispatch.NdkModifySrq(raw, depth ?? 0, notifyThreshold ?? 0, rc, ctx)),
        nextNotification: Effect.flatMap(Queue.take(notices), noticeOf),
        notifications: Stream.mapEffect(Stream.fromQueue(notices), noticeOf),
        close: closeSrq(raw)
      }
      srqOwners.set(handle, owner)
      return handle
    })
  const srqOwners = new WeakMap<SharedReceiveQueue, Owner>()

  // ---- QP -------------------------------------------------------------------------------------------------

  const createQp = (pd: NdkPd, o: QpOptions): Effect.Effect<QueuePair, E, Scope.Scope> =>
    Effect.gen(function*() {
      const rcq = cqStates.get(o.receiveCq)
      const icq = cqStates.get(o.initiatorCq)
      if (rcq === undefined || icq === undefined) return yield* Effect.fail(toError(S.STATUS_INVALID_PARAMETER))
      const owner = new Owner(stats)
      const holder: { handle: QueuePair | undefined } = { handle: undefined }
      const context = o.context ?? holder
      const raw = yield* acquireRelease(
        create<NdkQp>(stats, T.NdkObjectTypeQp, (cc, ctx, out) =>
          o.srq !== undefined
            ? pd.Dispatch.NdkCreateQpWithSrq(
              pd,
              o.receiveCq.raw,
              o.initiatorCq.raw,
              o.srq.raw,
              context,
              o.initiatorQueueDepth ?? 64,
              o.maxInitiatorSge ?? 4,
              o.inlineDataSize ?? 0,
              cc,
              ctx,
              out
            )
            : pd.Dispatch.NdkCreateQp(
              pd,
              o.receiveCq.raw,
              o.initiatorCq.raw,
              context,
              o.receiveQueueDepth ?? 64,
              o.initiatorQueueDepth ?? 64,
              o.maxReceiveSge ?? 4,
              o.maxInitiatorSge ?? 4,
              o.inlineDataSize ?? 0,
              cc,
              ctx,
              out
            )),
        (qp) => closeQp(qp)
      )
      rcq.owners.add(owner)
      icq.owners.add(owner)
      // close: the provider flushes what is outstanding; the flushed completions reach the dispatchers; anything
      // still tracked afterwards was lost by the provider (counted, then failed so no fiber waits forever)
      const closeQp = (qp: NdkQp) =>
        closeOwner(
          owner,
          qp,
          T.NdkObjectTypeQp,
          (cc, ctx) => qp.Dispatch.NdkCloseQp(qp, cc, ctx),
          Effect.gen(function*() {
            yield* rcq.drain()
            if (icq !== rcq) yield* icq.drain()
            // completions left in a CQ closed first are unreachable, not lost: they were flushed (Cancelled)
            const unreachable = rcq.closing() || icq.closing()
            const lost = owner.failAll(S.STATUS_CANCELLED)
            if (!unreachable) stats.lost += lost
            rcq.owners.delete(owner)
            icq.owners.delete(owner)
          })
        )
      const unsafe = raw.unsafe
      const hasSync = unsafe !== undefined
      const one = (wr: WorkRequest) =>
        postAndWait(owner, wr.context, (op) => postSync(raw, op, wr), (op) => postEffect(raw, op, wr), hasSync)
      const handle: QueuePair = {
        raw,
        send: hasSync
          ? (sgl, flags) =>
            postAndWait(
              owner,
              undefined,
              (op) => unsafe.NdkSend(raw, op, sgl, sgl.length, tracked(flags)),
              (op) => raw.Dispatch.NdkSend(raw, op, sgl, sgl.length, tracked(flags)),
              true
            )
          : (sgl, flags) => one({ _tag: "Send", sgl, ...(flags === undefined ? {} : { flags }) }),
        receive: hasSync
          ? (sgl) =>
            postAndWait(
              owner,
              undefined,
              (op) => unsafe.NdkReceive(raw, op, sgl, sgl.length),
              (op) => raw.Dispatch.NdkReceive(raw, op, sgl, sgl.length),
              true
            )
          : (sgl) => one({ _tag: "Receive", sgl }),
        read: (sgl, remoteAddress, remoteToken, flags) =>
          one({ _tag: "Read", sgl, remoteAddress, remoteToken, ...(flags === undefined ? {} : { flags }) }),
        write: (sgl, remoteAddress, remoteToken, flags) =>
          one({ _tag: "Write", sgl, remoteAddress, remoteToken, ...(flags === undefined ? {} : { flags }) }),
        post: one,
        postReceive: hasSync
          ? (sgl, context) => prePostSync(owner, context, (op) => unsafe.NdkReceive(raw, op, sgl, sgl.length))
          : (sgl, context) => prePost(owner, context, (op) => raw.Dispatch.NdkReceive(raw, op, sgl, sgl.length)),
        // with the synchronous twins: post all and park in one step (the posts run inside the wait's registration)
        batch: hasSync
          ? (wrs) =>
            wrs.length === 0
              ? Effect.succeed([])
              : Effect.async<ReadonlyArray<Completion>, E>((resume) => postBatchSync(owner, raw, wrs, resume))
          : (wrs) =>
            wrs.length === 0 ? Effect.succeed([]) : Effect.suspend(() => {
              if (owner.closed) return refused
              const batch = new Batch(wrs.length)
              const posts = (i: number): Effect.Effect<number> => {
                const op = new Op(owner, wrs[i]!.context)
                op.batch = batch
                op.index = i
                return Effect.map(postEffect(raw, op, wrs[i]!), (st) => {
                  if (st === S.STATUS_SUCCESS) owner.add(op)
                  return st
                })
              }
              return Effect.flatMap(
                Effect.gen(function*() {
                  for (let i = 0; i < wrs.length; i++) {
                    const st = yield* posts(i)
                    if (st !== S.STATUS_SUCCESS) {
                      abandonBatch(batch, wrs.length - i)
                      return st
                    }
                  }
                  return S.STATUS_SUCCESS
                }),
                (st) => st !== S.STATUS_SUCCESS ? Effect.fail(toError(st)) : batch.wait
              )
            }),
        submit: (wr) =>
          Effect.suspend(() => {
            if (owner.closed) return refused
            const op = new Op(owner, wr.context)
            op.sink = wr._tag === "Receive" ? rcq.sink : icq.sink
            const fx = hasSync ? Effect.sync(() => postSync(raw, op, wr)) : postEffect(raw, op, wr)
            return Effect.flatMap(fx, (st) => {
              if (st !== S.STATUS_SUCCESS) return Effect.fail(toError(st))
              owner.add(op)
              return Effect.void
            })
          }),
        bind: (mr, mw, offset, length, flags) => {
          const va = mr.buffer.address + BigInt(offset)
          return postNaming(
            owner,
            mr.raw,
            mw.raw,
            (op) => unsafe!.NdkBind(raw, op, mr.raw, mw.raw, va, BigInt(length), tracked(flags)),
            (op) => raw.Dispatch.NdkBind(raw, op, mr.raw, mw.raw, va, BigInt(length), tracked(flags)),
            hasSync
          )
        },
        invalidate: (target, flags) =>
          postNaming(
            owner,
            target.raw,
            undefined,
            (op) => unsafe!.NdkInvalidate(raw, op, target.raw, tracked(flags)),
            (op) => raw.Dispatch.NdkInvalidate(raw, op, target.raw, tracked(flags)),
            hasSync
          ),
        fastRegister: (frmr, lam, options = {}) => {
          const length = BigInt(options.length ?? lam.buffer.length)
          const base = options.baseVirtualAddress ?? lam.buffer.address
          const flags = tracked(options.flags)
          return postNaming(
            owner,
            frmr.raw,
            undefined,
            (op) =>
              unsafe!.NdkFastRegister(raw, op, frmr.raw, lam.pages.length, lam.pages, lam.fbo, length, base, flags),
            (op) =>
              raw.Dispatch.NdkFastRegister(
                raw,
                op,
                frmr.raw,
                lam.pages.length,
                lam.pages,
                lam.fbo,
                length,
                base,
                flags
              ),
            hasSync
          )
        },
        sendAndInvalidate: (sgl, remoteToken, flags) =>
          postAndWait(
            owner,
            undefined,
            (op) => unsafe!.NdkSendAndInvalidate(raw, op, sgl, sgl.length, tracked(flags), remoteToken),
            (op) => raw.Dispatch.NdkSendAndInvalidate(raw, op, sgl, sgl.length, tracked(flags), remoteToken),
            hasSync
          ),
        // a closing QP is flushed by its close: nothing to call (R31)
        flush: Effect.suspend(() => owner.closed ? Effect.void : raw.Dispatch.NdkFlush(raw)),
        outstanding: () => owner.count,
        close: closeQp(raw)
      }
      holder.handle = handle
      return handle
    })

  /**
   * Posts a batch through the synchronous twins from inside its wait's registration and parks on it: one Effect
   * step per batch. Refused (R31) when the owner's close has started; a post failing part-way fails the wait.
   */
  const postBatchSync = (
    owner: Owner,
    qp: NdkQp,
    wrs: ReadonlyArray<WorkRequest>,
    resume: (effect: Effect.Effect<ReadonlyArray<Completion>, E>) => void
  ): void => {
    if (owner.closed) return resume(refused)
    const n = wrs.length
    const batch = new Batch(n)
    for (let i = 0; i < n; i++) {
      const wr = wrs[i]!
      const op = new Op(owner, wr.context)
      op.batch = batch
      op.index = i
      const st = postSync(qp, op, wr)
      if (st !== S.STATUS_SUCCESS) {
        abandonBatch(batch, n - i)
        return resume(Effect.fail(toError(st)))
      }
      owner.add(op)
    }
    if (batch.remaining === 0) resume(Effect.succeed(batch.results))
    else batch.resume = resume
  }

  /** A batch whose post failed part-way: the operations never posted count as done (no completion will come). */
  const abandonBatch = (batch: Batch, notPosted: number) => {
    batch.remaining -= notPosted
    batch.resume = undefined
  }

  // ---- PD -------------------------------------------------------------------------------------------------

  const createPd = (adapter: NdkAdapter): Effect.Effect<ProtectionDomain, E, Scope.Scope> =>
    Effect.map(
      Effect.acquireRelease(
        create<NdkPd>(stats, T.NdkObjectTypePd, (cc, ctx, out) => adapter.Dispatch.NdkCreatePd(adapter, cc, ctx, out)),
        (pd) => closeOnce(pd, T.NdkObjectTypePd, (cc, ctx) => pd.Dispatch.NdkClosePd(pd, cc, ctx))
      ),
      (raw): ProtectionDomain => ({
        raw,
        registerMemory: (size, flags) => Effect.flatMap(allocate(size), (b) => registerOver(raw, b, flags)),
        registerBuffer: (buffer, flags) => registerOver(raw, buffer, flags),
        registerBytes: (bytes, flags, o) =>
          Effect.flatMap(ownBuffer(bytes, o?.address), (b) => registerOver(raw, b, flags)),
        createMw: createMw(raw),
        createSrq: (o) => createSrq(raw, o),
        privilegedToken: Memory.privilegedToken(raw),
        createFastRegisterMr: (o) => Memory.createFastRegisterMr(kit, raw, o),
        createQp: (o) => createQp(raw, o),
        close: closeOnce(raw, T.NdkObjectTypePd, (cc, ctx) => raw.Dispatch.NdkClosePd(raw, cc, ctx))
      })
    )

  // ---- connections ----------------------------------------------------------------------------------------

  /** The release of a connection: its connector's close (see {@link Query.closeConnector}). */
  const closeConnector = (c: NdkConnector) => Query.closeConnector(kit, c)

  /**
   * Close of a listener (scope release or early close, once): the close request stops connect events at once
   * (R130); then the connectors delivered and not taken — the consumer's — are closed, before waiting for the
   * listener's close completion, which waits for them (R131).
   */
  const closeListener = (l: NdkListener, queue: Inbox<NdkConnector>) =>
    closeOnce(l, T.NdkObjectTypeListener, (cc, ctx) =>
      Effect.tap(
        l.Dispatch.NdkCloseListener(l, cc, ctx),
        Effect.suspend(() => {
          const left = queue.takeAll()
          queue.shutdown()
          return Effect.forEach(left, (c) => closeConnector(c), { discard: true })
        })
      ))

  const listen = (adapter: NdkAdapter, address: SockAddr): Effect.Effect<Listener, E, Scope.Scope> =>
    Effect.gen(function*() {
      const queue = new Inbox<NdkConnector>()
      const raw = yield* Effect.acquireRelease(
        create<NdkListener>(stats, T.NdkObjectTypeListener, (cc, ctx, out) =>
          adapter.Dispatch.NdkCreateListener(
            adapter,
            (q, connector) =>
              Effect.sync(() => {
                countCreated(stats, T.NdkObjectTypeConnector)
                ;(q as Inbox<NdkConnector>).offer(connector)
              }),
            queue,
            cc,
            ctx,
            out
          )),
        (l) => closeListener(l, queue)
      )
      yield* request((rc, ctx) => raw.Dispatch.NdkListen(raw, address, byteLength(address), rc, ctx))
      const incoming: Effect.Effect<ConnectionRequest, E, Scope.Scope> = Effect.gen(function*() {
        const connector = yield* acquireRelease(queue.take, closeConnector)
        const data = yield* Query.connectionData(connector)
        return Conn.connectionRequest(kit, connector, data)
      })
      return Conn.listener({
        raw,
        incoming,
        close: closeListener(raw, queue)
      })
    })

  // ---- adapter --------------------------------------------------------------------------------------------

  const openAdapter = (
    options: { readonly version?: NdkVersion.NdkVersion } = {}
  ): Effect.Effect<Adapter, E, Scope.Scope> =>
    Effect.gen(function*() {
      const version = options.version ?? NdkVersion.V2_1
      const raw = yield* Effect.acquireRelease(
        Effect.suspend(() => {
          const out = OutParam.out<NdkAdapter>()
          return Effect.flatMap(
            provider.OpenNdkAdapter(
              provider.MiniportAdapterContext,
              { Version: version, SwitchId: 0, VPortId: 0 },
              out
            ),
            (st): Effect.Effect<NdkAdapter, E> => {
              if (st !== S.STATUS_SUCCESS || out.value === undefined) {
                return Effect.fail(toError(st === S.STATUS_SUCCESS ? S.STATUS_UNSUCCESSFUL : st))
              }
              countCreated(stats, T.NdkObjectTypeAdapter)
              return Effect.succeed(out.value)
            }
          )
        }),
        (a) =>
          Effect.map(provider.CloseNdkAdapter(provider.MiniportAdapterContext, a), () => {
            stats.closed["Adapter"] = (stats.closed["Adapter"] ?? 0) + 1
          })
      )
      const infoOut = OutParam.out<NdkAdapterInfo>()
      const size = OutParam.inOut(AdapterInfo.SIZE)
      const st = yield* raw.Dispatch.NdkQueryAdapterInfo(raw, infoOut, size)
      if (st !== S.STATUS_SUCCESS || infoOut.value === undefined) return yield* Effect.fail(toError(st))
      const info = infoOut.value
      const adapter: Adapter = {
        raw,
        info,
        version: info.Version,
        allocate,
        createPd: createPd(raw),
        createCq: (depth, o) =>
          o?.extended === true && !NdkVersion.isAtLeast(info.Version, NdkVersion.V1_2)
            ? Effect.fail(new NdkErrors.NotSupported({ status: S.STATUS_NOT_SUPPORTED }))
            : createCq(raw, depth, o?.affinity ?? null, o?.extended === true),
        listen: (address) => listen(raw, address),
        connect: (qp, source, destination, o) =>
          Conn.connect(kit, raw, (c) => c.connect(qp, source, destination, o), false),
        queryExtension: (id, version) => Query.queryExtension(raw, id, version),
        queryInfo: Effect.suspend(() => {
          const out = OutParam.out<NdkAdapterInfo>()
          return Effect.flatMap(raw.Dispatch.NdkQueryAdapterInfo(raw, out, OutParam.inOut(AdapterInfo.SIZE)), (st) =>
            st === S.STATUS_SUCCESS && out.value !== undefined ? Effect.succeed(out.value) : Effect.fail(toError(st)))
        }),
        createConnector: Conn.createConnector(kit, raw),
        createSharedEndpoint: (address) =>
          Conn.createSharedEndpoint(kit, raw, address),
        buildLam: (buffer) =>
          Memory.buildLam(raw, buffer)
      }
      return adapter
    })

  return {
    memory,
    openAdapter,
    stats: Effect.sync(() => snapshot(stats)),
    unsafeStats: () => stats
  }
}
