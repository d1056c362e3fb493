/**
 * Memory beyond `pd.registerMemory`: logical address mappings (`NdkBuildLAM` / `NdkReleaseLAM`) with the PD's
 * privileged token, and fast-register memory regions (`NdkCreateMr(FastRegister)` + `NdkInitializeFastRegisterMr`,
 * registered and invalidated by work requests on a QP).
 */
import { PAGE_SIZE } from "@effect-ndk/ndkpi/Constants"
import * as LogicalAddressMapping from "@effect-ndk/ndkpi/LogicalAddressMapping"
import type { NdkLogicalAddressMapping } from "@effect-ndk/ndkpi/LogicalAddressMapping"
import type * as NdkError from "@effect-ndk/ndkpi/NdkError"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkAdapter, NdkMr, NdkPd } from "@effect-ndk/ndkpi/RawInterface"
import type { NdkSge } from "@effect-ndk/ndkpi/Sge"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { create, request, toError } from "./core.js"
import type { Kit } from "./kit.js"
import type { Buffer } from "./ndk.js"

const T = NdkObjectType
type E = NdkError.NdkError

/**
 * A logical address mapping of a host buffer (SPEC §11.6): the adapter pages that hold it. Released with its scope
 * (`NdkReleaseLAM`); the caller releases it only after every work request using its addresses has completed.
 */
export interface LogicalMapping {
  readonly raw: NdkLogicalAddressMapping
  readonly buffer: Buffer
  /** first-byte offset of the buffer inside the first adapter page */
  readonly fbo: number
  /** the PAGE_SIZE-aligned logical page addresses */
  readonly pages: ReadonlyArray<bigint>
  /** the logical address of byte `offset` of the buffer */
  readonly address: (offset: number) => bigint
  /**
   * SGEs over `[offset, offset + length)` of the buffer through logical addresses with `token` (the PD's privileged
   * token): one SGE per run of logically contiguous pages.
   */
  readonly sgl: (token: number, offset?: number, length?: number) => ReadonlyArray<NdkSge>
}

/** A fast-register memory region: registered over a mapping by `qp.fastRegister`, invalidated by `qp.invalidate`. */
export interface FastMemoryRegion {
  readonly raw: NdkMr
  /** the largest page count a fast-register on this region may use */
  readonly pageCount: number
  /** valid once initialized (SPEC §6.5) */
  readonly localToken: number
  /** the token to hand to the peer: read it after a successful `qp.fastRegister` (SPEC §11.2) */
  readonly remoteToken: Effect.Effect<number>
  readonly close: Effect.Effect<void>
}

/** `adapter.buildLam(buffer)`: `NdkBuildLAM` (may pend), released with the scope. */
export const buildLam = (adapter: NdkAdapter, buffer: Buffer): Effect.Effect<LogicalMapping, E, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const pagesNeeded = Math.ceil((Number(buffer.address % BigInt(PAGE_SIZE)) + buffer.length) / PAGE_SIZE)
      const out = OutParam.out<NdkLogicalAddressMapping>()
      const size = OutParam.inOut(LogicalAddressMapping.byteSize(pagesNeeded))
      const fbo = OutParam.out<number>()
      yield* request((rc, ctx) =>
        adapter.Dispatch.NdkBuildLAM(adapter, buffer.mdl, BigInt(buffer.length), rc, ctx, out, size, fbo)
      )
      if (out.value === undefined) return yield* Effect.fail(toError(NtStatus.STATUS_UNSUCCESSFUL))
      return mapping(out.value, buffer, fbo.value ?? 0)
    }),
    (lam) => adapter.Dispatch.NdkReleaseLAM(adapter, lam.raw)
  )

const mapping = (raw: NdkLogicalAddressMapping, buffer: Buffer, fbo: number): LogicalMapping => {
  const pages = raw.AdapterPageArray
  const page = BigInt(PAGE_SIZE)
  const address = (offset: number): bigint => {
    const at = fbo + offset
    return pages[Math.floor(at / PAGE_SIZE)]! + BigInt(at % PAGE_SIZE)
  }
  return {
    raw,
    buffer,
    fbo,
    pages,
    address,
    sgl: (token, offset = 0, length = buffer.length - offset) => {
      const out: Array<NdkSge> = []
      let at = offset
      const end = offset + length
      while (at < end) {
        // extend the run while the next page follows this one logically
        let runEnd = Math.min(end, (Math.floor((fbo + at) / PAGE_SIZE) + 1) * PAGE_SIZE - fbo)
        while (runEnd < end) {
          const prev = pages[Math.floor((fbo + runEnd - 1) / PAGE_SIZE)]!
          const next = pages[Math.floor((fbo + runEnd) / PAGE_SIZE)]!
          if (next !== prev + page) break
          runEnd = Math.min(end, runEnd + PAGE_SIZE)
        }
        out.push({ VirtualAddress: address(at), Length: runEnd - at, MemoryRegionToken: token })
        at = runEnd
      }
      return out
    }
  }
}

/** `pd.privilegedToken`: `NdkGetPrivilegedMemoryRegionToken` (local read/write through logical addresses only). */
export const privilegedToken = (pd: NdkPd): Effect.Effect<number> =>
  Effect.suspend(() => {
    const out = OutParam.out<number>()
    return Effect.map(pd.Dispatch.NdkGetPrivilegedMemoryRegionToken(pd, out), () => out.value ?? 0)
  })

/** `pd.createFastRegisterMr`: an FR-MR created and initialized for `pageCount` pages. */
export const createFastRegisterMr = (
  kit: Kit,
  pd: NdkPd,
  options: { readonly pageCount: number; readonly remoteAccess?: boolean }
): Effect.Effect<FastMemoryRegion, E, Scope.Scope> =>
  Effect.gen(function*() {
    const close = (mr: NdkMr) => kit.closeOnce(mr, T.NdkObjectTypeMr, (cc, ctx) => mr.Dispatch.NdkCloseMr(mr, cc, ctx))
    const raw = yield* Effect.acquireRelease(
      create<NdkMr>(kit.stats, T.NdkObjectTypeMr, (cc, ctx, out) => pd.Dispatch.NdkCreateMr(pd, true, cc, ctx, out)),
      close
    )
    yield* request((rc, ctx) =>
      raw.Dispatch.NdkInitializeFastRegisterMr(raw, options.pageCount, options.remoteAccess ?? false, rc, ctx)
    )
    const localToken = yield* raw.Dispatch.NdkGetLocalTokenFromMr(raw)
    return {
      raw,
      pageCount: options.pageCount,
      localToken,
      remoteToken: raw.Dispatch.NdkGetRemoteTokenFromMr(raw),
      close: close(raw)
    } satisfies FastMemoryRegion
  })
