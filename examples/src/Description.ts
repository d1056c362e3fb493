/**
 * The vocabulary's self-description: every object type with its dispatch table (functions in slot order, their
 * `NDK_FN_*` type, kind, completion callback and the NDK version that introduced them), the adapter entry points,
 * the consumer callbacks and what each version added. Built from the catalogue of `@effect-ndk/ndkpi`, so it cannot
 * drift from the interface.
 */
import { Catalog, NdkVersion, ObjectType } from "@effect-ndk/ndkpi"

/** Lays out rows as columns padded to the widest cell; the last column is not padded. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): Array<string> => {
  const all = [header, ...rows]
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? "").length)))
  return all.map((r) => r.map((cell, c) => c === r.length - 1 ? cell : cell.padEnd(widths[c])).join("  ").trimEnd())
}

const kindLabel = (f: Catalog.FunctionType): string =>
  f.kind !== "S" || f.returns === "NTSTATUS" ? f.kind : `S (${f.returns})`

const indent = (lines: ReadonlyArray<string>): Array<string> => lines.map((l) => `  ${l}`)

/** The self-description, line by line. */
export const describeVocabulary = (): ReadonlyArray<string> => {
  const lines: Array<string> = []
  const push = (...ls: ReadonlyArray<string>) => lines.push(...ls)

  push(
    "effect-ndk — the NDKPI vocabulary (@effect-ndk/ndkpi)",
    `Interface versions a provider may report: ${NdkVersion.providerVersions.map(NdkVersion.format).join(", ")}` +
      " (minor versions are cumulative; a consumer may request 1.0).",
    ""
  )

  push("Object types (NDK_OBJECT_TYPE)")
  const typeRows = Object.entries(ObjectType.NdkObjectType).map(([name, value]) => {
    const info = ObjectType.infoOf(value)
    return info === undefined
      ? [String(value), name, value === 0 ? "(never in a live header)" : "(sentinel)", "", ""]
      : [String(value), name, info.struct, info.dispatch, String(Catalog.dispatchNames[info.kind].length)]
  })
  push(...indent(table(["value", "name", "object struct", "dispatch table", "entries"], typeRows)), "")

  for (const info of ObjectType.liveObjectTypes) {
    const slots = Catalog.slotsOf(info.kind)
    push(`${info.dispatch}  (${info.name} = ${info.value}, ${slots.length} entries)`)
    const rows = slots.map((s) => [
      String(s.slot),
      s.member,
      s.function.fnType,
      kindLabel(s.function),
      s.function.completion ?? "—",
      NdkVersion.format(s.function.version)
    ])
    push(...indent(table(["slot", "member", "function type", "kind", "completion callback", "since"], rows)))
    if (info.kind === "Adapter") push("  (no close entry: an adapter is closed through NDIS or WSK)")
    push("")
  }

  push("Adapter entry points (outside the dispatch tables)")
  push(...indent(table(["name", "via", "notes"], Catalog.entryPoints.map((e) => [e.name, e.side, e.note]))), "")

  push("Consumer callbacks (each returns an Effect<void>; \"returned\" means that Effect completed)")
  push(
    ...indent(table(
      ["name", "callback type", "kind", "parameters", "since"],
      Catalog.callbackTypes.map((c) => [
        c.name,
        c.fnType,
        c.kind,
        `(${c.parameters.join(", ")})`,
        NdkVersion.format(c.version)
      ])
    )),
    ""
  )

  push("What each version added")
  const addedRows: Array<Array<string>> = [[NdkVersion.format(NdkVersion.V1_1), "the base interface", ""]]
  for (const { items, version } of NdkVersion.introductions) {
    for (const item of items) {
      const [what, where] = item._tag === "Function"
        ? [item.member, `${item.fnType}, ${item.table} slot ${item.slot}`]
        : item._tag === "Callback"
        ? [item.name, item.fnType]
        : [item.name, ""]
      addedRows.push([NdkVersion.format(version), what, where])
    }
  }
  push(...indent(table(["version", "item", "where"], addedRows)), "")

  const slotCount = ObjectType.liveObjectTypes.reduce((n, i) => n + Catalog.dispatchNames[i.kind].length, 0)
  const byKind = (k: Catalog.FunctionKind) => Catalog.functionTypes.filter((f) => f.kind === k).length
  push(
    `${Catalog.functionTypes.length} NDK_FN_* function types (${byKind("P")} may pend, ${byKind("S")} synchronous,` +
      ` ${byKind("WR")} work-request posts) fill ${slotCount} slots in ${ObjectType.liveObjectTypes.length}` +
      ` dispatch tables; ${Catalog.callbackTypes.length} consumer callback types.`
  )
  return lines
}
