import { assert, describe, it } from "@effect/vitest"
import { Catalog, NdkVersion, ObjectType } from "../src/index.js"
import type { RawInterface } from "../src/index.js"

// SPEC.md §6.0, transcribed row by row: index, NDK_FN_* type, members (table:slot:member), kind, completion, version.
const spec60 = `
1 NDK_FN_CLOSE_OBJECT Cq:0:NdkCloseCq,Mr:0:NdkCloseMr,Mw:0:NdkCloseMw,Srq:0:NdkCloseSrq,Qp:0:NdkCloseQp,Pd:0:NdkClosePd,SharedEndpoint:0:NdkCloseSharedEndpoint,Connector:0:NdkCloseConnector,Listener:0:NdkCloseListener P NdkCloseCompletion 1.1
2 NDK_FN_QUERY_EXTENSION_INTERFACE Adapter:0:NdkQueryExtension,Cq:1:NdkQueryExtension,Mr:1:NdkQueryExtension,Mw:1:NdkQueryExtension,Srq:1:NdkQueryExtension,Qp:1:NdkQueryExtension,Pd:1:NdkQueryExtension,SharedEndpoint:1:NdkQueryExtension,Connector:1:NdkQueryExtension,Listener:1:NdkQueryExtension S - 1.1
3 NDK_FN_QUERY_ADAPTER_INFO Adapter:1:NdkQueryAdapterInfo S - 1.1
4 NDK_FN_CREATE_CQ Adapter:2:NdkCreateCq P NdkCreateCompletion 1.1
5 NDK_FN_CREATE_PD Adapter:3:NdkCreatePd P NdkCreateCompletion 1.1
6 NDK_FN_CREATE_SHARED_ENDPOINT Adapter:4:NdkCreateSharedEndpoint P NdkCreateCompletion 1.1
7 NDK_FN_CREATE_CONNECTOR Adapter:5:NdkCreateConnector P NdkCreateCompletion 1.1
8 NDK_FN_CREATE_LISTENER Adapter:6:NdkCreateListener P NdkCreateCompletion 1.1
9 NDK_FN_BUILD_LAM Adapter:7:NdkBuildLAM P NdkRequestCompletion 1.1
10 NDK_FN_RELEASE_LAM Adapter:8:NdkReleaseLAM S - 1.1
11 NDK_FN_RESIZE_CQ Cq:2:NdkResizeCq P NdkRequestCompletion 1.1
12 NDK_FN_ARM_CQ Cq:3:NdkArmCq S - 1.1
13 NDK_FN_GET_CQ_RESULTS Cq:4:NdkGetCqResults S - 1.1
14 NDK_FN_CONTROL_CQ_INTERRUPT_MODERATION Cq:5:NdkControlCqInterruptModeration S - 1.1
15 NDK_FN_GET_CQ_RESULTS_EX Cq:6:NdkGetCqResultsEx S - 1.2
16 NDK_FN_REGISTER_MR Mr:2:NdkRegisterMr P NdkRequestCompletion 1.1
17 NDK_FN_DEREGISTER_MR Mr:3:NdkDeregisterMr P NdkRequestCompletion 1.1
18 NDK_FN_INITIALIZE_FAST_REGISTER_MR Mr:4:NdkInitializeFastRegisterMr P NdkRequestCompletion 1.1
19 NDK_FN_GET_REMOTE_TOKEN_FROM_MR Mr:5:NdkGetRemoteTokenFromMr S - 1.1
20 NDK_FN_GET_LOCAL_TOKEN_FROM_MR Mr:6:NdkGetLocalTokenFromMr S - 1.1
21 NDK_FN_GET_REMOTE_TOKEN_FROM_MW Mw:2:NdkGetRemoteTokenFromMw S - 1.1
22 NDK_FN_MODIFY_SRQ Srq:2:NdkModifySrq P NdkRequestCompletion 1.1
23 NDK_FN_SRQ_RECEIVE Srq:3:NdkSrqReceive WR - 1.1
24 NDK_FN_FLUSH Qp:2:NdkFlush S - 1.1
25 NDK_FN_SEND Qp:3:NdkSend WR - 1.1
26 NDK_FN_RECEIVE Qp:4:NdkReceive WR - 1.1
27 NDK_FN_BIND Qp:5:NdkBind WR - 1.1
28 NDK_FN_FAST_REGISTER Qp:6:NdkFastRegister WR - 1.1
29 NDK_FN_INVALIDATE Qp:7:NdkInvalidate WR - 1.1
30 NDK_FN_READ Qp:8:NdkRead WR - 1.1
31 NDK_FN_WRITE Qp:9:NdkWrite WR - 1.1
32 NDK_FN_SEND_AND_INVALIDATE Qp:10:NdkSendAndInvalidate WR - 1.2
33 NDK_FN_CREATE_MR Pd:2:NdkCreateMr P NdkCreateCompletion 1.1
34 NDK_FN_CREATE_MW Pd:3:NdkCreateMw P NdkCreateCompletion 1.1
35 NDK_FN_CREATE_SRQ Pd:4:NdkCreateSrq P NdkCreateCompletion 1.1
36 NDK_FN_CREATE_QP Pd:5:NdkCreateQp P NdkCreateCompletion 1.1
37 NDK_FN_CREATE_QP_WITH_SRQ Pd:6:NdkCreateQpWithSrq P NdkCreateCompletion 1.1
38 NDK_FN_GET_PRIVILEGED_MEMORY_REGION_TOKEN Pd:7:NdkGetPrivilegedMemoryRegionToken S - 1.1
39 NDK_FN_GET_SHARED_ENDPOINT_LOCAL_ADDRESS SharedEndpoint:2:NdkGetLocalAddress S - 1.1
40 NDK_FN_CONNECT Connector:2:NdkConnect P NdkRequestCompletion 1.1
41 NDK_FN_CONNECT_WITH_SHARED_ENDPOINT Connector:3:NdkConnectWithSharedEndpoint P NdkRequestCompletion 1.1
42 NDK_FN_COMPLETE_CONNECT Connector:4:NdkCompleteConnect P NdkRequestCompletion 1.1
43 NDK_FN_ACCEPT Connector:5:NdkAccept P NdkRequestCompletion 1.1
44 NDK_FN_REJECT Connector:6:NdkReject S - 1.1
45 NDK_FN_GET_CONNECTION_DATA Connector:7:NdkGetConnectionData S - 1.1
46 NDK_FN_GET_LOCAL_ADDRESS Connector:8:NdkGetLocalAddress S - 1.1
47 NDK_FN_GET_PEER_ADDRESS Connector:9:NdkGetPeerAddress S - 1.1
48 NDK_FN_DISCONNECT Connector:10:NdkDisconnect P NdkRequestCompletion 1.1
49 NDK_FN_COMPLETE_CONNECT_EX Connector:11:NdkCompleteConnectEx P NdkRequestCompletion 2.1
50 NDK_FN_ACCEPT_EX Connector:12:NdkAcceptEx P NdkRequestCompletion 2.1
51 NDK_FN_LISTEN Listener:2:NdkListen P NdkRequestCompletion 1.1
52 NDK_FN_GET_LISTENER_LOCAL_ADDRESS Listener:3:NdkGetLocalAddress S - 1.1
53 NDK_FN_CONTROL_CONNECT_EVENTS Listener:4:NdkControlConnectEvents S - 1.1
`
  .trim()
  .split("\n")
  .map((line) => {
    const [index, fnType, members, kind, completion, version] = line.split(" ")
    return {
      index: Number(index),
      fnType,
      members: members.split(",").map((m) => {
        const [table, slot, member] = m.split(":")
        return { table, slot: Number(slot), member }
      }),
      kind,
      completion: completion === "-" ? null : completion,
      version
    }
  })

