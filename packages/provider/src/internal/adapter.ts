/**
 * The adapter host (SPEC.md §6.2, §8.6): OpenNdkAdapter with version negotiation, CloseNdkAdapter blocking
 * through the kernel, NdkQueryAdapterInfo from the NIC's limits, NdkQueryExtension, NdkBuildLAM /
 * NdkReleaseLAM, and the adapter's create slots.
 */
import { Lifetime } from "@effect-ndk/lifetime"
import { NdkAdapterFlag } from "@effect-ndk/ndkpi/AdapterFlag"
import type { NdkAdapterInfo } from "@effect-ndk/ndkpi/AdapterInfo"
import * as AdapterInfo from "@effect-ndk/ndkpi/AdapterInfo"
import { PAGE_SIZE } from "@effect-ndk/ndkpi/Constants"
import type { NdkExtensionInterface } from "@effect-ndk/ndkpi/ExtensionInterface"
import * as LogicalAddressMapping from "@effect-ndk/ndkpi/LogicalAddressMapping"
import type { Mdl } from "@effect-ndk/ndkpi/Mdl"
import * as MdlOps from "@effect-ndk/ndkpi/Mdl"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import type { NdisOpenNdkAdapterParameters } from "@effect-ndk/ndkpi/ProviderHost"
import type { NdkAdapter, NdkAdapterDispatch, NdkObject } from "@effect-ndk/ndkpi/RawInterface"
import { NdkRdmaTechnology } from "@effect-ndk/ndkpi/RdmaTechnology"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { createCq } from "./cq.js"
import type { AdapterBase, ObjectImpl, PendingOp, ProviderCore } from "./object.js"
import {
  insideCallback,
  isMdl,
  lookup,
  lookupAny,
  makeObject,
  queryExtension,
  register,
  request,
  size,
  ulong,
  validate
} from "./object.js"
import { createPd } from "./pd.js"
import type { ConnectionObjects } from "./seam.js"
import { fromNicError } from "./status.js"

const S = NtStatus

/** Provider-level settings an adapter instance reads. */
export interface AdapterSettings {
  readonly maxCallerData: number
  readonly maxCalleeData: number
  readonly interruptModeration: boolean
  readonly rdmaTechnology: number
  /** extension interfaces by GUID (none by default: every query is STATUS_NOT_SUPPORTED) */
  readonly extensions: ReadonlyMap<string, NdkExtensionInterface>
  readonly connections: { current: ConnectionObjects<AdapterImpl> | undefined }
}

/** One open adapter instance: its own kernel, negotiated version, info and graveyard of NIC resources. */
export class AdapterImpl implements ObjectImpl, AdapterBase {
  readonly type = NdkObjectType.NdkObjectTypeAdapter
  readonly ops = new Set<PendingOp>()
  readonly adapter: AdapterBase = this
  readonly lams = new Map<object, ReadonlyArray<number>>()
  /** QPContext of every QP by NIC QP number (completions carry only the number) */
  readonly qpContexts = new Map<number, { readonly context: unknown }>()
  readonly info: NdkAdapterInfo
  readonly extensions: ReadonlyMap<string, NdkExtensionInterface>
  object!: NdkAdapter
  private readonly graveyard: Array<Effect.Effect<boolean>> = []
  constructor(
    readonly core: ProviderCore,
    readonly kernel: Lifetime.Kernel,
    readonly rec: Lifetime.LifetimeObject,
    readonly version: NdkVersion.NdkVersion,
    readonly settings: AdapterSettings
  ) {
    this.info = adapterInfo(core, version, settings)
    this.extensions = settings.extensions
  }
  /** Queues the destruction of a closed object's NIC resources and runs every queued one that is no longer busy. */
  readonly reap = (destroy: Effect.Effect<boolean>): Effect.Effect<void> =>
    Effect.suspend(() => {
      this.graveyard.push(destroy)
      return this.drain
    })
  private readonly drain: Effect.Effect<void> = Effect.gen(this, function*() {
    let progress = true
    while (progress) {
      progress = false
      for (const d of this.graveyard.slice()) {
        if (yield* d) {
          const i = this.graveyard.indexOf(d)
          if (i >= 0) this.graveyard.splice(i, 1)
          progress = true
        }
      }
    }
  })
}

