import * as AdapterInfo from "@effect-ndk/ndkpi/AdapterInfo"
import type { NdkAdapterInfo } from "@effect-ndk/ndkpi/AdapterInfo"
import type { NdkExtensionInterface } from "@effect-ndk/ndkpi/ExtensionInterface"
import * as NdkVersion from "@effect-ndk/ndkpi/NdkVersion"
import { NdkObjectType } from "@effect-ndk/ndkpi/ObjectType"
import * as OutParam from "@effect-ndk/ndkpi/OutParam"
import type { NdkAdapter, NdkConnector } from "@effect-ndk/ndkpi/RawInterface"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import { closeObj, createCq, createPd, createQp, hosts, open, run, S, yields } from "./utils/setup.js"

const openWith = (
  provider: {
    OpenNdkAdapter: (
      c: unknown,
      p: { Version: NdkVersion.NdkVersion; SwitchId: number; VPortId: number },
      o: OutParam.Out<NdkAdapter>
    ) => Effect.Effect<number>
    MiniportAdapterContext: unknown
  },
  version: NdkVersion.NdkVersion
) =>
  Effect.gen(function*() {
    const out = OutParam.out<NdkAdapter>()
    const st = yield* provider.OpenNdkAdapter(provider.MiniportAdapterContext, {
      Version: version,
      SwitchId: 0,
      VPortId: 0
    }, out)
    return { st, adapter: out.value }
  })

const query = (adapter: NdkAdapter) =>
  Effect.gen(function*() {
    const info = OutParam.out<NdkAdapterInfo>()
    const size = OutParam.inOut(AdapterInfo.SIZE)
    const st = yield* adapter.Dispatch.NdkQueryAdapterInfo(adapter, info, size)
    return { st, info: info.value!, size: size.value }
  })

