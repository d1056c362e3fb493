import { Catalog, ObjectType } from "@effect-ndk/ndkpi"
import { assert, describe, it } from "@effect/vitest"
import { describeVocabulary, table } from "../src/Description.js"

describe("self-description (npm start)", () => {
  const lines = describeVocabulary()
  const text = lines.join("\n")

  it("names every object type with its value", () => {
    for (const [name, value] of Object.entries(ObjectType.NdkObjectType)) {
      assert.isTrue(lines.some((l) => l.trim().startsWith(`${value} `) && l.includes(name)), name)
    }
  })

  it("lists all 53 NDK_FN_* function types and every dispatch member in slot order", () => {
    assert.strictEqual(Catalog.functionTypes.length, 53)
    for (const f of Catalog.functionTypes) assert.include(text, f.fnType)
    for (const info of ObjectType.liveObjectTypes) {
      const start = lines.findIndex((l) => l.startsWith(info.dispatch))
      assert.isAtLeast(start, 0, info.dispatch)
      const names = Catalog.dispatchNames[info.kind]
      names.forEach((member, slot) => {
        const row = lines[start + 2 + slot].trim().split(/\s+/)
        assert.deepStrictEqual(row.slice(0, 2), [String(slot), member], `${info.dispatch} slot ${slot}`)
      })
    }
  })

  it("shows the version that introduced the later slots", () => {
    const row = (member: string) => lines.find((l) => l.trim().split(/\s+/)[1] === member)!
    assert.match(row("NdkGetCqResultsEx"), /1\.2$/)
    assert.match(row("NdkSendAndInvalidate"), /1\.2$/)
    assert.match(row("NdkCompleteConnectEx"), /2\.1$/)
    assert.match(row("NdkAcceptEx"), /2\.1$/)
    assert.match(row("NdkCreateCq"), /1\.1$/)
  })

  it("lists every consumer callback and the adapter entry points", () => {
    for (const c of Catalog.callbackTypes) assert.include(text, c.fnType)
    for (const e of ["OpenNdkAdapter", "CloseNdkAdapter", "WskOpenNdkAdapter", "WskCloseNdkAdapter"]) {
      assert.include(text, e)
    }
    assert.include(text, "53 NDK_FN_* function types")
    assert.include(text, "70 slots in 10 dispatch tables")
  })

  it("aligns columns", () => {
    assert.deepStrictEqual(table(["a", "bb", "c"], [["ccc", "d", "e"]]), ["a    bb  c", "ccc  d   e"])
  })
})
