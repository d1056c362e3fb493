import { assert, describe, it } from "@effect/vitest"
import {
  AdapterFlag,
  Constants,
  CqNotifyType,
  MrFlag,
  ObjectType,
  OperationType,
  OpFlag,
  RdmaTechnology
} from "../src/index.js"

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0

const assertDisjointBits = (bits: ReadonlyArray<number>, label: string) => {
  let seen = 0
  for (const b of bits) {
    assert.isTrue(isPowerOfTwo(b), `${label}: 0x${b.toString(16)} is a single bit`)
    assert.strictEqual(seen & b, 0, `${label}: 0x${b.toString(16)} overlaps an earlier bit`)
    seen |= b
  }
}

describe("values (§2, §3)", () => {
  it("R161: NDK_OBJECT_TYPE values (§2.1)", () => {
    assert.deepStrictEqual(ObjectType.NdkObjectType, {
      NdkObjectTypeUndefined: 0,
      NdkObjectTypeAdapter: 1,
      NdkObjectTypeQp: 2,
      NdkObjectTypeCq: 3,
      NdkObjectTypeMr: 4,
      NdkObjectTypeMw: 5,
      NdkObjectTypePd: 6,
      NdkObjectTypeSharedEndpoint: 7,
      NdkObjectTypeConnector: 8,
      NdkObjectTypeListener: 9,
      NdkObjectTypeSrq: 10,
      NdkObjectTypeMax: 11
    })
    assert.deepStrictEqual(
      ObjectType.liveObjectTypes.map((i) => `${i.value} ${i.name} ${i.struct} ${i.dispatch}`),
      [
        "1 NdkObjectTypeAdapter NDK_ADAPTER NDK_ADAPTER_DISPATCH",
        "2 NdkObjectTypeQp NDK_QP NDK_QP_DISPATCH",
        "3 NdkObjectTypeCq NDK_CQ NDK_CQ_DISPATCH",
        "4 NdkObjectTypeMr NDK_MR NDK_MR_DISPATCH",
        "5 NdkObjectTypeMw NDK_MW NDK_MW_DISPATCH",
        "6 NdkObjectTypePd NDK_PD NDK_PD_DISPATCH",
        "7 NdkObjectTypeSharedEndpoint NDK_SHARED_ENDPOINT NDK_SHARED_ENDPOINT_DISPATCH",
        "8 NdkObjectTypeConnector NDK_CONNECTOR NDK_CONNECTOR_DISPATCH",
        "9 NdkObjectTypeListener NDK_LISTENER NDK_LISTENER_DISPATCH",
        "10 NdkObjectTypeSrq NDK_SRQ NDK_SRQ_DISPATCH"
      ]
    )
    for (const i of ObjectType.liveObjectTypes) assert.strictEqual(ObjectType.NdkObjectType[i.name], i.value)
    assert.isFalse(ObjectType.isLiveObjectType(0))
    assert.isFalse(ObjectType.isLiveObjectType(11))
    assert.strictEqual(ObjectType.objectTypeName(12), "NDK_OBJECT_TYPE(12)")
  })

  it("R161: NDK_OPERATION_TYPE values (§2.2); ReceiveAndInvalidate is Receive | 0x8000", () => {
    assert.deepStrictEqual(OperationType.NdkOperationType, {
      NdkOperationTypeReceive: 1,
      NdkOperationTypeReceiveAndInvalidate: 32769,
      NdkOperationTypeSend: 2,
      NdkOperationTypeFastRegister: 4,
      NdkOperationTypeBind: 8,
      NdkOperationTypeInvalidate: 16,
      NdkOperationTypeRead: 32,
      NdkOperationTypeWrite: 64
    })
    const T = OperationType.NdkOperationType
    assert.strictEqual(T.NdkOperationTypeReceiveAndInvalidate, T.NdkOperationTypeReceive | 0x8000)
    assert.deepStrictEqual(OperationType.all.filter(OperationType.isReceive), [
      T.NdkOperationTypeReceive,
      T.NdkOperationTypeReceiveAndInvalidate
    ])
    assert.isFalse(OperationType.isOperationType(0xffff8001))
  })

  it("R161: NDK_CQ_NOTIFY_* values (§2.4)", () => {
    assert.deepStrictEqual(CqNotifyType.NdkCqNotifyType, {
      NDK_CQ_NOTIFY_ERRORS: 0,
      NDK_CQ_NOTIFY_ANY: 1,
      NDK_CQ_NOTIFY_SOLICITED: 2
    })
    assert.isFalse(CqNotifyType.isCqNotifyType(3))
  })

  it("NDK_RDMA_TECHNOLOGY values (§2.3)", () => {
    assert.deepStrictEqual(RdmaTechnology.NdkRdmaTechnology, {
      NdkUndefined: 0,
      NdkiWarp: 1,
      NdkInfiniBand: 2,
      NdkRoCE: 3,
      NdkRoCEv2: 4,
      NdkMaxTechnology: 5
    })
    assert.isTrue(RdmaTechnology.isRdmaTechnology(4))
    assert.isFalse(RdmaTechnology.isRdmaTechnology(5))
  })

  it("misc constants (§2.6): 'NDKD', ephemeral range, PAGE_SIZE, FRMR minimum, MAXULONG, address families", () => {
    const ndkd = [..."NDKD"].reduce((n, c) => n * 256 + c.charCodeAt(0), 0)
    assert.strictEqual(Constants.WSKNDK_GET_WSK_PROVIDER_NDK_DISPATCH, ndkd)
    assert.strictEqual(Constants.WSKNDK_GET_WSK_PROVIDER_NDK_DISPATCH, 0x4E444B44)
    assert.strictEqual(Constants.EPHEMERAL_PORT_FIRST, 49152)
    assert.strictEqual(Constants.EPHEMERAL_PORT_LAST, 65535)
    assert.strictEqual(Constants.PAGE_SIZE, 4096)
    assert.strictEqual(Constants.MIN_FRMR_PAGE_COUNT, 16)
    assert.strictEqual(Constants.MAXULONG, 0xFFFFFFFF)
    assert.strictEqual(Constants.AF_INET, 2)
    assert.strictEqual(Constants.AF_INET6, 23)
    assert.strictEqual(Constants.SOCKADDR_IN_SIZE, 16)
    assert.strictEqual(Constants.SOCKADDR_IN6_SIZE, 28)
  })

  it("R161: NDK_MR_FLAG_* values (§3.1); REMOTE_WRITE includes LOCAL_WRITE; bits are disjoint", () => {
    assert.deepStrictEqual(MrFlag.NdkMrFlag, {
      NDK_MR_FLAG_ALLOW_LOCAL_READ: 0x0,
      NDK_MR_FLAG_ALLOW_LOCAL_WRITE: 0x1,
      NDK_MR_FLAG_ALLOW_REMOTE_READ: 0x2,
      NDK_MR_FLAG_ALLOW_REMOTE_WRITE: 0x5,
      NDK_MR_FLAG_RDMA_READ_SINK: 0x8
    })
    assertDisjointBits(Object.values(MrFlag.bits), "MR bits")
    const F = MrFlag.NdkMrFlag
    assert.strictEqual(F.NDK_MR_FLAG_ALLOW_REMOTE_WRITE, MrFlag.bits.remoteWrite | MrFlag.bits.localWrite)
    assert.isTrue(MrFlag.hasLocalWrite(F.NDK_MR_FLAG_ALLOW_REMOTE_WRITE))
    assert.isTrue(MrFlag.hasRemoteWrite(F.NDK_MR_FLAG_ALLOW_REMOTE_WRITE))
    assert.isFalse(MrFlag.hasRemoteWrite(F.NDK_MR_FLAG_ALLOW_LOCAL_WRITE))
    assert.isTrue(MrFlag.hasRemoteRead(F.NDK_MR_FLAG_ALLOW_REMOTE_READ))
    assert.isTrue(MrFlag.hasReadSink(F.NDK_MR_FLAG_RDMA_READ_SINK))
    assert.isTrue(MrFlag.isValid(0xF))
    assert.isFalse(MrFlag.isValid(0x10))
    assert.deepStrictEqual(MrFlag.names(0x7), ["NDK_MR_FLAG_ALLOW_REMOTE_WRITE", "NDK_MR_FLAG_ALLOW_REMOTE_READ"])
  })

  it("R160: NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE == 0x100 and NDK_OP_FLAG_DEFER == 0x200 (header, not doc)", () => {
    assert.strictEqual(OpFlag.NdkOpFlag.NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE, 0x100)
    assert.strictEqual(OpFlag.NdkOpFlag.NDK_OP_FLAG_DEFER, 0x200)
  })

  it("R161: NDK_OP_FLAG_* values (§3.2); single-bit flags disjoint; ALLOW_REMOTE_WRITE includes 0x10", () => {
    assert.deepStrictEqual(OpFlag.NdkOpFlag, {
      NDK_OP_FLAG_SILENT_SUCCESS: 0x1,
      NDK_OP_FLAG_READ_FENCE: 0x2,
      NDK_OP_FLAG_SEND_AND_SOLICIT_EVENT: 0x4,
      NDK_OP_FLAG_ALLOW_REMOTE_READ: 0x8,
      NDK_OP_FLAG_ALLOW_LOCAL_WRITE: 0x10,
      NDK_OP_FLAG_ALLOW_REMOTE_WRITE: 0x30,
      NDK_OP_FLAG_INLINE: 0x40,
      NDK_OP_FLAG_RDMA_READ_SINK: 0x80,
      NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE: 0x100,
      NDK_OP_FLAG_DEFER: 0x200
    })
    const F = OpFlag.NdkOpFlag
    assertDisjointBits(
      Object.entries(F).filter(([n]) => n !== "NDK_OP_FLAG_ALLOW_REMOTE_WRITE").map(([, v]) => v),
      "OP flags"
    )
    assert.strictEqual(
      F.NDK_OP_FLAG_ALLOW_REMOTE_WRITE & F.NDK_OP_FLAG_ALLOW_LOCAL_WRITE,
      F.NDK_OP_FLAG_ALLOW_LOCAL_WRITE
    )
    assert.deepStrictEqual(OpFlag.names(0x230), ["NDK_OP_FLAG_ALLOW_REMOTE_WRITE", "NDK_OP_FLAG_DEFER"])
    assert.deepStrictEqual(OpFlag.names(0x1000), ["0x1000"])
  })

  it("§3.2: flags accepted per work-request function", () => {
    const F = OpFlag.NdkOpFlag
    const table: ReadonlyArray<[OpFlag.FlaggedRequest, ReadonlyArray<OpFlag.NdkOpFlagName>]> = [
      ["NdkSend", [
        "NDK_OP_FLAG_SILENT_SUCCESS",
        "NDK_OP_FLAG_READ_FENCE",
        "NDK_OP_FLAG_SEND_AND_SOLICIT_EVENT",
        "NDK_OP_FLAG_INLINE",
        "NDK_OP_FLAG_DEFER"
      ]],
      ["NdkSendAndInvalidate", [
        "NDK_OP_FLAG_SILENT_SUCCESS",
        "NDK_OP_FLAG_READ_FENCE",
        "NDK_OP_FLAG_SEND_AND_SOLICIT_EVENT",
        "NDK_OP_FLAG_INLINE",
        "NDK_OP_FLAG_DEFER"
      ]],
      ["NdkWrite", ["NDK_OP_FLAG_SILENT_SUCCESS", "NDK_OP_FLAG_READ_FENCE", "NDK_OP_FLAG_INLINE", "NDK_OP_FLAG_DEFER"]],
      ["NdkRead", [
        "NDK_OP_FLAG_SILENT_SUCCESS",
        "NDK_OP_FLAG_READ_FENCE",
        "NDK_OP_FLAG_RDMA_READ_LOCAL_INVALIDATE",
        "NDK_OP_FLAG_DEFER"
      ]],
      ["NdkBind", [
        "NDK_OP_FLAG_SILENT_SUCCESS",
        "NDK_OP_FLAG_READ_FENCE",
        "NDK_OP_FLAG_ALLOW_REMOTE_READ",
        "NDK_OP_FLAG_ALLOW_REMOTE_WRITE",
        "NDK_OP_FLAG_DEFER"
      ]],
      ["NdkFastRegister", [
        "NDK_OP_FLAG_SILENT_SUCCESS",
        "NDK_OP_FLAG_READ_FENCE",
        "NDK_OP_FLAG_ALLOW_REMOTE_READ",
        "NDK_OP_FLAG_ALLOW_LOCAL_WRITE",
        "NDK_OP_FLAG_ALLOW_REMOTE_WRITE",
        "NDK_OP_FLAG_RDMA_READ_SINK",
        "NDK_OP_FLAG_DEFER"
      ]],
      ["NdkInvalidate", ["NDK_OP_FLAG_SILENT_SUCCESS", "NDK_OP_FLAG_READ_FENCE", "NDK_OP_FLAG_DEFER"]]
    ]
    for (const [request, names] of table) {
      assert.strictEqual(OpFlag.accepted[request], names.reduce((m, n) => m | F[n], 0), request)
      for (const [name, value] of Object.entries(F) as ReadonlyArray<[OpFlag.NdkOpFlagName, number]>) {
        const expected = names.includes(name)
        assert.strictEqual(OpFlag.isAcceptedBy(request, value), expected, `${request} ${name}`)
      }
      assert.isFalse(OpFlag.isAcceptedBy(request, 0x400), `${request} rejects unknown bits`)
    }
    // Bind grants local write only as part of ALLOW_REMOTE_WRITE (0x30); the bare 0x10 is not a bind flag.
    assert.isTrue(OpFlag.isAcceptedBy("NdkBind", F.NDK_OP_FLAG_ALLOW_REMOTE_WRITE | F.NDK_OP_FLAG_DEFER))
    assert.isFalse(OpFlag.isAcceptedBy("NdkBind", F.NDK_OP_FLAG_ALLOW_LOCAL_WRITE))
    assert.isFalse(OpFlag.isAcceptedBy("NdkBind", F.NDK_OP_FLAG_ALLOW_LOCAL_WRITE | F.NDK_OP_FLAG_ALLOW_REMOTE_READ))
    assert.isTrue(OpFlag.isAcceptedBy("NdkSend", 0))
    assert.isFalse(OpFlag.isAcceptedBy("NdkSend", -1))
  })

  it("R161: NDK_ADAPTER_FLAG_* values (§3.3); every flag is its own bit", () => {
    assert.deepStrictEqual(AdapterFlag.NdkAdapterFlag, {
      NDK_ADAPTER_FLAG_IN_ORDER_DMA_SUPPORTED: 0x1,
      NDK_ADAPTER_FLAG_RDMA_READ_SINK_NOT_REQUIRED: 0x2,
      NDK_ADAPTER_FLAG_CQ_INTERRUPT_MODERATION_SUPPORTED: 0x4,
      NDK_ADAPTER_FLAG_MULTI_ENGINE_SUPPORTED: 0x8,
      NDK_ADAPTER_FLAG_RDMA_READ_LOCAL_INVALIDATE_SUPPORTED: 0x10,
      NDK_ADAPTER_FLAG_CQ_RESIZE_SUPPORTED: 0x100,
      NDK_ADAPTER_FLAG_LOOPBACK_CONNECTIONS_SUPPORTED: 0x10000
    })
    assertDisjointBits(Object.values(AdapterFlag.NdkAdapterFlag), "adapter flags")
    assert.strictEqual(AdapterFlag.definedMask, 0x1011F)
    assert.deepStrictEqual(AdapterFlag.names(0x104), [
      "NDK_ADAPTER_FLAG_CQ_RESIZE_SUPPORTED",
      "NDK_ADAPTER_FLAG_CQ_INTERRUPT_MODERATION_SUPPORTED"
    ])
  })
})