describe("Catalog", () => {
  it("§6.0: 53 NDK_FN_* types with the SPEC's members, slots, kinds, completions and versions", () => {
    assert.strictEqual(Catalog.functionTypes.length, 53)
    assert.strictEqual(spec60.length, 53)
    for (const [i, expected] of spec60.entries()) {
      const actual = Catalog.functionTypes[i]
      assert.strictEqual(actual.index, expected.index)
      assert.strictEqual(actual.fnType, expected.fnType)
      assert.strictEqual(actual.kind, expected.kind, expected.fnType)
      assert.strictEqual(actual.completion, expected.completion, expected.fnType)
      assert.strictEqual(NdkVersion.format(actual.version), expected.version, expected.fnType)
      assert.deepStrictEqual(
        actual.members.map((m) => `${m.table}:${m.member}`),
        expected.members.map((m) => `${m.table}:${m.member}`)
      )
      for (const m of expected.members) {
        const names: ReadonlyArray<string> = Catalog.dispatchNames[m.table as ObjectType.ObjectKind]
        assert.strictEqual(names[m.slot], m.member, `${expected.fnType} at ${m.table}:${m.slot}`)
      }
    }
  })

  it("R43: NDK_ADAPTER_DISPATCH has exactly 9 entries in §6.2 order and no close entry", () => {
    assert.deepStrictEqual(Catalog.AdapterDispatchNames, [
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
    assert.isFalse(Catalog.slotsOf("Adapter").some((s) => s.function.fnType === "NDK_FN_CLOSE_OBJECT"))
  })

  it("R44: dispatch table sizes 9/7/7/3/4/11/8/3/13/5, close at slot 0 and query-extension at slot 1", () => {
    const sizes = {
      Adapter: 9,
      Cq: 7,
      Mr: 7,
      Mw: 3,
      Srq: 4,
      Qp: 11,
      Pd: 8,
      SharedEndpoint: 3,
      Connector: 13,
      Listener: 5
    } as const
    let total = 0
    for (const info of ObjectType.liveObjectTypes) {
      const slots = Catalog.slotsOf(info.kind)
      assert.strictEqual(slots.length, sizes[info.kind], info.kind)
      total += slots.length
      if (info.kind !== "Adapter") {
        assert.strictEqual(slots[0].function.fnType, "NDK_FN_CLOSE_OBJECT")
        assert.strictEqual(slots[1].function.fnType, "NDK_FN_QUERY_EXTENSION_INTERFACE")
      }
    }
    assert.strictEqual(total, 70)
    // every slot's function type lists that slot, and every function type's member is in some table
    const listed = Catalog.functionTypes.reduce((n, f) => n + f.members.length, 0)
    assert.strictEqual(listed, 70)
  })

  it("the compile-time name check holds for every table", () => {
    // The value only type-checks when every DispatchNamesMatch entry is `true` (see Catalog.ts).
    assert.isTrue(Object.values(Catalog.dispatchNamesMatch).every((b) => b === true))
    assert.strictEqual(Object.keys(Catalog.dispatchNamesMatch).length, 10)
  })

  it("§12: catalogue versions agree with NdkVersion.introductions", () => {
    for (const { items, version } of NdkVersion.introductions) {
      const fromCatalog = Catalog.introducedIn(version).map((f) => f.fnType).sort()
      const fromVersion = items.flatMap((i) => i._tag === "Function" ? [i.fnType] : []).sort()
      assert.deepStrictEqual(fromCatalog, fromVersion, NdkVersion.format(version))
      for (const item of items) {
        if (item._tag === "Function") {
          const names: ReadonlyArray<string> = Catalog.dispatchNames[item.table]
          assert.strictEqual(names[item.slot], item.member)
        }
        if (item._tag === "Callback") {
          const cb = Catalog.callbackTypes.find((c) => c.name === item.name)
          assert.isDefined(cb)
          assert.isTrue(NdkVersion.equals(cb!.version, version))
        }
      }
    }
    assert.strictEqual(Catalog.introducedIn(NdkVersion.V1_1).length, 53 - 4)
  })

  it("§12: 1.2 slots unavailable at 1.1, 2.1 slots unavailable below 2.1", () => {
    const byType = (t: string) => Catalog.functionTypes.find((f) => f.fnType === t)!
    assert.isFalse(Catalog.isAvailableAt(byType("NDK_FN_GET_CQ_RESULTS_EX"), NdkVersion.V1_1))
    assert.isTrue(Catalog.isAvailableAt(byType("NDK_FN_GET_CQ_RESULTS_EX"), NdkVersion.V1_2))
    assert.isFalse(Catalog.isAvailableAt(byType("NDK_FN_ACCEPT_EX"), NdkVersion.V1_2))
    assert.isTrue(Catalog.isAvailableAt(byType("NDK_FN_ACCEPT_EX"), NdkVersion.V2_1))
    assert.isTrue(Catalog.isAvailableAt(byType("NDK_FN_SEND"), NdkVersion.V2_1))
  })

  it("§7: 3 completion callbacks and 5 event callbacks", () => {
    assert.deepStrictEqual(
      Catalog.callbackTypes.map((c) => `${c.name}/${c.kind}/${c.parameters.length}/${NdkVersion.format(c.version)}`),
      [
        "NdkCreateCompletion/completion/3/1.1",
        "NdkRequestCompletion/completion/2/1.1",
        "NdkCloseCompletion/completion/1/1.1",
        "NdkCqNotificationCallback/event/2/1.1",
        "NdkSrqNotificationCallback/event/2/1.1",
        "NdkConnectEventCallback/event/2/1.1",
        "NdkDisconnectEventCallback/event/1/1.1",
        "NdkDisconnectEventCallbackEx/event/2/2.1"
      ]
    )
  })

  it("every P function takes a completion callback and no S or WR function does", () => {
    for (const f of Catalog.functionTypes) {
      assert.strictEqual(f.kind === "P", f.completion !== null, f.fnType)
    }
    const passive = Catalog.functionTypes.filter((f) => f.passive).map((f) => f.fnType)
    assert.deepStrictEqual(passive, ["NDK_FN_QUERY_ADAPTER_INFO"])
  })
})

// ---------------------------------------------------------------------------------------------------------------
// type-level checks (fail `tsc -b`, which `npm test` runs)
// ---------------------------------------------------------------------------------------------------------------

type Not<B extends boolean> = B extends true ? false : true
type Assignable<A, B> = [A] extends [B] ? true : false
const typeChecks: {
  readonly r164RequestNotClose: Not<Assignable<RawInterface.NdkRequestCompletion, RawInterface.NdkCloseCompletion>>
  readonly createNotClose: Not<Assignable<RawInterface.NdkCreateCompletion, RawInterface.NdkCloseCompletion>>
  readonly closeShapeIsClose: Assignable<(ctx: unknown) => never, RawInterface.NdkCloseCompletion>
  readonly unsafeSendReturnsStatus: Catalog.Equals<ReturnType<RawInterface.NdkQpUnsafe["NdkSend"]>, number>
  readonly unsafePollReturnsCount: Catalog.Equals<ReturnType<RawInterface.NdkCqUnsafe["NdkGetCqResults"]>, number>
  readonly unsafeArmReturnsVoid: Catalog.Equals<ReturnType<RawInterface.NdkCqUnsafe["NdkArmCq"]>, void>
} = {
  r164RequestNotClose: true,
  createNotClose: true,
  closeShapeIsClose: true,
  unsafeSendReturnsStatus: true,
  unsafePollReturnsCount: true,
  unsafeArmReturnsVoid: true
}

describe("RawInterface types", () => {
  it("R164: a request-completion-shaped function is not a close completion (compile time)", () => {
    const requestShaped: RawInterface.NdkRequestCompletion = (_ctx, _status) => {
      throw new Error("never called")
    }
    // @ts-expect-error R164: two required parameters (Context, Status) cannot stand for NDK_FN_CLOSE_COMPLETION
    const asClose: RawInterface.NdkCloseCompletion = requestShaped
    assert.strictEqual(typeof asClose, "function")
    assert.isTrue(Object.values(typeChecks).every((b) => b === true))
  })
})
