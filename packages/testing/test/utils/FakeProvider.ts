/**
 * A tiny in-test provider: just enough of the raw interface to drive the event log (adapter, CQ, PD, QP,
 * connector, listener), with its pending callbacks in a queue the test drains with `run`, and a few switches that
 * break the contract on purpose. Not a model of NDKPI.
 */
import { Catalog, NdkVersion, NtStatus, ObjectHeader, ObjectType } from "@effect-ndk/ndkpi"
import type { NdkResult, ProviderHost, RawInterface } from "@effect-ndk/ndkpi"
import { Effect } from "effect"

const S = NtStatus.NtStatus
const T = ObjectType.NdkObjectType

export interface Bugs {
  /** pending requests complete twice */
  doubleCompletion?: boolean
  /** completions pass this context instead of the consumer's */
  wrongContext?: unknown
  /** close completes at once even with requests still pending (their completions come after) */
  earlyClose?: boolean
}

export interface Options {
  /** creates: complete inline (`SUCCESS`) or through the create completion (`PENDING`) */
  createMode: "inline" | "pending"
  /** closes: `SUCCESS` at once or `PENDING` + close completion */
  closeMode: "success" | "pending"
  bugs: Bugs
}

export interface Fake {
  readonly host: ProviderHost.NdkProviderHost
  readonly options: Options
  /** Runs every queued callback (and those they queue) in order. */
  readonly run: Effect.Effect<void>
  /** Queues one CQ notification (with the registered context). */
  readonly notify: (cq: RawInterface.NdkCq, status: number) => void
  /** Queues an incoming connection on a listener. */
  readonly incoming: (listener: RawInterface.NdkListener) => void
  /** Raw objects made so far, in order. */
  readonly made: Array<RawInterface.NdkObject>
  readonly posts: Array<unknown>
}

type Table = Record<string, (...args: Array<never>) => unknown>

/** Every member answers STATUS_NOT_SUPPORTED (or nothing) unless overridden. */
export const table = <D>(kind: ObjectType.ObjectKind, overrides: Partial<D>): D => {
  const out: Table = {}
  for (const slot of Catalog.slotsOf(kind)) {
    out[slot.member] = () =>
      slot.function.returns === "NTSTATUS" ? Effect.succeed(S.STATUS_NOT_SUPPORTED) : Effect.succeed(0)
  }
  return { ...out, ...overrides } as unknown as D
}

