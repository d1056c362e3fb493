import { assert, describe, it } from "@effect/vitest"
import { NtStatus } from "../src/index.js"

// SPEC.md §5.1 and §5.2, transcribed: name and value.
const spec5 = `
STATUS_SUCCESS 0x00000000
STATUS_PENDING 0x00000103
STATUS_BUFFER_OVERFLOW 0x80000005
STATUS_ACCESS_VIOLATION 0xC0000005
STATUS_INVALID_PARAMETER 0xC000000D
STATUS_BUFFER_TOO_SMALL 0xC0000023
STATUS_INVALID_PARAMETER_MIX 0xC0000030
STATUS_SHARING_VIOLATION 0xC0000043
STATUS_INSUFFICIENT_RESOURCES 0xC000009A
STATUS_IO_TIMEOUT 0xC00000B5
STATUS_NOT_SUPPORTED 0xC00000BB
STATUS_INTERNAL_ERROR 0xC00000E5
STATUS_CANCELLED 0xC0000120
STATUS_REMOTE_RESOURCES 0xC000013D
STATUS_INVALID_ADDRESS 0xC0000141
STATUS_TOO_MANY_ADDRESSES 0xC0000209
STATUS_ADDRESS_ALREADY_EXISTS 0xC000020A
STATUS_CONNECTION_REFUSED 0xC0000236
STATUS_CONNECTION_INVALID 0xC000023A
STATUS_NETWORK_UNREACHABLE 0xC000023C
STATUS_HOST_UNREACHABLE 0xC000023D
STATUS_CONNECTION_ABORTED 0xC0000241
STATUS_IMPLEMENTATION_LIMIT 0xC000042B
NDIS_STATUS_BAD_VERSION 0xC0010004
NDIS_STATUS_ADAPTER_NOT_READY 0xC0010011
STATUS_TIMEOUT 0x00000102
STATUS_DEVICE_BUSY 0x80000011
STATUS_NO_MORE_ENTRIES 0x8000001A
STATUS_UNSUCCESSFUL 0xC0000001
STATUS_INVALID_DEVICE_REQUEST 0xC0000010
STATUS_DATA_OVERRUN 0xC000003C
STATUS_DATA_ERROR 0xC000003E
STATUS_INVALID_DEVICE_STATE 0xC0000184
STATUS_INVALID_BUFFER_SIZE 0xC0000206
STATUS_CONNECTION_DISCONNECTED 0xC000020C
STATUS_CONNECTION_RESET 0xC000020D
STATUS_CONNECTION_ACTIVE 0xC000023B
STATUS_DEVICE_REMOVED 0xC00002B6
`
  .trim()
  .split("\n")
  .map((l) => l.split(" ") as [string, string])

describe("NtStatus", () => {
  it("R162: every NTSTATUS constant equals the value in §5, and no other constant exists", () => {
    const table: Record<string, number> = NtStatus.NtStatus
    for (const [name, hex] of spec5) {
      assert.strictEqual(table[name], Number(hex), name)
    }
    assert.deepStrictEqual(Object.keys(table).sort(), spec5.map(([n]) => n).sort())
  })

  it("R162: NDIS aliases equal their NTSTATUS twins (§5.1)", () => {
    assert.strictEqual(NtStatus.NdisStatusAlias.NDIS_STATUS_SUCCESS, 0x00000000)
    assert.strictEqual(NtStatus.NdisStatusAlias.NDIS_STATUS_RESOURCES, 0xC000009A)
  })

  it("every known status has a unique name and statusName returns it", () => {
    const values = Object.values(NtStatus.NtStatus)
    assert.strictEqual(new Set(values).size, values.length)
    for (const [name, value] of Object.entries(NtStatus.NtStatus)) {
      assert.strictEqual(NtStatus.statusName(value), name)
      assert.isTrue(NtStatus.isKnown(value))
    }
  })

  it("statusName is total: signed and unsigned forms agree, unknown codes get a hex name", () => {
    assert.strictEqual(NtStatus.statusName(0xC0000120), "STATUS_CANCELLED")
    assert.strictEqual(NtStatus.statusName(-1073741536), "STATUS_CANCELLED")
    assert.strictEqual(NtStatus.statusName(0x12345), "NTSTATUS(0x00012345)")
    assert.isFalse(NtStatus.isKnown(0x12345))
  })

  it("NT_SUCCESS: success and informational codes succeed, warnings and errors fail", () => {
    assert.isTrue(NtStatus.isSuccess(NtStatus.NtStatus.STATUS_SUCCESS))
    assert.isTrue(NtStatus.isSuccess(NtStatus.NtStatus.STATUS_PENDING))
    assert.isTrue(NtStatus.isSuccess(NtStatus.NtStatus.STATUS_TIMEOUT))
    assert.isFalse(NtStatus.isSuccess(NtStatus.NtStatus.STATUS_BUFFER_OVERFLOW))
    assert.isFalse(NtStatus.isSuccess(NtStatus.NtStatus.STATUS_DEVICE_BUSY))
    assert.isFalse(NtStatus.isSuccess(NtStatus.NtStatus.STATUS_CANCELLED))
    for (const [, value] of spec5) {
      const v = Number(value)
      assert.strictEqual(NtStatus.isSuccess(v), v < 0x80000000)
    }
  })
})
