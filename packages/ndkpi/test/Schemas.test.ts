import { assert, describe, it } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import {
  AdapterInfo,
  ExtensionInterface,
  LogicalAddressMapping,
  NdkResult,
  NdkVersion,
  ObjectHeader,
  ProviderHost,
  Scalar,
  Sge,
  SockAddr
} from "../src/index.js"

const decode = <A>(schema: Schema.Schema<A>, u: unknown): Either.Either<A, string> =>
  Schema.decodeUnknownEither(schema, { errors: "all" })(u).pipe(
    Either.mapLeft((e) => ParseResult.TreeFormatter.formatErrorSync(e))
  )

const accepts = <A>(schema: Schema.Schema<A>, u: unknown) => {
  const r = decode(schema, u)
  if (Either.isLeft(r)) assert.fail(`expected a valid value, got:\n${r.left}`)
  assert.deepStrictEqual(r.right, u)
}

const rejects = <A>(schema: Schema.Schema<A>, u: unknown, ...fragments: ReadonlyArray<string>) => {
  const r = decode(schema, u)
  if (Either.isRight(r)) assert.fail(`expected a rejection of ${String(u)}`)
  for (const f of fragments) assert.include(r.left, f)
}

const info: AdapterInfo.NdkAdapterInfo = {
  Version: NdkVersion.V1_2,
  VendorId: 0x1234,
  DeviceId: 7,
  MaxRegistrationSize: 1n << 40n,
  MaxWindowSize: 1n << 32n,
  FRMRPageCount: 256,
  MaxInitiatorRequestSge: 4,
  MaxReceiveRequestSge: 4,
  MaxReadRequestSge: 2,
  MaxTransferLength: 1 << 30,
  MaxInlineDataSize: 256,
  MaxInboundReadLimit: 16,
  MaxOutboundReadLimit: 16,
  MaxReceiveQueueDepth: 1024,
  MaxInitiatorQueueDepth: 1024,
  MaxSrqDepth: 0,
  MaxCqDepth: 4096,
  LargeRequestThreshold: 65536,
  MaxCallerData: 56,
  MaxCalleeData: 148,
  AdapterFlags: 0x104,
  RdmaTechnology: 4
}

