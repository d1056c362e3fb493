/**
 * Which parameters of each dispatch function are objects, callbacks, contexts or object out-parameters
 * (positions as in `RawInterface`; position 0 is always the object itself). Everything not listed passes
 * through untouched.
 *
 * @internal
 */
import type { NdkResult } from "@effect-ndk/ndkpi/NdkResult"
import type { ObjectKind } from "@effect-ndk/ndkpi/ObjectType"
import type { Out } from "@effect-ndk/ndkpi/OutParam"
import type * as RawInterface from "@effect-ndk/ndkpi/RawInterface"

/** @internal */
export type EventCallbackName =
  | "NdkCqNotificationCallback"
  | "NdkSrqNotificationCallback"
  | "NdkConnectEventCallback"
  | "NdkDisconnectEventCallback"
  | "NdkDisconnectEventCallbackEx"

/** @internal */
export type Arg =
  /** another NDK object: forwarded unwrapped, its id recorded under `name` */
  | { readonly at: number; readonly role: "object"; readonly name: string }
  /** the completion callback (its type comes from the catalogue) and the position of its `RequestContext` */
  | { readonly at: number; readonly role: "completion"; readonly ctx: number }
  /** an event callback registered by the call; `target` = whose events: the object itself or the one created */
  | {
    readonly at: number
    readonly role: "event"
    readonly callback: EventCallbackName
    readonly ctx: number
    readonly target: "self" | "created"
  }
  /** the create out-parameter (`ppNdkXxx`) */
  | { readonly at: number; readonly role: "out" }
  /** the request context of a work request (it comes back in a CQ entry, not in a callback) */
  | { readonly at: number; readonly role: "wrContext" }
  /** the `QPContext` of a new QP (it comes back in the QP's CQ entries) */
  | { readonly at: number; readonly role: "qpContext" }
  /** the array a CQ poll writes its completions into */
  | { readonly at: number; readonly role: "results" }

const object = <const A extends number>(at: A, name: string) => ({ at, role: "object", name }) as const
const completion = <const A extends number, const C extends number>(at: A, ctx: C) =>
  ({ at, role: "completion", ctx }) as const
const event = <const A extends number, const C extends number>(
  at: A,
  callback: EventCallbackName,
  ctx: C,
  target: "self" | "created"
) => ({ at, role: "event", callback, ctx, target }) as const
const out = <const A extends number>(at: A) => ({ at, role: "out" }) as const
const wr = <const A extends number>(at: A) => ({ at, role: "wrContext" }) as const
const qpContext = <const A extends number>(at: A) => ({ at, role: "qpContext" }) as const
const results = <const A extends number>(at: A) => ({ at, role: "results" }) as const

// ---------------------------------------------------------------------------------------------------------------
// compile-time check of every position against the function types of RawInterface
// ---------------------------------------------------------------------------------------------------------------

type Params<F> = F extends (...args: infer P) => unknown ? P : never

/** positions whose parameter (without `| null`, and not `unknown`) is assignable to `T` */
type IndexWhere<P, T> = {
  [I in keyof P]: I extends `${infer N extends number}`
    ? (unknown extends P[I] ? never : [NonNullable<P[I]>] extends [T] ? N : never)
    : never
}[keyof P & `${number}`]

/** positions whose parameter is exactly `unknown` (contexts) */
type UnknownIndex<P> = {
  [I in keyof P]: I extends `${infer N extends number}` ? (unknown extends P[I] ? N : never) : never
}[keyof P & `${number}`]

type CompletionFn =
  | RawInterface.NdkCreateCompletion
  | RawInterface.NdkRequestCompletion
  | RawInterface.NdkCloseCompletion
type EventFn =
  | RawInterface.NdkCqNotificationCallback
  | RawInterface.NdkSrqNotificationCallback
  | RawInterface.NdkConnectEventCallback
  | RawInterface.NdkDisconnectEventCallback
  | RawInterface.NdkDisconnectEventCallbackEx

type ArgFor<F, P = Params<F>> =
  | { readonly at: IndexWhere<P, RawInterface.NdkObject>; readonly role: "object"; readonly name: string }
  | { readonly at: IndexWhere<P, CompletionFn>; readonly role: "completion"; readonly ctx: UnknownIndex<P> }
  | {
    readonly at: IndexWhere<P, EventFn>
    readonly role: "event"
    readonly callback: EventCallbackName
    readonly ctx: UnknownIndex<P>
    readonly target: "self" | "created"
  }
  | { readonly at: IndexWhere<P, Out<RawInterface.NdkObject>>; readonly role: "out" }
  | { readonly at: UnknownIndex<P>; readonly role: "wrContext" }
  | { readonly at: UnknownIndex<P>; readonly role: "qpContext" }
  | { readonly at: IndexWhere<P, ReadonlyArray<NdkResult>>; readonly role: "results" }