const flag = (on: boolean, bit: number): number => on ? bit : 0

/** `NDK_ADAPTER_INFO` from the NIC's limits. */
export const adapterInfo = (
  core: ProviderCore,
  version: NdkVersion.NdkVersion,
  settings: AdapterSettings
): NdkAdapterInfo => {
  const n = core.nic.info
  return {
    Version: { Major: version.Major, Minor: version.Minor },
    VendorId: n.vendorId,
    DeviceId: n.deviceId,
    MaxRegistrationSize: BigInt(n.maxRegistration),
    MaxWindowSize: BigInt(n.maxWindow),
    FRMRPageCount: n.frmrPageCount,
    MaxInitiatorRequestSge: n.maxSendSge,
    MaxReceiveRequestSge: n.maxRecvSge,
    MaxReadRequestSge: n.maxReadSge,
    MaxTransferLength: n.maxTransfer,
    MaxInlineDataSize: n.maxInline,
    MaxInboundReadLimit: n.maxIrd,
    MaxOutboundReadLimit: n.maxOrd,
    MaxReceiveQueueDepth: n.maxRqDepth,
    MaxInitiatorQueueDepth: n.maxSqDepth,
    MaxSrqDepth: n.maxSrqDepth,
    MaxCqDepth: n.maxCqDepth,
    LargeRequestThreshold: n.largeRequestThreshold,
    MaxCallerData: settings.maxCallerData,
    MaxCalleeData: settings.maxCalleeData,
    AdapterFlags: flag(n.readSinkNotRequired, NdkAdapterFlag.NDK_ADAPTER_FLAG_RDMA_READ_SINK_NOT_REQUIRED) |
      flag(settings.interruptModeration, NdkAdapterFlag.NDK_ADAPTER_FLAG_CQ_INTERRUPT_MODERATION_SUPPORTED) |
      flag(
        n.readLocalInvalidate && NdkVersion.isAtLeast(version, NdkVersion.V1_2),
        NdkAdapterFlag.NDK_ADAPTER_FLAG_RDMA_READ_LOCAL_INVALIDATE_SUPPORTED
      ) |
      flag(n.cqResize, NdkAdapterFlag.NDK_ADAPTER_FLAG_CQ_RESIZE_SUPPORTED) |
      flag(n.loopback, NdkAdapterFlag.NDK_ADAPTER_FLAG_LOOPBACK_CONNECTIONS_SUPPORTED),
    RdmaTechnology: settings.rdmaTechnology === NdkRdmaTechnology.NdkiWarp
      ? NdkRdmaTechnology.NdkiWarp
      : settings.rdmaTechnology === NdkRdmaTechnology.NdkRoCE
      ? NdkRdmaTechnology.NdkRoCE
      : settings.rdmaTechnology === NdkRdmaTechnology.NdkRoCEv2
      ? NdkRdmaTechnology.NdkRoCEv2
      : NdkRdmaTechnology.NdkInfiniBand
  }
}

const A = NdkObjectType.NdkObjectTypeAdapter

const asAdapter = (p: unknown): AdapterImpl | number => validate<AdapterImpl>(p, A)

const mdlVa = (mdl: Mdl): number => Number(mdl.virtualAddress)

