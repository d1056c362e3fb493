import { assert, describe, it } from "@effect/vitest"
import { NtStatus } from "../src/index.js"

describe("NtStatus", () => {
  it("R162: documented values", () => {
    assert.strictEqual(NtStatus.NtStatus.STATUS_PENDING, 0x103)
    assert.strictEqual(NtStatus.NtStatus.STATUS_INSUFFICIENT_RESOURCES, 0xC000009A)
  })
  it("statusName is total", () => {
    assert.strictEqual(NtStatus.statusName(0xC0000120), "STATUS_CANCELLED")
    assert.strictEqual(NtStatus.statusName(-1073741536), "STATUS_CANCELLED")
    assert.strictEqual(NtStatus.statusName(0x12345), "NTSTATUS(0x00012345)")
  })
  it("NT_SUCCESS", () => {
    assert.isTrue(NtStatus.isSuccess(NtStatus.NtStatus.STATUS_PENDING))
    assert.isFalse(NtStatus.isSuccess(NtStatus.NtStatus.STATUS_BUFFER_OVERFLOW))
    assert.isFalse(NtStatus.isSuccess(NtStatus.NtStatus.STATUS_CANCELLED))
  })
})