describe("schemas (§4)", () => {
  it("scalars: ULONG, USHORT, UINT64 ranges", () => {
    accepts(Scalar.Ulong, 0)
    accepts(Scalar.Ulong, 0xFFFFFFFF)
    rejects(Scalar.Ulong, 0x100000000, "expected an unsigned 32-bit integer (0..4294967295), got 4294967296")
    rejects(Scalar.Ulong, -1, "got -1")
    rejects(Scalar.Ulong, 1.5, "got 1.5")
    rejects(Scalar.Ulong, "1", "Expected number")
    accepts(Scalar.Ushort, 65535)
    rejects(Scalar.Ushort, 65536, "unsigned 16-bit")
    accepts(Scalar.Uint64, Scalar.MAXUINT64)
    rejects(Scalar.Uint64, Scalar.MAXUINT64 + 1n, "unsigned 64-bit")
    rejects(Scalar.Uint64, 5, "Expected bigint")
  })

  it("NDK_VERSION: USHORT fields", () => {
    accepts(NdkVersion.NdkVersion, { Major: 2, Minor: 1 })
    rejects(NdkVersion.NdkVersion, { Major: 1, Minor: -1 }, "Minor", "got -1")
    rejects(NdkVersion.NdkVersion, { Major: 1 }, "Minor", "is missing")
  })

  it("NDK_ADAPTER_INFO: a valid value decodes; out-of-range fields and FRMRPageCount < 16 are rejected", () => {
    accepts(AdapterInfo.NdkAdapterInfo, info)
    rejects(AdapterInfo.NdkAdapterInfo, { ...info, MaxCqDepth: 2 ** 32 }, "MaxCqDepth", "unsigned 32-bit")
    rejects(AdapterInfo.NdkAdapterInfo, { ...info, FRMRPageCount: 8 }, "FRMRPageCount must be at least 16")
    rejects(AdapterInfo.NdkAdapterInfo, { ...info, RdmaTechnology: 5 }, "NDK_RDMA_TECHNOLOGY", "got 5")
    rejects(AdapterInfo.NdkAdapterInfo, { ...info, MaxRegistrationSize: 1 }, "MaxRegistrationSize")
    // errors: "all" reports every bad field at once
    rejects(AdapterInfo.NdkAdapterInfo, { ...info, VendorId: -1, DeviceId: -2 }, "VendorId", "DeviceId")
  })

  it("NDK_ADAPTER_INFO: layout facts (x64 offsets and size)", () => {
    assert.strictEqual(AdapterInfo.SIZE, 0x68)
    assert.strictEqual(AdapterInfo.SIZE_WITHOUT_RDMA_TECHNOLOGY, 0x60)
    assert.strictEqual(AdapterInfo.offsets.RdmaTechnology, AdapterInfo.SIZE_WITHOUT_RDMA_TECHNOLOGY)
    assert.deepStrictEqual(Object.keys(AdapterInfo.offsets), Object.keys(info))
    const offsets = Object.values(AdapterInfo.offsets)
    assert.deepStrictEqual([...offsets].sort((a, b) => a - b), offsets)
    assert.isFalse(AdapterInfo.supportsSrq(info))
  })

  it("NDK_RESULT: unsigned status, ULONG byte count, opaque contexts", () => {
    const ctx = { any: "thing" }
    accepts(NdkResult.NdkResult, { Status: 0xC0000120, BytesTransferred: 0, QPContext: ctx, RequestContext: null })
    rejects(
      NdkResult.NdkResult,
      { Status: -1073741536, BytesTransferred: 0, QPContext: 1, RequestContext: 2 },
      "Status",
      "got -1073741536"
    )
  })

  it("R163: NDK_RESULT_EX rejects a non-zero ProviderErrorCode on success and an undefined operation type", () => {
    const ok = {
      Status: 0,
      BytesTransferred: 64,
      QPContext: 1,
      RequestContext: 2,
      Type: 0x8001,
      ProviderErrorCode: 0,
      TypeSpecificCompletionOutput: 0x1234
    }
    accepts(NdkResult.NdkResultEx, ok)
    accepts(NdkResult.NdkResultEx, { ...ok, Status: 0xC000003E, ProviderErrorCode: 77 })
    rejects(NdkResult.NdkResultEx, { ...ok, ProviderErrorCode: 77 }, "ProviderErrorCode must be 0 for a successful")
    rejects(NdkResult.NdkResultEx, { ...ok, Type: 3 }, "expected an NDK_OPERATION_TYPE", "NDK_OPERATION_TYPE(0x3)")
    rejects(NdkResult.NdkResultEx, { ...ok, Type: 0xffff8001 }, "NDK_OPERATION_TYPE(0xFFFF8001)")
    assert.deepStrictEqual(NdkResult.toResult(ok as NdkResult.NdkResultEx), {
      Status: 0,
      BytesTransferred: 64,
      QPContext: 1,
      RequestContext: 2
    })
  })

  it("NDK_SGE", () => {
    accepts(Sge.NdkSge, Sge.make(0x1000n, 4096, 0xABCD))
    rejects(Sge.NdkSge, { VirtualAddress: -1n, Length: 1, MemoryRegionToken: 1 }, "VirtualAddress")
    rejects(Sge.NdkSge, { VirtualAddress: 1n, Length: 1, MemoryRegionToken: 2 ** 32 }, "MemoryRegionToken")
    assert.strictEqual(Sge.totalLength([Sge.make(0n, 10, 0), Sge.make(0n, 20, 0), Sge.make(0n, 40, 0)], 2), 30)
  })

  it("NDK_OBJECT_HEADER: live object type, version, four reserved slots", () => {
    const h = ObjectHeader.make(3, NdkVersion.V2_1)
    accepts(ObjectHeader.NdkObjectHeader, h)
    assert.deepStrictEqual(h.NdkReserved.rf, [null, null, null, null])
    rejects(ObjectHeader.NdkObjectHeader, { ...h, ObjectType: 0 }, "NdkObjectTypeUndefined")
    rejects(ObjectHeader.NdkObjectHeader, { ...h, ObjectType: 11 }, "NdkObjectTypeMax")
    rejects(ObjectHeader.NdkObjectHeader, { ...h, NdkReserved: { rf: [null, null, null] } }, "rf")
    assert.strictEqual(ObjectHeader.SIZE, 0x28)
  })

  it("NDK_LOGICAL_ADDRESS_MAPPING: page-aligned pages, count equals array length", () => {
    accepts(LogicalAddressMapping.NdkLogicalAddressMapping, {
      AdapterContext: "p",
      AdapterPageCount: 2,
      AdapterPageArray: [0x2000n, 0x9000n]
    })
    rejects(
      LogicalAddressMapping.NdkLogicalAddressMapping,
      { AdapterContext: "p", AdapterPageCount: 1, AdapterPageArray: [0x2001n] },
      "PAGE_SIZE-aligned",
      "0x2001"
    )
    rejects(
      LogicalAddressMapping.NdkLogicalAddressMapping,
      { AdapterContext: "p", AdapterPageCount: 3, AdapterPageArray: [0x2000n] },
      "AdapterPageCount (3) must equal the number of pages (1)"
    )
    assert.strictEqual(LogicalAddressMapping.byteSize(3), 16 + 24)
  })

  it("NDK_EXTENSION_INTERFACE and GUID", () => {
    accepts(ExtensionInterface.NdkExtensionInterface, { Dispatch: {} })
    rejects(ExtensionInterface.NdkExtensionInterface, { Dispatch: null }, "expected a dispatch table")
    accepts(ExtensionInterface.Guid, "6ba7b810-9dad-11d1-80b4-00c04fd430c8")
    rejects(ExtensionInterface.Guid, "not-a-guid", "expected a GUID")
  })

  it("SockAddr: family, address of that family, port range; Winsock sizes", () => {
    accepts(SockAddr.SockAddr, SockAddr.ipv4Addr("10.0.0.1", 445))
    accepts(SockAddr.SockAddr, SockAddr.ipv6Addr("fe80::1", 0))
    accepts(SockAddr.SockAddr, SockAddr.ipv6Addr("::ffff:10.0.0.1", 5445))
    accepts(SockAddr.SockAddr, SockAddr.ipv6Addr("2001:db8:0:0:0:0:0:1", 1))
    rejects(SockAddr.SockAddr, SockAddr.ipv4Addr("10.0.0.256", 1), "expected an IPv4 address for family 2")
    rejects(SockAddr.SockAddr, SockAddr.ipv6Addr("10.0.0.1", 1), "expected an IPv6 address for family 23")
    rejects(SockAddr.SockAddr, SockAddr.ipv6Addr("1:2:3:4:5:6:7:8:9", 1), "IPv6")
    rejects(SockAddr.SockAddr, SockAddr.ipv6Addr("1::2::3", 1), "IPv6")
    rejects(SockAddr.SockAddr, SockAddr.ipv4Addr("10.0.0.1", 65536), "expected a port in 0..65535")
    rejects(SockAddr.SockAddr, { family: 3, address: "x", port: 1 }, "family")
    assert.strictEqual(SockAddr.byteLength(SockAddr.ipv4Addr("1.2.3.4", 1)), 16)
    assert.strictEqual(SockAddr.byteLength(SockAddr.ipv6Addr("::1", 1)), 28)
  })

  it("NDIS_OPEN_NDK_ADAPTER_PARAMETERS", () => {
    accepts(ProviderHost.NdisOpenNdkAdapterParameters, { Version: NdkVersion.V1_0, SwitchId: 0, VPortId: 0 })
    rejects(
      ProviderHost.NdisOpenNdkAdapterParameters,
      { Version: { Major: 70000, Minor: 0 }, SwitchId: 0, VPortId: 0 },
      "Major",
      "unsigned 16-bit"
    )
  })
})