export const make = (options: Partial<Options> = {}): Fake => {
  const opts: Options = { createMode: "inline", closeMode: "pending", bugs: {}, ...options }
  const queue: Array<Effect.Effect<void>> = []
  const made: Array<RawInterface.NdkObject> = []
  const posts: Array<unknown> = []
  const notifications = new Map<unknown, { cb: RawInterface.NdkCqNotificationCallback; ctx: unknown }>()
  const connectEvents = new Map<unknown, { cb: RawInterface.NdkConnectEventCallback; ctx: unknown }>()
  const pendingOn = new Map<unknown, Array<Effect.Effect<void>>>()
  const cqQueues = new Map<unknown, Array<NdkResult.NdkResult>>()

  const ctxOf = (ctx: unknown): unknown => ("wrongContext" in opts.bugs ? opts.bugs.wrongContext : ctx)

  const later = (owner: unknown, completion: Effect.Effect<void>) => {
    const list = pendingOn.get(owner) ?? []
    list.push(completion)
    pendingOn.set(owner, list)
    queue.push(Effect.suspend(() => {
      const i = list.indexOf(completion)
      if (i < 0) return Effect.void
      list.splice(i, 1)
      return opts.bugs.doubleCompletion === true ? Effect.zipRight(completion, completion) : completion
    }))
  }

  const pend = (owner: unknown, completion: RawInterface.NdkRequestCompletion, ctx: unknown) => {
    later(owner, completion(ctxOf(ctx), S.STATUS_SUCCESS))
    return Effect.succeed(S.STATUS_PENDING)
  }

  const close: RawInterface.NdkFnCloseObject = (obj, completion, ctx) =>
    Effect.sync(() => {
      if (opts.closeMode === "success") return S.STATUS_SUCCESS
      const list = pendingOn.get(obj) ?? []
      if (opts.bugs.earlyClose === true) {
        queue.unshift(completion(ctxOf(ctx)))
      } else {
        // cancel what is pending first, then the close completion
        for (const c of list.splice(0)) queue.push(c)
        queue.push(completion(ctxOf(ctx)))
      }
      return S.STATUS_PENDING
    })

  const created = <O extends RawInterface.NdkObject>(
    object: O,
    out: { value?: O },
    completion: RawInterface.NdkCreateCompletion,
    ctx: unknown,
    parent: unknown
  ) => {
    made.push(object)
    if (opts.createMode === "inline") {
      out.value = object
      return Effect.succeed(S.STATUS_SUCCESS)
    }
    later(parent, completion(ctxOf(ctx), S.STATUS_SUCCESS, object))
    return Effect.succeed(S.STATUS_PENDING)
  }

  const v = NdkVersion.V2_1

  const makeQp = (cq: unknown, qpContext: unknown): RawInterface.NdkQp => {
    const post = (_qp: unknown, ctx: unknown) => {
      posts.push(ctx)
      const queue = cqQueues.get(cq)
      queue?.push({ Status: S.STATUS_SUCCESS, BytesTransferred: 0, QPContext: qpContext, RequestContext: ctx })
      return S.STATUS_SUCCESS
    }
    const unsafe: RawInterface.NdkQpUnsafe = {
      NdkSend: post,
      NdkReceive: post,
      NdkBind: post,
      NdkFastRegister: post,
      NdkInvalidate: post,
      NdkRead: post,
      NdkWrite: post,
      NdkSendAndInvalidate: post
    }
    return {
      Header: ObjectHeader.make(T.NdkObjectTypeQp, v),
      Dispatch: table<RawInterface.NdkQpDispatch>("Qp", {
        NdkCloseQp: close,
        NdkSend: (qp, ctx) => Effect.sync(() => post(qp, ctx)),
        NdkBind: (qp, ctx) => Effect.sync(() => post(qp, ctx)),
        NdkFlush: () => Effect.void
      }),
      unsafe
    }
  }

  const makeCq = (): RawInterface.NdkCq => {
    const queue: Array<NdkResult.NdkResult> = []
    const cq: RawInterface.NdkCq = {
      Header: ObjectHeader.make(T.NdkObjectTypeCq, v),
      Dispatch: table<RawInterface.NdkCqDispatch>("Cq", {
        NdkCloseCq: close,
        NdkArmCq: () => Effect.void,
        NdkGetCqResults: (_cq, results, n) =>
          Effect.sync(() => {
            let i = 0
            while (i < n && queue.length > 0) results[i++] = queue.shift()!
            return i
          }),
        NdkResizeCq: (cq, _depth, completion, ctx) => pend(cq, completion, ctx)
      }),
      unsafe: {
        NdkArmCq: () => undefined,
        NdkGetCqResults: () => 3,
        NdkGetCqResultsEx: () => 0
      }
    }
    cqQueues.set(cq, queue)
    return cq
  }

  const makeConnector = (): RawInterface.NdkConnector => ({
    Header: ObjectHeader.make(T.NdkObjectTypeConnector, v),
    Dispatch: table<RawInterface.NdkConnectorDispatch>("Connector", {
      NdkCloseConnector: close,
      NdkConnect: (conn, _qp, _s, _sl, _d, _dl, _i, _o, _p, _pl, completion, ctx) => pend(conn, completion, ctx),
      NdkAccept: (conn, _qp, _i, _o, _p, _pl, _disc, _dctx, completion, ctx) => pend(conn, completion, ctx),
      NdkDisconnect: (conn, completion, ctx) => pend(conn, completion, ctx),
      NdkReject: () => Effect.succeed(S.STATUS_SUCCESS)
    })
  })

  const makePd = (): RawInterface.NdkPd => {
    const pd: RawInterface.NdkPd = {
      Header: ObjectHeader.make(T.NdkObjectTypePd, v),
      Dispatch: table<RawInterface.NdkPdDispatch>("Pd", {
        NdkClosePd: close,
        NdkCreateQp: (_pd, _rcq, _icq, _qpctx, _rd, _id, _rs, _is, _inl, completion, ctx, out) =>
          Effect.suspend(() => created(makeQp(_icq, _qpctx), out, completion, ctx, pd))
      })
    }
    return pd
  }

  const makeListener = (): RawInterface.NdkListener => ({
    Header: ObjectHeader.make(T.NdkObjectTypeListener, v),
    Dispatch: table<RawInterface.NdkListenerDispatch>("Listener", {
      NdkCloseListener: close,
      NdkListen: () => Effect.succeed(S.STATUS_SUCCESS),
      NdkControlConnectEvents: () => Effect.void
    })
  })

  const adapter: RawInterface.NdkAdapter = {
    Header: ObjectHeader.make(T.NdkObjectTypeAdapter, v),
    Dispatch: table<RawInterface.NdkAdapterDispatch>("Adapter", {
      NdkCreateCq: (_a, _depth, notification, notificationCtx, _aff, completion, ctx, out) =>
        Effect.suspend(() => {
          const cq = makeCq()
          notifications.set(cq, { cb: notification, ctx: notificationCtx })
          return created(cq, out, completion, ctx, adapter)
        }),
      NdkCreatePd: (_a, completion, ctx, out) => Effect.suspend(() => created(makePd(), out, completion, ctx, adapter)),
      NdkCreateConnector: (_a, completion, ctx, out) =>
        Effect.suspend(() => created(makeConnector(), out, completion, ctx, adapter)),
      NdkCreateListener: (_a, connectEvent, connectCtx, completion, ctx, out) =>
        Effect.suspend(() => {
          const listener = makeListener()
          connectEvents.set(listener, { cb: connectEvent, ctx: connectCtx })
          return created(listener, out, completion, ctx, adapter)
        })
    })
  }

  const host: ProviderHost.NdkProviderHost = {
    MiniportAdapterContext: "fake-miniport",
    OpenNdkAdapter: (_ctx, _params, out) =>
      Effect.sync(() => {
        out.value = adapter
        return S.STATUS_SUCCESS
      }),
    CloseNdkAdapter: () => Effect.void
  }

  const run: Effect.Effect<void> = Effect.suspend(function loop(): Effect.Effect<void> {
    const next = queue.shift()
    return next === undefined ? Effect.void : Effect.zipRight(next, Effect.suspend(loop))
  })

  return {
    host,
    options: opts,
    run,
    notify: (cq, status) => {
      const n = notifications.get(cq)
      if (n !== undefined) queue.push(n.cb(ctxOf(n.ctx), status))
    },
    incoming: (listener) => {
      const c = connectEvents.get(listener)
      if (c !== undefined) {
        const connector = makeConnector()
        made.push(connector)
        queue.push(c.cb(ctxOf(c.ctx), connector))
      }
    },
    made,
    posts
  }
}
