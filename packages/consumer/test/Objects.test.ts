import { MAXULONG, PAGE_SIZE } from "@effect-ndk/ndkpi/Constants"
import { NdkMrFlag } from "@effect-ndk/ndkpi/MrFlag"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Scope, Stream } from "effect"
import * as Ndk from "../src/Ndk.js"
import { drive, hosts, yields } from "./utils/hosts.js"

const RW = NdkMrFlag.NDK_MR_FLAG_ALLOW_LOCAL_WRITE | NdkMrFlag.NDK_MR_FLAG_ALLOW_REMOTE_READ
const GUID = "6b1f3c7e-0d2a-4c59-9a8e-1f2b3c4d5e6f"
const OTHER = "00000000-0000-0000-0000-000000000001"
const extension = { Dispatch: { hello: "world" } }

/** One host: adapter, PD, one CQ; provider options for every host. */
const single = (options: Parameters<typeof hosts>[1] = {}) =>
  Effect.gen(function*() {
    const [h] = yield* hosts(1, options)
    const adapter = yield* h!.ndk.openAdapter()
    const pd = yield* adapter.createPd
    const cq = yield* adapter.createCq(64)
    return { ndk: h!.ndk, adapter, pd, cq }
  })

describe("Ndk: adapter and object queries", () => {
  it.scoped("queryExtension returns a known extension's dispatch on the adapter and on any object", () =>
    Effect.gen(function*() {
      const { adapter, cq, pd } = yield* single({ extensions: new Map([[GUID, extension]]) })
      const ext = yield* adapter.queryExtension(GUID, NdkVersion.V2_1)
      assert.deepStrictEqual(ext.Dispatch, extension.Dispatch)
      const onCq = yield* Ndk.queryExtension(cq, GUID.toUpperCase(), NdkVersion.V2_1)
      assert.deepStrictEqual(onCq.Dispatch, extension.Dispatch)
      const missing = yield* Effect.flip(Ndk.queryExtension(pd, OTHER, NdkVersion.V2_1))
      assert.strictEqual(missing._tag, "NotSupported")
    }))

  it.scoped("queryExtension without extensions fails with NotSupported (SPEC §6.1)", () =>
    Effect.gen(function*() {
      const { adapter } = yield* single()
      const e = yield* Effect.flip(adapter.queryExtension(GUID, NdkVersion.V2_1))
      assert.strictEqual(e._tag, "NotSupported")
    }))

  it.scoped("queryInfo reads the adapter info again (same limits as at open)", () =>
    Effect.gen(function*() {
      const { adapter } = yield* single()
      const info = yield* adapter.queryInfo
      assert.deepStrictEqual(info, adapter.info)
    }))
})