describe("adapter", () => {
  it.scoped("R33: a major version the provider lacks is NDIS_STATUS_BAD_VERSION", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const r = yield* openWith(h!.provider, { Major: 3, Minor: 0 })
      expect(r.st).toBe(S.NDIS_STATUS_BAD_VERSION)
      expect(r.adapter).toBeUndefined()
    }))

  it.scoped("R34: {1,0} on a 1.2 provider runs at 1.2 in the info and every header", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1, { provider: { version: NdkVersion.V1_2 } })
      const r = yield* openWith(h!.provider, NdkVersion.V1_0)
      expect(r.st).toBe(S.STATUS_SUCCESS)
      const a = r.adapter!
      expect(a.Header.Version).toEqual(NdkVersion.V1_2)
      expect((yield* query(a)).info.Version).toEqual(NdkVersion.V1_2)
      const pd = yield* createPd(a)
      const cq = yield* createCq(a)
      const qp = yield* createQp(pd, cq, cq)
      for (const o of [pd, cq, qp]) expect(o.Header.Version).toEqual(NdkVersion.V1_2)
    }))

  it.scoped("R35: a minor above the provider's highest is NDIS_STATUS_BAD_VERSION", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1, { provider: { version: NdkVersion.V1_2 } })
      expect((yield* openWith(h!.provider, { Major: 1, Minor: 3 })).st).toBe(S.NDIS_STATUS_BAD_VERSION)
      expect((yield* openWith(h!.provider, NdkVersion.V2_1)).st).toBe(S.NDIS_STATUS_BAD_VERSION)
    }))

  it.scoped("R33/R34: a 2.1 provider serves 1.x at 1.2 and 2.x at 2.1; a 1.1 provider serves 1.1", () =>
    Effect.gen(function*() {
      const { hosts: [h, g] } = yield* hosts(2, {
        provider: (i) => ({ version: i === 0 ? NdkVersion.V2_1 : NdkVersion.V1_1 })
      })
      expect((yield* openWith(h!.provider, NdkVersion.V1_1)).adapter!.Header.Version).toEqual(NdkVersion.V1_2)
      expect((yield* openWith(h!.provider, NdkVersion.V2_0)).adapter!.Header.Version).toEqual(NdkVersion.V2_1)
      expect((yield* openWith(g!.provider, NdkVersion.V1_0)).adapter!.Header.Version).toEqual(NdkVersion.V1_1)
      expect((yield* openWith(g!.provider, NdkVersion.V1_2)).st).toBe(S.NDIS_STATUS_BAD_VERSION)
    }))

  it.scoped("R36: opening while NDK is disabled is NDIS_STATUS_ADAPTER_NOT_READY", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      yield* h!.provider.setEnabled(false)
      expect((yield* openWith(h!.provider, NdkVersion.V2_1)).st).toBe(S.NDIS_STATUS_ADAPTER_NOT_READY)
      yield* h!.provider.setEnabled(true)
      expect((yield* openWith(h!.provider, NdkVersion.V2_1)).st).toBe(S.STATUS_SUCCESS)
    }))

  it.scoped("R37: two adapter instances on one miniport are independent", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const a = yield* open(h!.provider)
      const b = yield* open(h!.provider)
      expect(a).not.toBe(b)
      const pd = yield* createPd(a)
      yield* h!.provider.CloseNdkAdapter(null, b)
      // a still works after b closed
      const cq = yield* createCq(a)
      expect(cq.Header.ObjectType).toBe(NdkObjectType.NdkObjectTypeCq)
      expect(yield* closeObj(pd)).toBe(S.STATUS_SUCCESS)
      // objects of one adapter are not handles on the other
      const out = OutParam.out<NdkConnector>()
      expect(yield* b.Dispatch.NdkCreateConnector(b, () => Effect.void, null, out)).toBe(S.STATUS_INVALID_DEVICE_STATE)
    }))

  it.scoped("R38, R40: adapter close blocks while a child is open and returns after it was closed elsewhere", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const a = yield* open(h!.provider)
      const pd = yield* createPd(a)
      const closing = yield* Effect.fork(h!.provider.CloseNdkAdapter(null, a))
      yield* run(1000)
      expect(yield* Fiber.poll(closing)).toEqual(expect.objectContaining({ _tag: "None" }))
      const log: Array<unknown> = []
      expect(yield* closeObj(pd, log)).toBe(S.STATUS_SUCCESS)
      yield* Fiber.join(closing)
      expect(h!.nic.stats().pds).toBe(0)
    }))

  it.scoped("R38: adapter close returns only after a pending child close completion returned", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const a = yield* open(h!.provider)
      const pd = yield* createPd(a)
      const cq = yield* createCq(a)
      const qp = yield* createQp(pd, cq, cq)
      const log: Array<unknown> = []
      expect(yield* closeObj(pd, log, "pd")).toBe(S.STATUS_PENDING)
      const closing = yield* Effect.fork(h!.provider.CloseNdkAdapter(null, a))
      yield* yields()
      expect(closing.unsafePoll()).toBeNull()
      expect(yield* closeObj(qp, log, "qp")).toBe(S.STATUS_SUCCESS)
      expect(yield* closeObj(cq, log, "cq")).toBe(S.STATUS_SUCCESS)
      yield* Fiber.join(closing)
      expect(log).toEqual(["pd"])
      expect(h!.nic.stats()).toEqual(expect.objectContaining({ pds: 0, qps: 0, cqs: 0 }))
    }))

  it.scoped("R167, R38: adapter close with a create pending completes it STATUS_CANCELLED, then returns", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1, { provider: { mode: "pending" } })
      const a = yield* open(h!.provider)
      const log: Array<unknown> = []
      expect(
        yield* a.Dispatch.NdkCreatePd(a, (_c, s, o) => Effect.sync(() => void log.push([s, o])), null, OutParam.out())
      )
        .toBe(S.STATUS_PENDING)
      yield* h!.provider.CloseNdkAdapter(null, a)
      expect(log).toEqual([[S.STATUS_CANCELLED, null]])
      expect(h!.nic.stats().pds).toBe(0)
    }))

  it.scoped("R43: the adapter dispatch table has 9 entries in order and no close entry", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const a = yield* open(h!.provider)
      expect(Object.keys(a.Dispatch)).toEqual([
        "NdkQueryExtension",
        "NdkQueryAdapterInfo",
        "NdkCreateCq",
        "NdkCreatePd",
        "NdkCreateSharedEndpoint",
        "NdkCreateConnector",
        "NdkCreateListener",
        "NdkBuildLAM",
        "NdkReleaseLAM"
      ])
    }))

  it.scoped("R44: object dispatch tables have their documented sizes and order", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const a = yield* open(h!.provider)
      const pd = yield* createPd(a)
      const cq = yield* createCq(a)
      const qp = yield* createQp(pd, cq, cq)
      expect(Object.keys(cq.Dispatch)).toEqual([
        "NdkCloseCq",
        "NdkQueryExtension",
        "NdkResizeCq",
        "NdkArmCq",
        "NdkGetCqResults",
        "NdkControlCqInterruptModeration",
        "NdkGetCqResultsEx"
      ])
      expect(Object.keys(pd.Dispatch)).toHaveLength(8)
      expect(Object.keys(qp.Dispatch)).toEqual([
        "NdkCloseQp",
        "NdkQueryExtension",
        "NdkFlush",
        "NdkSend",
        "NdkReceive",
        "NdkBind",
        "NdkFastRegister",
        "NdkInvalidate",
        "NdkRead",
        "NdkWrite",
        "NdkSendAndInvalidate"
      ])
    }))

  it.scoped("R45: a short buffer is STATUS_BUFFER_TOO_SMALL with the required size", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const a = yield* open(h!.provider)
      const info = OutParam.out<NdkAdapterInfo>()
      const size = OutParam.inOut(8)
      expect(yield* a.Dispatch.NdkQueryAdapterInfo(a, info, size)).toBe(S.STATUS_BUFFER_TOO_SMALL)
      expect(size.value).toBe(AdapterInfo.SIZE)
      expect(info.value).toBeUndefined()
      const zero = OutParam.inOut(0)
      expect(yield* a.Dispatch.NdkQueryAdapterInfo(a, null, zero)).toBe(S.STATUS_BUFFER_TOO_SMALL)
      expect(zero.value).toBe(AdapterInfo.SIZE)
    }))

  it.scoped("R46: the info carries the NIC's limits, FRMRPageCount ≥ 16 and the negotiated version", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1, { nic: { maxCqDepth: 4096, maxSrqDepth: 0, cqResize: false } })
      const a = yield* open(h!.provider, NdkVersion.V1_1)
      const r = yield* query(a)
      expect(r.st).toBe(S.STATUS_SUCCESS)
      expect(r.size).toBe(AdapterInfo.SIZE)
      expect(r.info.FRMRPageCount).toBeGreaterThanOrEqual(16)
      expect(r.info.Version).toEqual(NdkVersion.V1_2)
      expect(r.info.MaxCqDepth).toBe(4096)
      expect(r.info.MaxSrqDepth).toBe(0)
      expect(r.info.AdapterFlags & 0x100).toBe(0)
      expect(r.info.MaxInitiatorRequestSge).toBe(h!.nic.info.maxSendSge)
    }))

  it.scoped("R48: an unknown extension GUID is STATUS_NOT_SUPPORTED and the output is untouched", () =>
    Effect.gen(function*() {
      const ext: NdkExtensionInterface = { Dispatch: { hello: 1 } }
      const guid = "12345678-1234-1234-1234-1234567890ab"
      const { hosts: [h] } = yield* hosts(1, { provider: { extensions: new Map([[guid, ext]]) } })
      const a = yield* open(h!.provider)
      const out = OutParam.out<NdkExtensionInterface>()
      expect(yield* a.Dispatch.NdkQueryExtension(a, "00000000-0000-0000-0000-000000000000", NdkVersion.V2_1, out)).toBe(
        S.STATUS_NOT_SUPPORTED
      )
      expect(out.value).toBeUndefined()
      const cq = yield* createCq(a)
      expect(yield* cq.Dispatch.NdkQueryExtension(cq, guid.toUpperCase(), NdkVersion.V2_1, out)).toBe(S.STATUS_SUCCESS)
      expect(out.value).toBe(ext)
    }))

  it.scoped("connection creates return STATUS_NOT_SUPPORTED while no connection side is wired (isolated tests only)", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const a = yield* open(h!.provider)
      const out = OutParam.out<NdkConnector>()
      expect(yield* a.Dispatch.NdkCreateConnector(a, () => Effect.void, null, out)).toBe(S.STATUS_NOT_SUPPORTED)
      let wired = 0
      yield* h!.provider.setConnections({
        createConnector: () => Effect.sync(() => ++wired),
        createListener: () => Effect.sync(() => ++wired),
        createSharedEndpoint: () => Effect.sync(() => ++wired)
      })
      expect(yield* a.Dispatch.NdkCreateConnector(a, () => Effect.void, null, out)).toBe(1)
      expect(wired).toBe(1)
    }))
})

describe("NDIS state", () => {
  it.scoped("R42, R41: OID_NDK_SET_STATE completes synchronously; NetEventNDKDisable stays pending until every adapter is closed", () =>
    Effect.gen(function*() {
      const { hosts: [h] } = yield* hosts(1)
      const a = yield* open(h!.provider)
      const b = yield* open(h!.provider)
      expect(yield* h!.provider.oidSetState(false)).toBe(S.STATUS_SUCCESS)
      expect((yield* openWith(h!.provider, NdkVersion.V2_1)).st).toBe(S.NDIS_STATUS_ADAPTER_NOT_READY)
      const event = yield* Effect.fork(h!.provider.ndkDisableEvent)
      yield* run(500)
      expect(event.unsafePoll()).toBeNull()
      yield* h!.provider.CloseNdkAdapter(null, a)
      yield* run(500)
      expect(event.unsafePoll()).toBeNull()
      yield* h!.provider.CloseNdkAdapter(null, b)
      yield* Fiber.join(event)
      expect(yield* h!.provider.oidSetState(true)).toBe(S.STATUS_SUCCESS)
      expect((yield* openWith(h!.provider, NdkVersion.V2_1)).st).toBe(S.STATUS_SUCCESS)
    }))
})
