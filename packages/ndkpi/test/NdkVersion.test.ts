import { assert, describe, it } from "@effect/vitest"
import { Mdl, NdkVersion, OutParam } from "../src/index.js"

describe("NdkVersion", () => {
  it("§2.5: version values", () => {
    assert.deepStrictEqual(
      NdkVersion.providerVersions.map(NdkVersion.format),
      ["1.1", "1.2", "2.1"]
    )
    assert.deepStrictEqual(NdkVersion.V1_0, { Major: 1, Minor: 0 })
    assert.deepStrictEqual(NdkVersion.V2_0, { Major: 2, Minor: 0 })
  })

  it("ordering", () => {
    assert.isTrue(NdkVersion.compare(NdkVersion.V1_2, NdkVersion.V2_1) < 0)
    assert.isTrue(NdkVersion.compare(NdkVersion.V2_1, NdkVersion.V1_2) > 0)
    assert.isTrue(NdkVersion.isAtLeast(NdkVersion.V2_1, NdkVersion.V1_2))
    assert.isFalse(NdkVersion.isAtLeast(NdkVersion.V1_1, NdkVersion.V1_2))
    assert.isTrue(NdkVersion.equals({ Major: 1, Minor: 2 }, NdkVersion.V1_2))
  })

  it("R33: a major the provider lacks is a bad version", () => {
    assert.deepStrictEqual(NdkVersion.negotiate(NdkVersion.V2_1, [NdkVersion.V1_2]), {
      _tag: "BadVersion",
      reason: "MajorNotSupported"
    })
  })

  it("R34: {1,0} on a 1.2 provider runs at 1.2 (the provider's highest minor)", () => {
    assert.deepStrictEqual(NdkVersion.negotiate(NdkVersion.V1_0, [NdkVersion.V1_1, NdkVersion.V1_2]), {
      _tag: "Accepted",
      version: NdkVersion.V1_2
    })
    assert.deepStrictEqual(NdkVersion.negotiate(NdkVersion.V1_1, [NdkVersion.V1_2, NdkVersion.V2_1]), {
      _tag: "Accepted",
      version: NdkVersion.V1_2
    })
  })

  it("R35: a minor above the provider's highest is a bad version", () => {
    assert.deepStrictEqual(NdkVersion.negotiate({ Major: 1, Minor: 3 }, [NdkVersion.V1_2]), {
      _tag: "BadVersion",
      reason: "MinorTooHigh"
    })
  })
})

describe("parameters", () => {
  it("Out / InOut boxes", () => {
    const o = OutParam.out<number>()
    assert.isUndefined(o.value)
    o.value = 3
    const io = OutParam.inOut(0x68)
    io.value = 0x60
    assert.deepStrictEqual([o.value, io.value], [3, 0x60])
  })

  it("MDL chains: total bytes and virtual contiguity", () => {
    const chain: Mdl.Mdl = {
      virtualAddress: 0x10000n,
      byteCount: 4096,
      next: { virtualAddress: 0x11000n, byteCount: 4096, next: { virtualAddress: 0x20000n, byteCount: 100 } }
    }
    assert.strictEqual(Mdl.chain(chain).length, 3)
    assert.strictEqual(Mdl.totalByteCount(chain), 8292n)
    assert.isTrue(Mdl.isContiguousFor(chain, 8192n))
    assert.isFalse(Mdl.isContiguousFor(chain, 8193n))
    assert.isFalse(Mdl.isContiguousFor({ virtualAddress: 0n, byteCount: 10 }, 11n))
  })
})