describe("Ndk: CQ resize and interrupt moderation", () => {
  it.scoped("R67: resize within MaxCqDepth succeeds; beyond it fails with InvalidParameter", () =>
    Effect.gen(function*() {
      const { adapter, cq } = yield* single()
      yield* drive(cq.resize(256))
      const e = yield* drive(Effect.flip(cq.resize(adapter.info.MaxCqDepth + 1)))
      assert.strictEqual(e._tag, "InvalidParameter")
    }))

  it.scoped("moderation settings are accepted; MAXULONG for both is an invalid mix; notifications still run", () =>
    Effect.gen(function*() {
      const { adapter, cq, ndk, pd } = yield* single()
      yield* cq.moderate({ interval: 50, count: 8 })
      const e = yield* Effect.flip(cq.moderate({ interval: MAXULONG, count: MAXULONG }))
      assert.strictEqual(e._tag, "InvalidParameter")
      assert.strictEqual((e as { readonly status: number }).status, NtStatus.STATUS_INVALID_PARAMETER_MIX)
      // a moderated CQ still delivers: a flushed receive resolves through its notification
      const mr = yield* pd.registerMemory(4096, RW)
      const qp = yield* pd.createQp({ receiveCq: cq, initiatorCq: cq })
      const posted = yield* qp.postReceive([mr.sge(0, 64)])
      yield* qp.flush
      const failed = yield* drive(Effect.flip(posted.await))
      assert.strictEqual(failed._tag, "Cancelled")
      assert.strictEqual(ndk.unsafeStats().requestsFlushed, 1)
      assert.isTrue(adapter.info.MaxCqDepth > 0)
    }))

  it.scoped("a CQ and an SRQ created with an affinity hint work like every other", () =>
    Effect.gen(function*() {
      const { adapter, pd } = yield* single()
      const affinity = { Group: 0, Mask: 1n }
      const cq = yield* adapter.createCq(16, { affinity })
      const srq = yield* pd.createSrq({ depth: 4, affinity })
      const mr = yield* pd.registerMemory(4096, RW)
      const qp = yield* pd.createQp({ receiveCq: cq, initiatorCq: cq })
      const posted = yield* qp.postReceive([mr.sge(0, 64)])
      yield* qp.flush
      assert.strictEqual((yield* drive(Effect.flip(posted.await)))._tag, "Cancelled")
      assert.strictEqual(srq.outstanding(), 0)
    }))

  it.scoped("a pre-posted receive can be awaited again after a first waiter took its completion", () =>
    Effect.gen(function*() {
      const { cq, pd } = yield* single()
      const mr = yield* pd.registerMemory(4096, RW)
      const qp = yield* pd.createQp({ receiveCq: cq, initiatorCq: cq })
      const posted = yield* qp.postReceive([mr.sge(0, 64)])
      const first = yield* Effect.fork(Effect.flip(posted.await))
      yield* qp.flush
      assert.strictEqual((yield* drive(Fiber.join(first)))._tag, "Cancelled")
      assert.isTrue(posted.done())
      assert.strictEqual((yield* Effect.flip(posted.await))._tag, "Cancelled")
    }))

  it.scoped("moderation on an adapter without the capability fails with NotSupported", () =>
    Effect.gen(function*() {
      const { cq } = yield* single({ interruptModeration: false })
      const e = yield* Effect.flip(cq.moderate({ interval: 10, count: 4 }))
      assert.strictEqual(e._tag, "NotSupported")
    }))
})

describe("Ndk: SRQ modify and limit notifications", () => {
  it.scoped("R106, R105: a threshold above the queued receives notifies at once; re-armed, the stream sees the next", () =>
    Effect.gen(function*() {
      const { pd } = yield* single()
      const mr = yield* pd.registerMemory(4096, RW)
      const srq = yield* pd.createSrq({ depth: 16 })
      for (let i = 0; i < 4; i++) yield* srq.postReceive([mr.sge(i * 256, 256)])
      yield* drive(srq.modify({ notifyThreshold: 8 }))
      yield* drive(srq.nextNotification)
      // one-shot: re-armed by the next modify with a non-zero threshold, seen on the stream this time
      const taken = yield* Effect.fork(Stream.runCollect(Stream.take(srq.notifications, 1)))
      yield* drive(srq.modify({ notifyThreshold: 6 }))
      const got = yield* drive(Fiber.join(taken))
      assert.strictEqual(Chunk.size(got), 1)
    }))

  it.scoped("R108: a threshold below the queued receives does not notify; depth below them is InvalidParameter", () =>
    Effect.gen(function*() {
      const { pd } = yield* single()
      const mr = yield* pd.registerMemory(4096, RW)
      const srq = yield* pd.createSrq({ depth: 16 })
      for (let i = 0; i < 4; i++) yield* srq.postReceive([mr.sge(i * 256, 256)])
      yield* drive(srq.modify({ notifyThreshold: 2 }))
      const waiting = yield* Effect.fork(srq.nextNotification)
      yield* yields(50)
      assert.strictEqual((yield* Fiber.poll(waiting))._tag, "None")
      yield* Fiber.interrupt(waiting)
      const e = yield* drive(Effect.flip(srq.modify({ depth: 2 })))
      assert.strictEqual(e._tag, "InvalidParameter")
      yield* drive(srq.modify({ depth: 32 }))
    }))

  it.scoped("found by the simulator (§8.7): receives an SRQ close drops fail with Cancelled; nothing stays tracked", () =>
    Effect.gen(function*() {
      const { cq, ndk, pd } = yield* single()
      const mr = yield* pd.registerMemory(4096, RW)
      const scope = yield* Scope.make()
      const srq = yield* Scope.extend(pd.createSrq({ depth: 8 }), scope)
      yield* Scope.extend(pd.createQp({ receiveCq: cq, initiatorCq: cq, srq }), scope)
      const posted = yield* srq.postReceive([mr.sge(0, 256)], "never-consumed")
      const waiting = yield* Effect.fork(srq.receive([mr.sge(256, 256)]))
      yield* yields(10)
      assert.strictEqual(srq.outstanding(), 2)
      // the QP closes first (SRQ → QP edge), then the SRQ: the provider drops both receives without a completion
      yield* drive(Scope.close(scope, Exit.void))
      assert.isTrue(posted.done())
      assert.strictEqual(srq.outstanding(), 0)
      assert.strictEqual((yield* drive(Effect.flip(posted.await)))._tag, "Cancelled")
      assert.strictEqual((yield* drive(Effect.flip(Fiber.join(waiting))))._tag, "Cancelled")
      assert.strictEqual(ndk.unsafeStats().outstanding, 0)
    }))

  it.effect("closing the SRQ ends its notification stream", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { pd } = yield* Scope.extend(single(), scope)
      const srq = yield* Scope.extend(pd.createSrq({ depth: 8 }), scope)
      const all = yield* Effect.fork(Stream.runCollect(srq.notifications))
      yield* drive(Scope.close(scope, Exit.void))
      const exit = yield* drive(Fiber.await(all))
      assert.isTrue(Exit.isSuccess(exit) || Exit.isInterrupted(exit))
    }))
})

