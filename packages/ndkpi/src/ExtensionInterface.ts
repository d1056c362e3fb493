/**
 * `NDK_EXTENSION_INTERFACE` (SPEC.md §4.8) and the GUID that names an extension. No standard extension interfaces
 * are defined (doc).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A GUID in its textual form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
 *
 * @since 0.1.0
 * @category models
 */
export type Guid = string

/**
 * Schema of a textual GUID.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Guid: Schema.Schema<Guid> = Schema.String.pipe(
  Schema.filter((s) =>
    /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s) ||
    `expected a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), got "${s}"`
  ),
  Schema.annotations({ identifier: "GUID" })
)

/**
 * `NDK_EXTENSION_INTERFACE { const VOID* Dispatch; }`: filled by `NdkQueryExtensionInterface` on success with an
 * extension-specific dispatch table.
 *
 * @since 0.1.0
 * @category models
 */
export interface NdkExtensionInterface {
  readonly Dispatch: unknown
}

/**
 * Schema of an extension interface: any defined dispatch value.
 *
 * @since 0.1.0
 * @category schemas
 */
export const NdkExtensionInterface: Schema.Schema<NdkExtensionInterface> = Schema.Struct({
  Dispatch: Schema.Unknown.pipe(
    Schema.filter((d) => (d !== undefined && d !== null) || "expected a dispatch table, got nothing")
  )
}).annotations({ identifier: "NDK_EXTENSION_INTERFACE" })