/** The adapter dispatch table (the same for every version: the adapter table gained nothing after 1.1). */
export const adapterDispatch: NdkAdapterDispatch = {
  NdkQueryExtension: queryExtension,
  NdkQueryAdapterInfo: (pNdkAdapter, pInfo, pBufferSize) =>
    Effect.flatMap(FiberRef.get(insideCallback), (inside) =>
      Effect.sync(() => {
        const a = asAdapter(pNdkAdapter)
        if (typeof a === "number") return a
        // PASSIVE only: a call from callback context is a consumer violation (R47); answered all the same
        if (inside) a.core.onViolation({ rule: "R47", function: "NdkQueryAdapterInfo" })
        if (typeof pBufferSize !== "object" || pBufferSize === null) return S.STATUS_INVALID_PARAMETER
        const size = pBufferSize.value
        if (!(typeof size === "number" && size >= AdapterInfo.SIZE) || pInfo === null || typeof pInfo !== "object") {
          pBufferSize.value = AdapterInfo.SIZE
          return S.STATUS_BUFFER_TOO_SMALL
        }
        pInfo.value = { ...a.info, Version: { ...a.info.Version } }
        pBufferSize.value = AdapterInfo.SIZE
        return S.STATUS_SUCCESS
      })),
  NdkCreateCq: (pNdkAdapter, ...rest) =>
    Effect.suspend(() => {
      const a = asAdapter(pNdkAdapter)
      return typeof a === "number" ? Effect.succeed(a) : createCq(a, ...rest)
    }),
  NdkCreatePd: (pNdkAdapter, ...rest) =>
    Effect.suspend(() => {
      const a = asAdapter(pNdkAdapter)
      return typeof a === "number" ? Effect.succeed(a) : createPd(a, ...rest)
    }),
  NdkCreateSharedEndpoint: (pNdkAdapter, ...rest) =>
    Effect.suspend(() => {
      const a = asAdapter(pNdkAdapter)
      if (typeof a === "number") return Effect.succeed(a)
      const c = a.settings.connections.current
      return c === undefined ? Effect.succeed(S.STATUS_NOT_SUPPORTED) : c.createSharedEndpoint(a, ...rest)
    }),
  NdkCreateConnector: (pNdkAdapter, ...rest) =>
    Effect.suspend(() => {
      const a = asAdapter(pNdkAdapter)
      if (typeof a === "number") return Effect.succeed(a)
      const c = a.settings.connections.current
      return c === undefined ? Effect.succeed(S.STATUS_NOT_SUPPORTED) : c.createConnector(a, ...rest)
    }),
  NdkCreateListener: (pNdkAdapter, ...rest) =>
    Effect.suspend(() => {
      const a = asAdapter(pNdkAdapter)
      if (typeof a === "number") return Effect.succeed(a)
      const c = a.settings.connections.current
      return c === undefined ? Effect.succeed(S.STATUS_NOT_SUPPORTED) : c.createListener(a, ...rest)
    }),
  NdkBuildLAM: (pNdkAdapter, mdl, length, completion, context, pNdkLAM, pLAMSize, pFBO) =>
    Effect.suspend(() => {
      const a = asAdapter(pNdkAdapter)
      if (typeof a === "number") return Effect.succeed(a)
      if (!isMdl(mdl)) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      if (typeof pLAMSize !== "object" || pLAMSize === null) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      if (typeof pFBO !== "object" || pFBO === null) return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      const len = size(length)
      if (len === undefined || len <= 0n || !MdlOps.isContiguousFor(mdl, len)) {
        return Effect.succeed(S.STATUS_INVALID_PARAMETER)
      }
      const fbo = Number(mdl.virtualAddress % BigInt(PAGE_SIZE))
      const pages = Math.ceil((fbo + Number(len)) / PAGE_SIZE)
      const required = LogicalAddressMapping.byteSize(pages)
      if (pNdkLAM === null || typeof pNdkLAM !== "object" || !(ulong(pLAMSize.value) >= required)) {
        pLAMSize.value = required
        return Effect.succeed(S.STATUS_BUFFER_TOO_SMALL)
      }
      const work = Effect.match(a.core.nic.mapLogical(mdlVa(mdl), Number(len)), {
        onFailure: fromNicError,
        onSuccess: (m) => {
          const lam = {
            AdapterContext: a,
            AdapterPageCount: m.pages.length,
            AdapterPageArray: m.pages.map((p) => BigInt(p))
          }
          a.lams.set(lam, m.pages)
          pNdkLAM.value = lam
          pLAMSize.value = LogicalAddressMapping.byteSize(m.pages.length)
          pFBO.value = m.fbo
          return S.STATUS_SUCCESS
        }
      })
      return request(a, completion, context, work)
    }),
  NdkReleaseLAM: (pNdkAdapter, pNdkLAM) =>
    Effect.suspend(() => {
      const a = lookup<AdapterImpl>(pNdkAdapter, A)
      if (a === undefined || typeof pNdkLAM !== "object" || pNdkLAM === null) return Effect.void
      const pages = a.lams.get(pNdkLAM)
      if (pages === undefined) return Effect.void
      a.lams.delete(pNdkLAM)
      return a.core.nic.unmapLogical(pages)
    })
}

