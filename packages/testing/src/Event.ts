/**
 * One entry of the event log: a raw provider call, its return, or the start or end of a consumer callback
 * (SPEC.md §6, §7). Events hold only numbers and strings — objects and contexts are replaced by small ids — so a
 * log exports as JSON lines and hashes to the same value whenever the same run repeats.
 *
 * @since 0.1.0
 */
import type * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { createHash } from "node:crypto"

/**
 * What happened:
 * - `call`: the consumer called a provider function (or an adapter entry point);
 * - `return`: that call returned (its Effect completed, or its `unsafe` twin returned);
 * - `start`: the provider invoked a consumer callback;
 * - `end`: that callback returned control to the provider (its Effect completed).
 *
 * @since 0.1.0
 * @category models
 */
export type EventKind = "call" | "return" | "start" | "end"

/**
 * The object kind of an id (`ObjectType.ObjectKind`), or `"Unknown"` for an object whose header carries no live
 * type.
 *
 * @since 0.1.0
 * @category models
 */
export type ObjectTypeName =
  | "Adapter"
  | "Qp"
  | "Cq"
  | "Mr"
  | "Mw"
  | "Pd"
  | "SharedEndpoint"
  | "Connector"
  | "Listener"
  | "Srq"
  | "Unknown"

/**
 * One completion read from a CQ (`NdkGetCqResults(Ex)`), contexts as ids.
 *
 * @since 0.1.0
 * @category models
 */
export interface CqResult {
  /** id of the work request's `RequestContext` */
  readonly ctx: number
  /** id of the QP's `QPContext` */
  readonly qpCtx: number
  readonly status: number
  readonly bytes: number
  /** `NDK_OPERATION_TYPE`, from `NdkGetCqResultsEx` only */
  readonly opType?: number
}

/**
 * One recorded event. Optional fields appear only where they mean something.
 *
 * @since 0.1.0
 * @category models
 */
export interface Event {
  /** 0, 1, 2, … in recording order. */
  readonly seq: number
  /** Virtual time (Effect `Clock`, milliseconds); `unsafe` calls made outside a fiber reuse the last time seen. */
  readonly time: number
  /** Small fiber id, 1, 2, … in order of first appearance in this log; 0 = not inside a fiber. */
  readonly fiber: number
  readonly kind: EventKind
  /**
   * The function: a dispatch member name as in `Catalog` (`NdkCreateCq`, `NdkCloseQp`, …), an adapter entry point
   * (`OpenNdkAdapter`, `CloseNdkAdapter`) or a callback type name (`NdkRequestCompletion`,
   * `NdkCqNotificationCallback`, …).
   */
  readonly fn: string
  /** Id of the object the call is made on or the callback belongs to; 0 = none (adapter open). */
  readonly object: number
  readonly type: ObjectTypeName | null
  /**
   * `return`: seq of its `call`. `start`: seq of the call that handed the callback to the provider (the pending
   * request, or the registration of an event callback). `end`: seq of its `start`.
   */
  readonly link?: number
  /** `return`: the NTSTATUS returned. `start`: the status passed to the callback. */
  readonly status?: number
  /** `call`: id of the request context (`RequestContext`). `start`: id of the context passed to the callback. */
  readonly ctx?: number
  /** `call`: id of the context registered with an event callback (CQ/SRQ notification, connect, disconnect). */
  readonly eventCtx?: number
  /** `call` of `NdkCreateQp(WithSrq)`: id of the `QPContext` (it comes back in the QP's CQ entries). */
  readonly qpCtx?: number
  /** `call`: the other objects the call names, by parameter role (`ReceiveCq`, `Srq`, `Qp`, `Mr`, `Mw`, …). */
  readonly refs?: Readonly<Record<string, number>>
  /** `return`: the object written to the create out-parameter. `start`: the object handed to the callback. */
  readonly created?: number
  readonly createdType?: ObjectTypeName
  /** `return` of a function that returns a count or a token instead of an NTSTATUS. */
  readonly value?: number
  /** `return` of `NdkGetCqResults(Ex)`: the completions it handed out, oldest first. */
  readonly results?: ReadonlyArray<CqResult>
  /** Present (true) when the call went through an object's `unsafe` twin. */
  readonly unsafe?: true
}

const ObjectTypeNameSchema: Schema.Schema<ObjectTypeName> = Schema.Literal(
  "Adapter",
  "Qp",
  "Cq",
  "Mr",
  "Mw",
  "Pd",
  "SharedEndpoint",
  "Connector",
  "Listener",
  "Srq",
  "Unknown"
)

const exact = <A>(schema: Schema.Schema<A>) => Schema.optionalWith(schema, { exact: true })

const CqResultSchema: Schema.Schema<CqResult> = Schema.Struct({
  ctx: Schema.NonNegativeInt,
  qpCtx: Schema.NonNegativeInt,
  status: Schema.Number,
  bytes: Schema.Number,
  opType: exact(Schema.Number)
})

