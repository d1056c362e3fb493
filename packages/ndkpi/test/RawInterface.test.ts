import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Ref } from "effect"
import { NdkVersion, NtStatus, ObjectHeader, ObjectType, OutParam, ProviderHost, RawInterface } from "../src/index.js"
import type { NdkResult } from "../src/index.js"

const S = NtStatus.NtStatus
const T = ObjectType.NdkObjectType

// A memory window whose close pends once and completes through the consumer's close completion: enough to show
// the raw interface is implementable as written and that callbacks are Effects the provider runs.
const makeMw = (pending: Ref.Ref<ReadonlyArray<Effect.Effect<void>>>): RawInterface.NdkMw => {
  const mw: RawInterface.NdkMw = {
    Header: ObjectHeader.make(T.NdkObjectTypeMw, NdkVersion.V1_2),
    Dispatch: {
      NdkCloseMw: (_obj, CloseCompletion, RequestContext) =>
        Ref.update(pending, (p) => [...p, CloseCompletion(RequestContext)]).pipe(Effect.as(S.STATUS_PENDING)),
      NdkQueryExtension: () => Effect.succeed(S.STATUS_NOT_SUPPORTED),
      NdkGetRemoteTokenFromMw: () => Effect.succeed(0x1234)
    }
  }
  return mw
}

describe("RawInterface", () => {
  it.effect("a pending close promises exactly one close completion with the consumer's context", () =>
    Effect.gen(function*() {
      const pending = yield* Ref.make<ReadonlyArray<Effect.Effect<void>>>([])
      const seen: Array<unknown> = []
      const mw = makeMw(pending)
      const context = { mine: true }
      const status = yield* mw.Dispatch.NdkCloseMw(mw, (ctx) => Effect.sync(() => void seen.push(ctx)), context)
      assert.strictEqual(status, S.STATUS_PENDING)
      assert.deepStrictEqual(seen, [])
      for (const completion of yield* Ref.get(pending)) yield* completion
      assert.strictEqual(seen.length, 1)
      assert.strictEqual(seen[0], context)
    }))

  it.effect("query extension with an unknown GUID: STATUS_NOT_SUPPORTED, output untouched (R48 shape)", () =>
    Effect.gen(function*() {
      const mw = makeMw(yield* Ref.make<ReadonlyArray<Effect.Effect<void>>>([]))
      const out = OutParam.out<{ readonly Dispatch: unknown }>()
      const status = yield* mw.Dispatch.NdkQueryExtension(
        mw,
        "00000000-0000-0000-0000-000000000000",
        NdkVersion.V1_2,
        out
      )
      assert.strictEqual(status, S.STATUS_NOT_SUPPORTED)
      assert.isUndefined(out.value)
    }))

  it("isObjectOfType narrows by header type tag", () => {
    const mw: RawInterface.NdkObject = {
      Header: ObjectHeader.make(T.NdkObjectTypeMw, NdkVersion.V1_1),
      Dispatch: {
        NdkCloseMw: () => Effect.succeed(S.STATUS_SUCCESS),
        NdkQueryExtension: () => Effect.succeed(S.STATUS_NOT_SUPPORTED),
        NdkGetRemoteTokenFromMw: () => Effect.succeed(7)
      }
    }
    assert.isTrue(RawInterface.isObjectOfType(mw, T.NdkObjectTypeMw))
    assert.isFalse(RawInterface.isObjectOfType(mw, T.NdkObjectTypeCq))
    if (RawInterface.isObjectOfType(mw, T.NdkObjectTypeMw)) {
      // narrowed: the MW dispatch table is reachable without a cast
      assert.strictEqual(typeof mw.Dispatch.NdkGetRemoteTokenFromMw, "function")
    }
  })

  it("a CQ's unsafe twins poll and arm synchronously", () => {
    const queue: Array<NdkResult.NdkResult> = [{ Status: 0, BytesTransferred: 8, QPContext: "qp", RequestContext: 1 }]
    let armed = -1
    const unsafe: RawInterface.NdkCqUnsafe = {
      NdkArmCq: (_cq, type) => {
        armed = type
      },
      NdkGetCqResults: (_cq, results, n) => {
        let i = 0
        while (i < n && queue.length > 0) results[i++] = queue.shift()!
        return i
      },
      NdkGetCqResultsEx: () => 0
    }
    const results: Array<NdkResult.NdkResult> = []
    const cq = {} as RawInterface.NdkCq
    assert.strictEqual(unsafe.NdkGetCqResults(cq, results, 4), 1)
    assert.strictEqual(results[0].RequestContext, 1)
    assert.strictEqual(unsafe.NdkGetCqResults(cq, results, 4), 0)
    unsafe.NdkArmCq(cq, 2)
    assert.strictEqual(armed, 2)
  })

  it.effect("NdkProvider is a Context tag for a provider host", () =>
    Effect.gen(function*() {
      const host = yield* ProviderHost.NdkProvider
      const out = OutParam.out<RawInterface.NdkAdapter>()
      const status = yield* host.OpenNdkAdapter(host.MiniportAdapterContext, {
        Version: { Major: 3, Minor: 0 },
        SwitchId: 0,
        VPortId: 0
      }, out)
      assert.strictEqual(status, S.NDIS_STATUS_BAD_VERSION)
      assert.isUndefined(out.value)
    }).pipe(
      Effect.provide(Layer.succeed(ProviderHost.NdkProvider, {
        MiniportAdapterContext: "miniport-0",
        OpenNdkAdapter: (_ctx, params) =>
          Effect.succeed(
            NdkVersion.negotiate(params.Version, NdkVersion.providerVersions)._tag === "Accepted"
              ? S.STATUS_SUCCESS
              : S.NDIS_STATUS_BAD_VERSION
          ),
        CloseNdkAdapter: () => Effect.void
      }))
    ))

  it("the tag has a stable key", () => {
    assert.strictEqual(ProviderHost.NdkProvider.key, "@effect-ndk/ndkpi/NdkProvider")
    assert.isTrue(Context.isTag(ProviderHost.NdkProvider))
  })
})