describe("Ndk: logical address mappings and fast-register MRs", () => {
  it.scoped("R125, R123: buildLam maps a buffer to PAGE_SIZE-aligned pages; sgl covers it with the privileged token", () =>
    Effect.gen(function*() {
      const { adapter, pd } = yield* single()
      const buffer = yield* adapter.allocate(3 * PAGE_SIZE + 100)
      const lam = yield* drive(adapter.buildLam(buffer))
      assert.strictEqual(lam.fbo, Number(buffer.address % BigInt(PAGE_SIZE)))
      assert.strictEqual(lam.pages.length, Math.ceil((lam.fbo + buffer.length) / PAGE_SIZE))
      for (const p of lam.pages) assert.strictEqual(p % BigInt(PAGE_SIZE), 0n)
      assert.strictEqual(lam.address(0), lam.pages[0]! + BigInt(lam.fbo))
      const token = yield* pd.privilegedToken
      const sgl = lam.sgl(token)
      assert.strictEqual(sgl.reduce((n, s) => n + s.Length, 0), buffer.length)
      assert.isTrue(sgl.every((s) => s.MemoryRegionToken === token))
      assert.strictEqual(sgl[0]!.VirtualAddress, lam.address(0))
    }))

  it.effect("fast-register MR: created and initialized; closed with its scope like every object", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { ndk, pd } = yield* Scope.extend(single(), scope)
      const frmr = yield* Scope.extend(drive(pd.createFastRegisterMr({ pageCount: 16, remoteAccess: true })), scope)
      assert.strictEqual(frmr.pageCount, 16)
      assert.isNumber(frmr.localToken)
      assert.strictEqual(ndk.unsafeStats().created["Mr"], 1)
      yield* drive(Scope.close(scope, Exit.void))
      assert.strictEqual(ndk.unsafeStats().closed["Mr"], 1)
    }))

  it.scoped("R114: fast-register MR beyond the adapter's page limit fails with a typed error", () =>
    Effect.gen(function*() {
      const { pd } = yield* single()
      const e = yield* drive(Effect.flip(pd.createFastRegisterMr({ pageCount: 1 << 30 })))
      assert.strictEqual(e._tag, "InsufficientResources")
      assert.strictEqual((e as { readonly status: number }).status, NtStatus.STATUS_IMPLEMENTATION_LIMIT)
    }))
})
