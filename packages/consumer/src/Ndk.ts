/**
 * The Effect face of NDKPI over any provider (ndkpi's `NdkProvider`): the `Ndk` service.
 *
 * - every object is a scoped resource: leaving the scope closes it (children before parents, by scope order) and
 *   waits for its close completion; `close` closes it early (once; the scope's release then waits for that close);
 * - pending calls (create, register, connect, accept, listen, disconnect) are Effects that resume when the
 *   provider's callback fires; failures are ndkpi's typed errors;
 * - work requests are Effects that resolve with their completion: the post and the wait are one `Effect.async`,
 *   resumed by the CQ's dispatcher (one per CQ, running inside the CQ's notification callback) — no fiber, Queue
 *   or Deferred per operation. `batch` posts many and resumes once. Completions nobody waits for (`submit`)
 *   arrive on the CQ's `results` Stream;
 * - interrupting a fiber that waits for an operation leaves the work request posted and tracked; its completion
 *   is dropped (counted as `abandoned`) when it arrives, so the QP is never corrupted and nothing leaks;
 * - everything else the raw interface offers has its place too: standalone connectors (connect, read the reply,
 *   complete or reject; the 2.1 `Ex` forms), shared endpoints, listener and connector addresses, pausing connect
 *   events, CQ resize and interrupt moderation, SRQ modify and limit notifications (Effect and Stream), logical
 *   address mappings with the privileged token, fast-register MRs, send-and-invalidate, extension interfaces
 *   (the package README has the raw function → consumer API table).
 *
 * @since 0.1.0
 */
import type { Guid, NdkExtensionInterface } from "@effect-ndk/ndkpi/ExtensionInterface"
import type { NdkError } from "@effect-ndk/ndkpi/NdkError"
import type { NdkVersion } from "@effect-ndk/ndkpi/NdkVersion"
import { NdkProvider } from "@effect-ndk/ndkpi/ProviderHost"
import type { NdkProviderHost } from "@effect-ndk/ndkpi/ProviderHost"
import type { NdkObject } from "@effect-ndk/ndkpi/RawInterface"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type { HostMemory } from "./HostMemory.js"
import { HostMemoryTag } from "./HostMemory.js"
import * as kit from "./internal/kit.js"
import * as internal from "./internal/ndk.js"

/**
 * A buffer in host memory.
 *
 * @since 0.1.0
 * @category models
 */
export type Buffer = internal.Buffer

/**
 * A buffer over the caller's own bytes (outside host memory) at the virtual address `address`: its MDL carries
 * the bytes, so `registerBuffer` registers them through the provider's caller-buffer path. `registerBytes` on a
 * protection domain does this in one step.
 *
 * @since 0.1.0
 * @category constructors
 */
export const callerBuffer: (bytes: Uint8Array, address: bigint) => Buffer = internal.callerBuffer

/**
 * What an operation resolves with: final status, bytes received, the caller's context.
 *
 * @since 0.1.0
 * @category models
 */
export type Completion = internal.Completion

/**
 * A completion with the `NDK_RESULT_EX` [1.2] fields — operation `type`, [2.1] `providerErrorCode`,
 * `typeSpecificOutput` — on the `resultsEx` stream of a CQ created with `extended: true`.
 *
 * @since 0.1.0
 * @category models
 */
export type CompletionEx = internal.CompletionEx

/**
 * Lifetime and traffic counters.
 *
 * @since 0.1.0
 * @category models
 */
export type Stats = internal.Stats

/**
 * @since 0.1.0
 * @category models
 */
export type Adapter = internal.Adapter

/**
 * @since 0.1.0
 * @category models
 */
export type ProtectionDomain = internal.ProtectionDomain

/**
 * @since 0.1.0
 * @category models
 */
export type CompletionQueue = internal.CompletionQueue

/**
 * @since 0.1.0
 * @category models
 */
export type MemoryRegion = internal.MemoryRegion

/**
 * @since 0.1.0
 * @category models
 */
export type MemoryWindow = internal.MemoryWindow

