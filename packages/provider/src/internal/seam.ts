/**
 * The seam between the object side of the provider (this helper's files) and the connection side
 * (connector.ts, listener.ts, sharedEndpoint.ts, cm.ts, endpoints.ts): what a connection needs from a QP,
 * and the three adapter create functions the connection side supplies.
 */
import type { Lifetime } from "@effect-ndk/lifetime"
import type {
  NdkFnCreateConnector,
  NdkFnCreateListener,
  NdkFnCreateSharedEndpoint
} from "@effect-ndk/ndkpi/RawInterface"
import type * as Effect from "effect/Effect"
import type { AdapterBase } from "./object.js"

type WithAdapter<F, A> = F extends (first: never, ...rest: infer R) => infer Ret ? (adapter: A, ...rest: R) => Ret
  : never

/** Connection state of a QP as the connection side sets it. */
export type QpConnectionState = "idle" | "connecting" | "connected" | "disconnected"

/**
 * What the connection side gets from a QP (`qpSeam(pNdkQp)`): its kernel record (for the QP → connector edge),
 * the NIC QP number (exchanged in the CM protocol), its CQs' records, and the verbs a connection drives.
 */
export interface QpSeam {
  /** the QP's kernel record (antecedent of the connector it is bound to) */
  readonly rec: Lifetime.LifetimeObject
  readonly adapter: AdapterBase
  /** NIC QP number */
  readonly qpn: number
  readonly receiveCq: Lifetime.LifetimeObject
  readonly initiatorCq: Lifetime.LifetimeObject
  /** connection state; "idle" = never connected (the only state connect/accept may start from) */
  readonly connectionState: () => QpConnectionState
  /** marks the QP as taken by a connect/accept in progress (false if it is not idle) */
  readonly beginConnect: () => boolean
  /** back to idle after a failed connect/accept (retryable, R156) */
  readonly abortConnect: () => void
  /**
   * Moves the NIC QP to connected (RTS) towards the peer: `ird` inbound reads served, `ord` outbound reads in
   * flight. Returns an NTSTATUS (STATUS_SUCCESS, or the mapped NIC code).
   */
  readonly connectToRemote: (remote: {
    readonly remoteAddress: number
    readonly remoteQpn: number
    readonly ird: number
    readonly ord: number
  }) => Effect.Effect<number>
  /** moves the NIC QP to error: every outstanding WR completes STATUS_CANCELLED (flush, disconnect, abort) */
  readonly toError: () => void
  /** the connection ended (graceful or abortive): initiator posts now return STATUS_CONNECTION_INVALID */
  readonly markDisconnected: () => void
  /**
   * Calls `onDrained` once, when the NIC QP has no DMA in flight — WRs submitted and not yet acknowledged (silent
   * ones included), a partly placed inbound message, read responses still to send — or has gone to error. An
   * event from the NIC's engine (never inline in this call unless the QP is unknown to the NIC), no polling.
   */
  readonly whenDrained: (onDrained: () => void) => void
}

/**
 * The three adapter create functions that the connection side supplies. Each takes the adapter instance
 * (`AdapterImpl`) in place of `pNdkAdapter`, then the dispatch function's other parameters.
 */
export interface ConnectionObjects<A = AdapterBase> {
  readonly createSharedEndpoint: WithAdapter<NdkFnCreateSharedEndpoint, A>
  readonly createConnector: WithAdapter<NdkFnCreateConnector, A>
  readonly createListener: WithAdapter<NdkFnCreateListener, A>
}