/**
 * Schema of one event (what a JSON line decodes to).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Event: Schema.Schema<Event> = Schema.Struct({
  seq: Schema.NonNegativeInt,
  time: Schema.Number,
  fiber: Schema.NonNegativeInt,
  kind: Schema.Literal("call", "return", "start", "end"),
  fn: Schema.String,
  object: Schema.NonNegativeInt,
  type: Schema.NullOr(ObjectTypeNameSchema),
  link: exact(Schema.NonNegativeInt),
  status: exact(Schema.Number),
  ctx: exact(Schema.NonNegativeInt),
  eventCtx: exact(Schema.NonNegativeInt),
  qpCtx: exact(Schema.NonNegativeInt),
  refs: exact(Schema.Record({ key: Schema.String, value: Schema.NonNegativeInt })),
  created: exact(Schema.NonNegativeInt),
  createdType: exact(ObjectTypeNameSchema),
  value: exact(Schema.Number),
  results: exact(Schema.Array(CqResultSchema)),
  unsafe: exact(Schema.Literal(true))
}).annotations({ identifier: "Event" })

const decodeLines = Schema.decodeUnknownEither(Schema.Array(Schema.parseJson(Event)))

/**
 * Reads a JSON-lines export back (empty lines are skipped). Bad input is a `ParseError` naming the line (0-based
 * index among the non-empty lines), never a throw.
 *
 * @since 0.1.0
 * @category encoding
 */
export const fromJsonLines = (text: string): Either.Either<ReadonlyArray<Event>, ParseResult.ParseError> =>
  decodeLines(text.split("\n").filter((line) => line.length > 0))

const field = (key: string, value: unknown): string =>
  `${JSON.stringify(key)}:${JSON.stringify(value, (_k, v: unknown) => typeof v === "bigint" ? v.toString() : v)}`

/**
 * One event as a JSON object with its keys in a fixed order (`seq`, `time`, `fiber`, `kind`, `fn`, `object`,
 * `type`, then the optional fields in declaration order); bigints become decimal strings.
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJson = (event: Event): string => {
  const parts = [
    field("seq", event.seq),
    field("time", event.time),
    field("fiber", event.fiber),
    field("kind", event.kind),
    field("fn", event.fn),
    field("object", event.object),
    field("type", event.type)
  ]
  if (event.link !== undefined) parts.push(field("link", event.link))
  if (event.status !== undefined) parts.push(field("status", event.status))
  if (event.ctx !== undefined) parts.push(field("ctx", event.ctx))
  if (event.eventCtx !== undefined) parts.push(field("eventCtx", event.eventCtx))
  if (event.qpCtx !== undefined) parts.push(field("qpCtx", event.qpCtx))
  if (event.refs !== undefined) parts.push(field("refs", event.refs))
  if (event.created !== undefined) parts.push(field("created", event.created))
  if (event.createdType !== undefined) parts.push(field("createdType", event.createdType))
  if (event.value !== undefined) parts.push(field("value", event.value))
  if (event.results !== undefined) {
    parts.push(
      `"results":[${
        event.results.map((r) =>
          `{${
            [
              field("ctx", r.ctx),
              field("qpCtx", r.qpCtx),
              field("status", r.status),
              field("bytes", r.bytes),
              ...(r.opType !== undefined ? [field("opType", r.opType)] : [])
            ].join(",")
          }}`
        ).join(",")
      }]`
    )
  }
  if (event.unsafe !== undefined) parts.push(field("unsafe", event.unsafe))
  return `{${parts.join(",")}}`
}

/**
 * The whole log as JSON lines (one event per line, each line ending in `\n`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const toJsonLines = (events: Iterable<Event>): string => {
  let out = ""
  for (const event of events) out += toJson(event) + "\n"
  return out
}

/**
 * SHA-256 (hex) of the JSON-lines export: equal logs hash equally, so a replayed run can be compared by one
 * string.
 *
 * @since 0.1.0
 * @category encoding
 */
export const hash = (events: Iterable<Event>): string => {
  const h = createHash("sha256")
  for (const event of events) h.update(toJson(event) + "\n")
  return h.digest("hex")
}

/**
 * A compact one-line rendering for reports: `#12 t=0 f1 start NdkCloseCompletion Cq#3 link=9 ctx=4`.
 *
 * @since 0.1.0
 * @category encoding
 */
export const format = (event: Event): string => {
  const parts = [`#${event.seq}`, `t=${event.time}`, `f${event.fiber}`, event.kind, event.fn]
  parts.push(event.type === null ? "-" : `${event.type}#${event.object}`)
  if (event.link !== undefined) parts.push(`link=${event.link}`)
  if (event.status !== undefined) parts.push(`status=0x${(event.status >>> 0).toString(16).padStart(8, "0")}`)
  if (event.ctx !== undefined) parts.push(`ctx=${event.ctx}`)
  if (event.eventCtx !== undefined) parts.push(`eventCtx=${event.eventCtx}`)
  if (event.qpCtx !== undefined) parts.push(`qpCtx=${event.qpCtx}`)
  if (event.refs !== undefined) {
    parts.push(`refs={${Object.entries(event.refs).map(([k, v]) => `${k}:${v}`).join(",")}}`)
  }
  if (event.created !== undefined) parts.push(`created=${event.createdType ?? "?"}#${event.created}`)
  if (event.value !== undefined) parts.push(`value=${event.value}`)
  if (event.results !== undefined) {
    parts.push(
      `results=[${
        event.results.map((r) => `${r.ctx}/${r.qpCtx}:0x${(r.status >>> 0).toString(16).padStart(8, "0")}`).join(",")
      }]`
    )
  }
  if (event.unsafe !== undefined) parts.push("unsafe")
  return parts.join(" ")
}
