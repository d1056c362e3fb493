import * as Fabric from "@effect-ndk/hardware/Fabric"
import * as Nic from "@effect-ndk/hardware/Nic"
import { LifetimeEvent } from "@effect-ndk/lifetime"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import { NdkProvider as NdkProviderTag } from "@effect-ndk/ndkpi/ProviderHost"
import type { NdkAdapter, NdkCq, NdkMr } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NdkProvider from "../src/NdkProvider.js"
import * as SimulatedHosts from "../src/SimulatedHosts.js"
import { ANY, closeObj, createPd, createQp, hosts, open, run, S, settle } from "./utils/setup.js"

describe("layers", () => {
  it.scoped("NdkProvider.layer provides ndkpi's NdkProvider over the Nic in context", () =>
    Effect.gen(function*() {
      const host = yield* NdkProviderTag
      const out = OutParam.out<NdkAdapter>()
      expect(
        yield* host.OpenNdkAdapter(
          host.MiniportAdapterContext,
          { Version: NdkVersion.V1_2, SwitchId: 0, VPortId: 0 },
          out
        )
      )
        .toBe(S.STATUS_SUCCESS)
      expect(out.value!.Header.Version).toEqual(NdkVersion.V1_2)
      yield* host.CloseNdkAdapter(host.MiniportAdapterContext, out.value!)
    }).pipe(
      Effect.provide(
        NdkProvider.layer().pipe(
          Layer.provide(Nic.layer({ address: 9, config: { hostMemoryBytes: 1 << 20, deviceMemoryBytes: 1 << 18 } })),
          Layer.provide(Fabric.layer({ memoryBytes: 8 << 20 }))
        )
      )
    ))

  it.scoped("SimulatedHosts.layer gives N hosts on one fabric", () =>
    Effect.gen(function*() {
      const { fabric, hosts: hs } = yield* SimulatedHosts.SimulatedHosts
      expect(hs.map((h) => h.address)).toEqual([1, 2, 3])
      expect([...(yield* fabric.addresses)].sort()).toEqual([1, 2, 3])
      const adapter = yield* open(hs[2]!.provider)
      yield* hs[2]!.provider.CloseNdkAdapter(null, adapter)
    }).pipe(
      Effect.provide(SimulatedHosts.layer({ count: 3, nic: { hostMemoryBytes: 1 << 20, deviceMemoryBytes: 1 << 18 } }))
    ))
})

describe("event order", () => {
  it.scoped("R15: the close completion is the last callback of its object (kernel event log: CQ closed in its notification, MR closed with a pending register, PD with children)", () =>
    Effect.gen(function*() {
      const events: Array<LifetimeEvent.LifetimeEvent> = []
      const { hosts: [h] } = yield* hosts(1, { provider: { sink: (e) => void events.push(e) } })
      const adapter = yield* open(h!.provider)
      const pd = yield* createPd(adapter)
      const out = OutParam.out<NdkCq>()
      const cqCtx: { cq?: NdkCq } = {}
      yield* adapter.Dispatch.NdkCreateCq(
        adapter,
        16,
        () =>
          Effect.gen(function*() {
            yield* closeObj(cqCtx.cq!)
            yield* Effect.sleep("1 millis")
          }),
        null,
        null,
        () => Effect.void,
        null,
        out
      )
      const cq = out.value!
      cqCtx.cq = cq
      const qp = yield* createQp(pd, cq, cq)
      yield* h!.provider.setMode("pending")
      const mrOut: { mr?: NdkMr } = {}
      yield* pd.Dispatch.NdkCreateMr(
        pd,
        false,
        (_c, _s, o) =>
          Effect.sync(() => {
            mrOut.mr = o as NdkMr
          }),
        null,
        OutParam.out()
      )
      yield* settle(() => mrOut.mr !== undefined)
      const mr = mrOut.mr!
      const va = h!.nic.memory.alloc(4096, 4096)
      yield* mr.Dispatch.NdkRegisterMr(
        mr,
        { virtualAddress: BigInt(va), byteCount: 4096 },
        4096n,
        1,
        () => Effect.sleep("1 millis"),
        null
      )
      yield* closeObj(mr)
      yield* cq.Dispatch.NdkArmCq(cq, ANY)
      yield* qp.Dispatch.NdkFlush(qp)
      yield* qp.Dispatch.NdkReceive(qp, "r", [], 0)
      yield* closeObj(pd)
      yield* run(3000)
      yield* closeObj(qp)
      yield* run(3000)
      // per object: nothing after the start of its close completion but that callback's return
      const ids = new Set(events.map((e) => e.id))
      let checked = 0
      for (const id of ids) {
        const mine = events.filter((e) =>
          e.id === id && (e.kind === "CallbackStarted" || e.kind === "CallbackReturned")
        )
        const at = mine.findIndex((e) =>
          e.kind === "CallbackStarted" && e.detail === LifetimeEvent.CallbackKind.CloseCompletion
        )
        if (at < 0) {
          continue
        }
        checked++
        expect(
          mine.slice(at + 1).map((e) => e.kind)
        ).toEqual(["CallbackReturned"])
      }
      expect(checked).toBeGreaterThanOrEqual(2)
    }))
})