/**
 * @since 0.1.0
 * @category models
 */
export type SharedReceiveQueue = internal.SharedReceiveQueue

/**
 * @since 0.1.0
 * @category models
 */
export type QueuePair = internal.QueuePair

/**
 * @since 0.1.0
 * @category models
 */
export type QpOptions = internal.QpOptions

/**
 * @since 0.1.0
 * @category models
 */
export type WorkRequest = internal.WorkRequest

/**
 * @since 0.1.0
 * @category models
 */
export type Posted = internal.Posted

/**
 * @since 0.1.0
 * @category models
 */
export type Listener = internal.Listener

/**
 * @since 0.1.0
 * @category models
 */
export type ConnectionRequest = internal.ConnectionRequest

/**
 * @since 0.1.0
 * @category models
 */
export type Connection = internal.Connection

/**
 * @since 0.1.0
 * @category models
 */
export type ConnectOptions = internal.ConnectOptions

/**
 * A connector created by the consumer: the active side step by step (`connect` → `connectionData` →
 * `completeConnect(Ex)` or `reject`), with its addresses.
 *
 * @since 0.1.0
 * @category models
 */
export type Connector = internal.Connector

/**
 * A shared endpoint: one local address for many outgoing connections to different destinations.
 *
 * @since 0.1.0
 * @category models
 */
export type SharedEndpoint = internal.SharedEndpoint

/**
 * Effective read limits and the peer's private data of a connection.
 *
 * @since 0.1.0
 * @category models
 */
export type ConnectionData = internal.ConnectionData

/**
 * A logical address mapping of a host buffer (`adapter.buildLam`).
 *
 * @since 0.1.0
 * @category models
 */
export type LogicalMapping = internal.LogicalMapping

/**
 * A fast-register memory region (`pd.createFastRegisterMr`, `qp.fastRegister`, `qp.invalidate`).
 *
 * @since 0.1.0
 * @category models
 */
export type FastMemoryRegion = internal.FastMemoryRegion

/**
 * The service: open adapters over one provider, allocate from one host memory, read the counters.
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkService extends internal.NdkService {}

/**
 * @since 0.1.0
 * @category tags
 */
export class Ndk extends Context.Tag("@effect-ndk/consumer/Ndk")<Ndk, NdkService>() {}

/**
 * Builds the service over a provider and a host memory.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (provider: NdkProviderHost, memory: HostMemory) => NdkService = internal.make

/**
 * The service over the provider and host memory in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Ndk, never, NdkProvider | HostMemoryTag> = Layer.effect(
  Ndk,
  Effect.map(Effect.all([NdkProvider, HostMemoryTag]), ([p, m]) => make(p, m))
)

/**
 * The open adapter of a program: one per layer build, closed when the layer is released.
 *
 * @since 0.1.0
 * @category tags
 */
export class NdkAdapter extends Context.Tag("@effect-ndk/consumer/NdkAdapter")<NdkAdapter, Adapter>() {}

/**
 * Opens an adapter of the `Ndk` in context for as long as the layer lives.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerAdapter: Layer.Layer<NdkAdapter, NdkError, Ndk> = Layer.scoped(
  NdkAdapter,
  Effect.flatMap(Ndk, (ndk) => ndk.openAdapter())
)

/**
 * Opens an adapter with the `Ndk` in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const openAdapter: Effect.Effect<Adapter, NdkError, Ndk | Scope.Scope> = Effect.flatMap(
  Ndk,
  (ndk) => ndk.openAdapter()
)

/**
 * `NdkQueryExtensionInterface` on any object (every handle has its `raw` object): the extension's dispatch table,
 * or a typed error (`NotSupported` when the provider does not know the interface or version).
 *
 * @since 0.1.0
 * @category accessors
 */
export const queryExtension: (
  handle: { readonly raw: NdkObject },
  id: Guid,
  version: NdkVersion
) => Effect.Effect<NdkExtensionInterface, NdkError> = (handle, id, version) =>
  kit.queryExtension(handle.raw, id, version)
