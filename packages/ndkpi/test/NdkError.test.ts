import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck, Option } from "effect"
import { NdkError, NtStatus } from "../src/index.js"

const S = NtStatus.NtStatus

// The class each known failing code must map to (the grouping by meaning, written out independently).
const expectedTag: Record<string, string> = {
  STATUS_BUFFER_OVERFLOW: "Overflow",
  STATUS_ACCESS_VIOLATION: "AccessViolation",
  STATUS_INVALID_PARAMETER: "InvalidParameter",
  STATUS_BUFFER_TOO_SMALL: "BufferTooSmall",
  STATUS_INVALID_PARAMETER_MIX: "InvalidParameter",
  STATUS_SHARING_VIOLATION: "AddressInUse",
  STATUS_INSUFFICIENT_RESOURCES: "InsufficientResources",
  STATUS_IO_TIMEOUT: "Timeout",
  STATUS_NOT_SUPPORTED: "NotSupported",
  STATUS_INTERNAL_ERROR: "DeviceFailure",
  STATUS_CANCELLED: "Cancelled",
  STATUS_REMOTE_RESOURCES: "RemoteError",
  STATUS_INVALID_ADDRESS: "InvalidAddress",
  STATUS_TOO_MANY_ADDRESSES: "AddressesExhausted",
  STATUS_ADDRESS_ALREADY_EXISTS: "AddressInUse",
  STATUS_CONNECTION_REFUSED: "ConnectionRefused",
  STATUS_CONNECTION_INVALID: "ConnectionInvalid",
  STATUS_NETWORK_UNREACHABLE: "Unreachable",
  STATUS_HOST_UNREACHABLE: "Unreachable",
  STATUS_CONNECTION_ABORTED: "ConnectionAborted",
  STATUS_IMPLEMENTATION_LIMIT: "InsufficientResources",
  NDIS_STATUS_BAD_VERSION: "BadVersion",
  NDIS_STATUS_ADAPTER_NOT_READY: "AdapterNotReady",
  STATUS_DEVICE_BUSY: "DeviceBusy",
  STATUS_NO_MORE_ENTRIES: "InsufficientResources",
  STATUS_UNSUCCESSFUL: "DeviceFailure",
  STATUS_INVALID_DEVICE_REQUEST: "InvalidRequest",
  STATUS_DATA_OVERRUN: "Overflow",
  STATUS_DATA_ERROR: "DeviceFailure",
  STATUS_INVALID_DEVICE_STATE: "InvalidState",
  STATUS_INVALID_BUFFER_SIZE: "InvalidParameter",
  STATUS_CONNECTION_DISCONNECTED: "ConnectionReset",
  STATUS_CONNECTION_RESET: "ConnectionReset",
  STATUS_CONNECTION_ACTIVE: "ConnectionInvalid",
  STATUS_DEVICE_REMOVED: "DeviceRemoved",
  // non-failure codes: no meaning as an error
  STATUS_SUCCESS: "StatusError",
  STATUS_PENDING: "StatusError",
  STATUS_TIMEOUT: "StatusError"
}

describe("NdkError", () => {
  it("every known status maps to its error class and back to the same status", () => {
    assert.deepStrictEqual(Object.keys(expectedTag).sort(), Object.keys(S).sort())
    for (const [name, status] of Object.entries(S)) {
      const error = NdkError.fromStatus(status)
      assert.strictEqual(error._tag, expectedTag[name], name)
      assert.strictEqual(NdkError.toStatus(error), status, name)
      assert.isTrue(NdkError.isNdkError(error))
      assert.include(error.message, name)
    }
  })

  it("every failing known status maps to a specific class (never the generic one)", () => {
    for (const [name, status] of Object.entries(S)) {
      const error = NdkError.fromStatus(status)
      assert.strictEqual(error._tag === "StatusError", NtStatus.isSuccess(status), name)
    }
  })

  it("each class lists exactly the statuses that map to it", () => {
    for (const Class of NdkError.errorClasses) {
      for (const status of Class.statuses) {
        assert.strictEqual(NdkError.fromStatus(status).constructor, Class)
      }
    }
    const listed = NdkError.errorClasses.flatMap((C) => C.statuses)
    assert.strictEqual(new Set(listed).size, listed.length, "no status in two classes")
  })

  it("unknown codes map to StatusError carrying the code; signed input is stored unsigned", () => {
    const e = NdkError.fromStatus(0xC0DE0001)
    assert.instanceOf(e, NdkError.StatusError)
    assert.strictEqual(e.status, 0xC0DE0001)
    assert.include(e.message, "NTSTATUS(0xC0DE0001)")
    const signed = NdkError.fromStatus(S.STATUS_CANCELLED | 0)
    assert.instanceOf(signed, NdkError.Cancelled)
    assert.strictEqual(signed.status, S.STATUS_CANCELLED)
  })

  it.prop(
    "the mapping is total and round-trips every unsigned 32-bit status",
    [FastCheck.nat({ max: 0xFFFFFFFF })],
    ([s]) => {
      const e = NdkError.fromStatus(s)
      assert.strictEqual(NdkError.toStatus(e), s)
      assert.strictEqual(e._tag === "StatusError", !NtStatus.isKnown(s) || NtStatus.isSuccess(s))
    }
  )

  it("fromFailure: None for success and pending, Some for failures", () => {
    assert.isTrue(Option.isNone(NdkError.fromFailure(S.STATUS_SUCCESS)))
    assert.isTrue(Option.isNone(NdkError.fromFailure(S.STATUS_PENDING)))
    const some = NdkError.fromFailure(S.STATUS_IO_TIMEOUT)
    assert.isTrue(Option.isSome(some) && some.value._tag === "Timeout")
  })

  it.effect("errors are yieldable and catchable by tag", () =>
    Effect.gen(function*() {
      const tag = yield* Effect.fail(NdkError.fromStatus(S.STATUS_CONNECTION_REFUSED)).pipe(
        Effect.catchTag("ConnectionRefused", (e) => Effect.succeed(`${e._tag}:${e.status.toString(16)}`))
      )
      assert.strictEqual(tag, "ConnectionRefused:c0000236")
    }))

  it("R156: the four retryable connect failures", () => {
    const retryable = Object.entries(S).filter(([, s]) => NdkError.isRetryableConnectFailure(s)).map(([n]) => n).sort()
    assert.deepStrictEqual(retryable, [
      "STATUS_CONNECTION_REFUSED",
      "STATUS_HOST_UNREACHABLE",
      "STATUS_IO_TIMEOUT",
      "STATUS_NETWORK_UNREACHABLE"
    ])
  })

  it("isNdkError rejects look-alikes", () => {
    assert.isFalse(NdkError.isNdkError({ _tag: "Other", status: 1 }))
    assert.isFalse(NdkError.isNdkError({ _tag: "Cancelled" }))
    assert.isFalse(NdkError.isNdkError(null))
  })
})