/** The versions a provider whose highest version is `highest` implements (highest minor of each major). */
export const supportedVersions = (highest: NdkVersion.NdkVersion): ReadonlyArray<NdkVersion.NdkVersion> =>
  NdkVersion.equals(highest, NdkVersion.V2_1) ? [NdkVersion.V1_2, NdkVersion.V2_1] : [highest]

/**
 * `OPEN_NDK_ADAPTER_HANDLER`: negotiates the version (R33–R35), refuses while NDK is disabled (R36), and opens an
 * independent adapter instance with its own kernel (R37).
 */
export const openAdapter = (
  core: ProviderCore,
  settings: AdapterSettings,
  parameters: NdisOpenNdkAdapterParameters,
  out: { value?: NdkAdapter }
): Effect.Effect<number> =>
  Effect.sync(() => {
    if (typeof parameters !== "object" || parameters === null || typeof parameters.Version !== "object") {
      return S.STATUS_INVALID_PARAMETER
    }
    if (typeof out !== "object" || out === null) return S.STATUS_INVALID_PARAMETER
    const n = NdkVersion.negotiate(parameters.Version, supportedVersions(core.highest))
    if (n._tag === "BadVersion") return S.NDIS_STATUS_BAD_VERSION
    if (!core.enabled.current) return S.NDIS_STATUS_ADAPTER_NOT_READY
    if (core.nic.stats().removed) return S.STATUS_INSUFFICIENT_RESOURCES
    const kernel = Lifetime.unsafeMake({
      ...(core.sink !== undefined ? { sink: core.sink } : {}),
      ...(core.watchdog !== undefined ? { watchdog: core.watchdog } : {})
    })
    const rec = Lifetime.unsafeCreate(kernel, A)
    if (rec === undefined) return S.STATUS_INSUFFICIENT_RESOURCES
    const impl = new AdapterImpl(core, kernel, rec, n.version, settings)
    const object = makeObject(A, n.version, adapterDispatch)
    impl.object = object
    register(object, impl)
    core.adapters.add(impl)
    out.value = object
    return S.STATUS_SUCCESS
  })

/**
 * `CLOSE_NDK_ADAPTER_HANDLER`: blocks until every descendant is closed and every callback returned (R38, R40).
 * Pending creates on the adapter are cancelled first.
 */
export const closeAdapter = (pNdkAdapter: NdkAdapter): Effect.Effect<void> =>
  Effect.flatMap(FiberRef.get(insideCallback), (inside) => {
    const a = lookup<AdapterImpl>(pNdkAdapter, A)
    if (a === undefined) return Effect.void
    const cancel = Effect.sync(() => {
      for (const op of a.ops) op.cancelled = true
    })
    if (inside) {
      // never from a callback (R39): it would wait for itself. Reported; the close starts but is not awaited.
      a.core.onViolation({ rule: "R39", function: "CloseNdkAdapter" })
      return Effect.asVoid(Lifetime.close(a.kernel, a.rec, { cancel }))
    }
    return Effect.zipRight(
      Lifetime.closeAndWait(a.kernel, a.rec, cancel),
      Effect.suspend(() => {
        const all: Array<Effect.Effect<void>> = []
        for (const pages of a.lams.values()) all.push(a.core.nic.unmapLogical(pages))
        a.lams.clear()
        const core = a.core
        if (core.adapters.delete(a) && core.adapters.size === 0) {
          for (const w of core.whenNoAdapters.splice(0)) w()
        }
        return Effect.all(all, { discard: true })
      })
    )
  })

/** The adapter instance an object belongs to. */
export const adapterOf = (object: NdkObject): AdapterImpl | undefined => lookupAny(object)?.adapter as AdapterImpl