const close = [completion(1, 2)] as const

type Specs = {
  readonly [K in ObjectKind]: {
    readonly [M in keyof RawInterface.DispatchTables[K]]?: ReadonlyArray<ArgFor<RawInterface.DispatchTables[K][M]>>
  }
}

/** @internal */
export const specs: Specs = {
  Adapter: {
    NdkCreateCq: [event(2, "NdkCqNotificationCallback", 3, "created"), completion(5, 6), out(7)],
    NdkCreatePd: [completion(1, 2), out(3)],
    NdkCreateSharedEndpoint: [completion(3, 4), out(5)],
    NdkCreateConnector: [completion(1, 2), out(3)],
    NdkCreateListener: [event(1, "NdkConnectEventCallback", 2, "created"), completion(3, 4), out(5)],
    NdkBuildLAM: [completion(3, 4)]
  },
  Cq: {
    NdkCloseCq: close,
    NdkResizeCq: [completion(2, 3)],
    NdkGetCqResults: [results(1)],
    NdkGetCqResultsEx: [results(1)]
  },
  Mr: {
    NdkCloseMr: close,
    NdkRegisterMr: [completion(4, 5)],
    NdkDeregisterMr: [completion(1, 2)],
    NdkInitializeFastRegisterMr: [completion(3, 4)]
  },
  Mw: { NdkCloseMw: close },
  Srq: {
    NdkCloseSrq: close,
    NdkModifySrq: [completion(3, 4)],
    NdkSrqReceive: [wr(1)]
  },
  Qp: {
    NdkCloseQp: close,
    NdkSend: [wr(1)],
    NdkReceive: [wr(1)],
    NdkBind: [wr(1), object(2, "Mr"), object(3, "Mw")],
    NdkFastRegister: [wr(1), object(2, "Mr")],
    NdkInvalidate: [wr(1), object(2, "Target")],
    NdkRead: [wr(1)],
    NdkWrite: [wr(1)],
    NdkSendAndInvalidate: [wr(1)]
  },
  Pd: {
    NdkClosePd: close,
    NdkCreateMr: [completion(2, 3), out(4)],
    NdkCreateMw: [completion(1, 2), out(3)],
    NdkCreateSrq: [event(4, "NdkSrqNotificationCallback", 5, "created"), completion(7, 8), out(9)],
    NdkCreateQp: [object(1, "ReceiveCq"), object(2, "InitiatorCq"), qpContext(3), completion(9, 10), out(11)],
    NdkCreateQpWithSrq: [
      object(1, "ReceiveCq"),
      object(2, "InitiatorCq"),
      object(3, "Srq"),
      qpContext(4),
      completion(8, 9),
      out(10)
    ]
  },
  SharedEndpoint: { NdkCloseSharedEndpoint: close },
  Connector: {
    NdkCloseConnector: close,
    NdkConnect: [object(1, "Qp"), completion(10, 11)],
    NdkConnectWithSharedEndpoint: [object(1, "Qp"), object(2, "SharedEndpoint"), completion(9, 10)],
    NdkCompleteConnect: [event(1, "NdkDisconnectEventCallback", 2, "self"), completion(3, 4)],
    NdkAccept: [object(1, "Qp"), event(6, "NdkDisconnectEventCallback", 7, "self"), completion(8, 9)],
    NdkDisconnect: [completion(1, 2)],
    NdkCompleteConnectEx: [event(1, "NdkDisconnectEventCallbackEx", 2, "self"), completion(3, 4)],
    NdkAcceptEx: [object(1, "Qp"), event(6, "NdkDisconnectEventCallbackEx", 7, "self"), completion(8, 9)]
  },
  Listener: {
    NdkCloseListener: close,
    NdkListen: [completion(3, 4)]
  }
}

/** @internal */
export const specOf = (kind: ObjectKind, member: string): ReadonlyArray<Arg> =>
  (specs[kind] as unknown as Readonly<Record<string, ReadonlyArray<Arg> | undefined>>)[member] ?? []
