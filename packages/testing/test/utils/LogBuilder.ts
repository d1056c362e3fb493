/**
 * Builds synthetic event logs by hand, for verifier tests: each helper appends the events a provider would
 * produce, and returns the seq or id the test needs to go on.
 */
import { NtStatus } from "@effect-ndk/ndkpi/NtStatus"
import type { Event, ObjectTypeName } from "../../src/Event.js"

export const S = NtStatus

type Extra = Partial<Omit<Event, "seq" | "time" | "fiber" | "kind" | "fn" | "object" | "type">>

const closeName: Readonly<Record<string, string>> = {
  Cq: "NdkCloseCq",
  Pd: "NdkClosePd",
  Mr: "NdkCloseMr",
  Mw: "NdkCloseMw",
  Srq: "NdkCloseSrq",
  Qp: "NdkCloseQp",
  SharedEndpoint: "NdkCloseSharedEndpoint",
  Connector: "NdkCloseConnector",
  Listener: "NdkCloseListener"
}

export interface Obj {
  readonly id: number
  readonly type: ObjectTypeName
}

export class LogBuilder {
  readonly events: Array<Event> = []
  private nextObject = 1
  private nextContext = 1
  time = 0

  private push(kind: Event["kind"], fn: string, object: number, type: ObjectTypeName | null, extra: Extra): number {
    const seq = this.events.length
    const event: Event = { seq, time: this.time, fiber: 1, kind, fn, object, type, ...extra }
    this.events.push(event)
    return seq
  }

  /** A new object id (for objects handed out by callbacks). */
  fresh(type: ObjectTypeName): Obj {
    return { id: this.nextObject++, type }
  }

  context(): number {
    return this.nextContext++
  }

  call(fn: string, o: Obj, extra: Extra = {}): number {
    return this.push("call", fn, o.id, o.type, extra)
  }

  ret(link: number, status: number | undefined, extra: Extra = {}): number {
    const call = this.events[link]
    return this.push(
      "return",
      call.fn,
      call.object,
      call.type,
      status === undefined ? { link, ...extra } : {
        link,
        status,
        ...extra
      }
    )
  }

  start(fn: string, o: Obj, link: number, extra: Extra = {}): number {
    return this.push("start", fn, o.id, o.type, { link, ...extra })
  }

  end(startSeq: number): number {
    const start = this.events[startSeq]
    return this.push("end", start.fn, start.object, start.type, { link: startSeq })
  }

  /** start + end of a callback. */
  callback(fn: string, o: Obj, link: number, extra: Extra = {}): number {
    const s = this.start(fn, o, link, extra)
    this.end(s)
    return s
  }

  /** Completes the request made by call `link` (context as supplied). */
  complete(link: number, status: number = S.STATUS_SUCCESS, extra: Extra = {}): number {
    const call = this.events[link]
    const fn = call.fn.startsWith("NdkClose") ? "NdkCloseCompletion" : call.fn.startsWith("NdkCreate")
      ? "NdkCreateCompletion"
      : "NdkRequestCompletion"
    const o = { id: call.object, type: call.type as ObjectTypeName }
    const passed: Extra = fn === "NdkCloseCompletion" ? { ctx: call.ctx! } : { ctx: call.ctx!, status }
    return this.callback(fn, o, link, { ...passed, ...extra })
  }

  openAdapter(): Obj {
    const c = this.push("call", "OpenNdkAdapter", 0, null, {})
    const id = this.nextObject++
    this.push("return", "OpenNdkAdapter", 0, null, {
      link: c,
      status: S.STATUS_SUCCESS,
      created: id,
      createdType: "Adapter"
    })
    return { id, type: "Adapter" }
  }

  /** A create that succeeds inline (or, with `pending`, through its create completion). */
  create(
    parent: Obj,
    type: ObjectTypeName,
    options: { readonly pending?: boolean; readonly refs?: Record<string, number>; readonly eventCtx?: number } = {}
  ): Obj & { readonly call: number } {
    const fn = type === "Qp" && options.refs?.Srq !== undefined ? "NdkCreateQpWithSrq" : `NdkCreate${type}`
    const extra: Extra = { ctx: this.context() }
    const call = this.call(fn, parent, {
      ...extra,
      ...(options.refs !== undefined ? { refs: options.refs } : {}),
      ...(options.eventCtx !== undefined ? { eventCtx: options.eventCtx } : {})
    })
    const id = this.nextObject++
    if (options.pending === true) {
      this.ret(call, S.STATUS_PENDING)
      this.complete(call, S.STATUS_SUCCESS, { created: id, createdType: type })
    } else {
      this.ret(call, S.STATUS_SUCCESS, { created: id, createdType: type })
    }
    return { id, type, call }
  }

  /** A close call; returns its seq (complete it with `complete`, or pass `success` to return SUCCESS). */
  close(o: Obj, how: "success" | "pending"): number {
    const call = this.call(closeName[o.type], o, { ctx: this.context() })
    this.ret(call, how === "success" ? S.STATUS_SUCCESS : S.STATUS_PENDING)
    return call
  }

  /** close, pending, then its close completion */
  closeFully(o: Obj): number {
    const call = this.close(o, "pending")
    this.complete(call)
    return call
  }

  /** A request that pends (e.g. `NdkConnect`); returns the call seq. */
  pendingRequest(fn: string, o: Obj, refs?: Record<string, number>): number {
    const call = this.call(fn, o, { ctx: this.context(), ...(refs !== undefined ? { refs } : {}) })
    this.ret(call, S.STATUS_PENDING)
    return call
  }
}
