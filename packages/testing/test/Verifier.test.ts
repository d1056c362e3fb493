import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import type { Event } from "../src/Event.js"
import * as Verifier from "../src/Verifier.js"
import type { Obj } from "./utils/LogBuilder.js"
import { LogBuilder, S } from "./utils/LogBuilder.js"

// ---------------------------------------------------------------------------------------------------------------
// scenarios
// ---------------------------------------------------------------------------------------------------------------

interface World {
  readonly b: LogBuilder
  readonly a: Obj
  readonly cq: Obj & { readonly call: number }
  readonly cqCtx: number
  readonly pd: Obj
  readonly qp: Obj
  readonly conn: Obj
}

/** adapter, CQ (with a notification context), PD, QP on that CQ, connector */
const world = (): World => {
  const b = new LogBuilder()
  const a = b.openAdapter()
  const cqCtx = b.context()
  const cq = b.create(a, "Cq", { eventCtx: cqCtx })
  const pd = b.create(a, "Pd")
  const qp = b.create(pd, "Qp", { refs: { ReceiveCq: cq.id, InitiatorCq: cq.id } })
  const conn = b.create(a, "Connector")
  return { b, a, cq, cqCtx, pd, qp, conn }
}

/** arms the CQ (unless `arm` is false), then starts a notification; returns the start's seq */
const notify = (w: World, status: number = S.STATUS_SUCCESS, ctx: number = w.cqCtx, arm = true): number => {
  if (arm) w.b.call("NdkArmCq", w.cq)
  return w.b.start("NdkCqNotificationCallback", w.cq, w.cq.call, { ctx, status })
}

/** a connect that succeeds through its completion: forms the QP → connector edge */
const connect = (w: World): void => {
  const c = w.b.pendingRequest("NdkConnect", w.conn, { Qp: w.qp.id })
  w.b.complete(c)
}

interface Case {
  readonly title: string
  readonly build: () => ReadonlyArray<Event>
  /** where the violation is found: while feeding (`online`) or by `finish` (`end`) */
  readonly when?: "online" | "end"
}

type Cases = { readonly [K in Verifier.CheckName]: { readonly pass: Array<Case>; readonly fail: Array<Case> } }

const cases: Cases = {
  PENDING_COMPLETES_ONCE: {
    pass: [{
      title: "R1: a pending NdkConnect completes exactly once",
      build: () => {
        const w = world()
        connect(w)
        return w.b.events
      }
    }, {
      title: "R8: a completion invoked inside the call, which then returns STATUS_PENDING",
      build: () => {
        const w = world()
        const c = w.b.call("NdkConnect", w.conn, { ctx: w.b.context(), refs: { Qp: w.qp.id } })
        w.b.complete(c)
        w.b.ret(c, S.STATUS_PENDING)
        return w.b.events
      }
    }],
    fail: [{
      title: "R1: a pending request completed twice",
      build: () => {
        const w = world()
        const c = w.b.pendingRequest("NdkDisconnect", w.conn)
        w.b.complete(c)
        w.b.complete(c)
        return w.b.events
      }
    }, {
      title: "R14: a close that returned STATUS_PENDING never completes",
      when: "end",
      build: () => {
        const w = world()
        w.b.close(w.conn, "pending")
        return w.b.events
      }
    }, {
      title: "R1: a pending NdkListen never completes",
      when: "end",
      build: () => {
        const w = world()
        const l = w.b.create(w.a, "Listener", { eventCtx: w.b.context() })
        w.b.pendingRequest("NdkListen", l)
        return w.b.events
      }
    }]
  },
  NO_COMPLETION_UNLESS_PENDING: {
    pass: [{
      title: "R2: a request that fails inline gets no completion",
      build: () => {
        const w = world()
        const c = w.b.call("NdkConnect", w.conn, { ctx: w.b.context(), refs: { Qp: w.qp.id } })
        w.b.ret(c, S.STATUS_INSUFFICIENT_RESOURCES)
        return w.b.events
      }
    }],
    fail: [{
      title: "R2: completion after the call returned a failure",
      build: () => {
        const w = world()
        const c = w.b.call("NdkDisconnect", w.conn, { ctx: w.b.context() })
        w.b.ret(c, S.STATUS_INSUFFICIENT_RESOURCES)
        w.b.complete(c)
        return w.b.events
      }
    }, {
      title: "R2: completion inside the call, which then returns STATUS_SUCCESS",
      build: () => {
        const w = world()
        const c = w.b.call("NdkDisconnect", w.conn, { ctx: w.b.context() })
        w.b.complete(c)
        w.b.ret(c, S.STATUS_SUCCESS)
        return w.b.events
      }
    }, {
      title: "R13: close completion after the close returned STATUS_SUCCESS",
      build: () => {
        const w = world()
        const c = w.b.close(w.conn, "success")
        w.b.complete(c)
        return w.b.events
      }
    }]
  },
  CONTEXT_IDENTITY: {
    pass: [{
      title: "R3: completion and notification carry the supplied contexts",
      build: () => {
        const w = world()
        connect(w)
        w.b.end(notify(w))
        return w.b.events
      }
    }],
    fail: [{
      title: "R3: a request completion with another context",
      build: () => {
        const w = world()
        const c = w.b.pendingRequest("NdkDisconnect", w.conn)
        w.b.complete(c, S.STATUS_SUCCESS, { ctx: 999 })
        return w.b.events
      }
    }, {
      title: "R3: a CQ notification with another context",
      build: () => {
        const w = world()
        w.b.end(notify(w, S.STATUS_SUCCESS, w.cqCtx + 100))
        return w.b.events
      }
    }]
  },
  CREATE_PENDING_NO_OUT: {
    pass: [{
      title: "R4: a pending create hands the object over in its completion only",
      build: () => {
        const w = world()
        w.b.create(w.pd, "Mr", { pending: true })
        return w.b.events
      }
    }],
    fail: [{
      title: "R4: a create returns STATUS_PENDING and writes the out-parameter",
      build: () => {
        const w = world()
        const c = w.b.call("NdkCreateMr", w.pd, { ctx: w.b.context() })
        const mr = w.b.fresh("Mr")
        w.b.ret(c, S.STATUS_PENDING, { created: mr.id, createdType: "Mr" })
        w.b.complete(c, S.STATUS_SUCCESS, { created: mr.id, createdType: "Mr" })
        return w.b.events
      }
    }]
  },
  CREATED_TYPE_MATCHES: {
    pass: [{
      title: "R5: every object handed out has the type of its create (inline, completion, connect event)",
      build: () => {
        const w = world()
        w.b.create(w.pd, "Srq", { pending: true, eventCtx: w.b.context() })
        const ev = w.b.context()
        const l = w.b.create(w.a, "Listener", { eventCtx: ev })
        const incoming = w.b.fresh("Connector")
        w.b.callback("NdkConnectEventCallback", l, l.call, { ctx: ev, created: incoming.id, createdType: "Connector" })
        return w.b.events
      }
    }],
    fail: [{
      title: "R5: NdkCreateMw writes an object whose header says MR",
      build: () => {
        const w = world()
        const c = w.b.call("NdkCreateMw", w.pd, { ctx: w.b.context() })
        const odd = w.b.fresh("Mr")
        w.b.ret(c, S.STATUS_SUCCESS, { created: odd.id, createdType: "Mr" })
        return w.b.events
      }
    }, {
      title: "R5: a connect event hands over a QP",
      build: () => {
        const w = world()
        const ev = w.b.context()
        const l = w.b.create(w.a, "Listener", { eventCtx: ev })
        const odd = w.b.fresh("Qp")
        w.b.callback("NdkConnectEventCallback", l, l.call, { ctx: ev, created: odd.id, createdType: "Qp" })
        return w.b.events
      }
    }]
  },
  WR_NEVER_PENDING: {
    pass: [{
      title: "R10: posts return STATUS_SUCCESS or fail inline",
      build: () => {
        const w = world()
        w.b.ret(w.b.call("NdkSend", w.qp, { ctx: w.b.context() }), S.STATUS_SUCCESS)
        w.b.ret(w.b.call("NdkReceive", w.qp, { ctx: w.b.context(), unsafe: true }), S.STATUS_INSUFFICIENT_RESOURCES, {
          unsafe: true
        })
        return w.b.events
      }
    }],
    fail: [{
      title: "R10: NdkWrite returns STATUS_PENDING",
      build: () => {
        const w = world()
        w.b.ret(w.b.call("NdkWrite", w.qp, { ctx: w.b.context() }), S.STATUS_PENDING)
        return w.b.events
      }
    }]
  },
  CLOSE_STATUS: {
    pass: [{
      title: "R12: close returns STATUS_SUCCESS or STATUS_PENDING",
      build: () => {
        const w = world()
        w.b.closeFully(w.conn)
        const m = w.b.create(w.pd, "Mw")
        w.b.close(m, "success")
        return w.b.events
      }
    }],
    fail: [{
      title: "R12: NdkCloseConnector returns STATUS_UNSUCCESSFUL",
      build: () => {
        const w = world()
        const c = w.b.call("NdkCloseConnector", w.conn, { ctx: w.b.context() })
        w.b.ret(c, S.STATUS_UNSUCCESSFUL)
        return w.b.events
      }
    }]
  },
  NOTHING_AFTER_CLOSE: {
    pass: [{
      title: "R15: notifications before the close, none after",
      build: () => {
        const w = world()
        w.b.end(notify(w))
        w.b.closeFully(w.qp)
        w.b.closeFully(w.cq)
        return w.b.events
      }
    }],
    fail: [{
      title: "R13: a CQ notification after the close returned STATUS_SUCCESS",
      build: () => {
        const w = world()
        w.b.closeFully(w.qp)
        w.b.call("NdkArmCq", w.cq)
        w.b.close(w.cq, "success")
        w.b.end(notify(w, S.STATUS_SUCCESS, w.cqCtx, false))
        return w.b.events
      }
    }, {
      title: "R15: a disconnect event after the connector's close completion",
      build: () => {
        const w = world()
        const ev = w.b.context()
        const cc = w.b.call("NdkCompleteConnect", w.conn, { ctx: w.b.context(), eventCtx: ev })
        w.b.ret(cc, S.STATUS_SUCCESS)
        w.b.closeFully(w.conn)
        w.b.callback("NdkDisconnectEventCallback", w.conn, cc, { ctx: ev })
        return w.b.events
      }
    }]
  },
  CLOSE_AFTER_REQUESTS: {
    pass: [{
      title: "R9/R30: connector closed inside its own connect completion; close completes after that callback returned",
      build: () => {
        const w = world()
        const c = w.b.call("NdkConnect", w.conn, { ctx: w.b.context(), refs: { Qp: w.qp.id } })
        const s = w.b.start("NdkRequestCompletion", w.conn, c, {
          ctx: w.b.events[c].ctx!,
          status: S.STATUS_CONNECTION_REFUSED
        })
        const cl = w.b.close(w.conn, "pending")
        w.b.end(s)
        w.b.complete(cl)
        w.b.ret(c, S.STATUS_PENDING)
        return w.b.events
      }
    }, {
      title: "R21: the pending request is cancelled and its callback returns before the close completion",
      build: () => {
        const w = world()
        const c = w.b.pendingRequest("NdkDisconnect", w.conn)
        const cl = w.b.close(w.conn, "pending")
        w.b.complete(c, S.STATUS_CANCELLED)
        w.b.complete(cl)
        return w.b.events
      }
    }],
    fail: [{
      title: "R16: close completion while the connect completion is still running",
      build: () => {
        const w = world()
        const c = w.b.call("NdkConnect", w.conn, { ctx: w.b.context(), refs: { Qp: w.qp.id } })
        const s = w.b.start("NdkRequestCompletion", w.conn, c, {
          ctx: w.b.events[c].ctx!,
          status: S.STATUS_CONNECTION_REFUSED
        })
        const cl = w.b.close(w.conn, "pending")
        w.b.complete(cl)
        w.b.end(s)
        w.b.ret(c, S.STATUS_PENDING)
        return w.b.events
      }
    }, {
      title: "R21: close completion before the pending request was completed",
      build: () => {
        const w = world()
        w.b.pendingRequest("NdkDisconnect", w.conn)
        const cl = w.b.close(w.conn, "pending")
        w.b.complete(cl)
        return w.b.events
      }
    }, {
      title: "R168: close returns STATUS_SUCCESS inside the object's own request completion",
      build: () => {
        const w = world()
        const c = w.b.pendingRequest("NdkDisconnect", w.conn)
        const s = w.b.start("NdkRequestCompletion", w.conn, c, { ctx: w.b.events[c].ctx!, status: S.STATUS_SUCCESS })
        w.b.close(w.conn, "success")
        w.b.end(s)
        return w.b.events
      }
    }, {
      title: "R167: a PD's close completes before its pending create",
      build: () => {
        const w = world()
        w.b.pendingRequest("NdkCreateMw", w.pd)
        w.b.closeFully(w.qp)
        w.b.closeFully(w.pd)
        return w.b.events
      }
    }]
  },
  CLOSE_AFTER_EVENTS: {
    pass: [{
      title: "R17: CQ closed inside its notification; close completion after the notification returned",
      build: () => {
        const w = world()
        w.b.closeFully(w.qp)
        const s = notify(w)
        const cl = w.b.close(w.cq, "pending")
        w.b.end(s)
        w.b.complete(cl)
        return w.b.events
      }
    }],
    fail: [{
      title: "R17: CQ close completion while its notification is still running",
      build: () => {
        const w = world()
        w.b.closeFully(w.qp)
        const s = notify(w)
        const cl = w.b.close(w.cq, "pending")
        w.b.complete(cl)
        w.b.end(s)
        return w.b.events
      }
    }, {
      title: "R20: listener close completion while its connect event is still running",
      build: () => {
        const w = world()
        const ev = w.b.context()
        const l = w.b.create(w.a, "Listener", { eventCtx: ev })
        const incoming = w.b.fresh("Connector")
        const s = w.b.start("NdkConnectEventCallback", l, l.call, {
          ctx: ev,
          created: incoming.id,
          createdType: "Connector"
        })
        w.b.close(incoming, "success")
        const cl = w.b.close(l, "pending")
        w.b.complete(cl)
        w.b.end(s)
        return w.b.events
      }
    }]
  },
  ANTECEDENT_CLOSES_LAST: {
    pass: [{
      title: "R22: PD close pends and completes after its QP's close completion returned",
      build: () => {
        const w = world()
        const cl = w.b.close(w.pd, "pending")
        w.b.closeFully(w.qp)
        w.b.complete(cl)
        return w.b.events
      }
    }, {
      title: "R25: QP closes after the connector bound to it",
      build: () => {
        const w = world()
        connect(w)
        w.b.closeFully(w.conn)
        w.b.closeFully(w.qp)
        w.b.closeFully(w.cq)
        return w.b.events
      }
    }, {
      title: "R26: MR closes after its MW was invalidated",
      build: () => {
        const w = world()
        const mr = w.b.create(w.pd, "Mr")
        const mw = w.b.create(w.pd, "Mw")
        w.b.ret(w.b.call("NdkBind", w.qp, { ctx: w.b.context(), refs: { Mr: mr.id, Mw: mw.id } }), S.STATUS_SUCCESS)
        w.b.ret(w.b.call("NdkInvalidate", w.qp, { ctx: w.b.context(), refs: { Target: mw.id } }), S.STATUS_SUCCESS)
        w.b.closeFully(mr)
        return w.b.events
      }
    }, {
      title: "R27: adapter close returns after every child closed",
      build: () => {
        const w = world()
        w.b.closeFully(w.conn)
        w.b.closeFully(w.qp)
        w.b.closeFully(w.pd)
        w.b.close(w.cq, "success")
        w.b.ret(w.b.call("CloseNdkAdapter", w.a), undefined)
        return w.b.events
      }
    }],
    fail: [{
      title: "R22: PD close completion while its QP is open",
      build: () => {
        const w = world()
        w.b.closeFully(w.pd)
        return w.b.events
      }
    }, {
      title: "R23: CQ closes (STATUS_SUCCESS) while a QP still uses it",
      build: () => {
        const w = world()
        w.b.close(w.cq, "success")
        return w.b.events
      }
    }, {
      title: "R24: SRQ close completion while a QP created with it is open",
      build: () => {
        const w = world()
        const srq = w.b.create(w.pd, "Srq", { eventCtx: w.b.context() })
        w.b.create(w.pd, "Qp", { refs: { ReceiveCq: w.cq.id, InitiatorCq: w.cq.id, Srq: srq.id }, pending: true })
        w.b.closeFully(srq)
        return w.b.events
      }
    }, {
      title: "R25: QP close completion while the connector bound to it is open",
      build: () => {
        const w = world()
        connect(w)
        w.b.closeFully(w.qp)
        return w.b.events
      }
    }, {
      title: "R26: MR close completion while an MW is bound to it",
      build: () => {
        const w = world()
        const mr = w.b.create(w.pd, "Mr")
        const mw = w.b.create(w.pd, "Mw")
        w.b.ret(w.b.call("NdkBind", w.qp, { ctx: w.b.context(), refs: { Mr: mr.id, Mw: mw.id } }), S.STATUS_SUCCESS)
        w.b.closeFully(mr)
        return w.b.events
      }
    }, {
      title: "R27: PD close completion while the QP's close completion is still running",
      build: () => {
        const w = world()
        const clQp = w.b.close(w.qp, "pending")
        const s = w.b.start("NdkCloseCompletion", w.qp, clQp, { ctx: w.b.events[clQp].ctx! })
        w.b.closeFully(w.pd)
        w.b.end(s)
        return w.b.events
      }
    }, {
      title: "R27: adapter close returns while a child is still open",
      build: () => {
        const w = world()
        w.b.ret(w.b.call("CloseNdkAdapter", w.a), undefined)
        return w.b.events
      }
    }, {
      title: "listener → connector: listener close completion while a delivered connector is open",
      build: () => {
        const w = world()
        const ev = w.b.context()
        const l = w.b.create(w.a, "Listener", { eventCtx: ev })
        const incoming = w.b.fresh("Connector")
        w.b.callback("NdkConnectEventCallback", l, l.call, { ctx: ev, created: incoming.id, createdType: "Connector" })
        w.b.closeFully(l)
        return w.b.events
      }
    }]
  },
  CQ_NOTIFY_SERIAL: {
    pass: [{
      title: "R63: the next notification starts after the previous one returned",
      build: () => {
        const w = world()
        w.b.end(notify(w))
        w.b.end(notify(w))
        return w.b.events
      }
    }],
    fail: [{
      title: "R63: a notification starts while another of the same CQ runs",
      build: () => {
        const w = world()
        const first = notify(w)
        w.b.end(notify(w))
        w.b.end(first)
        return w.b.events
      }
    }]
  },
  NOTIFY_ONLY_WHEN_ARMED: {
    pass: [{
      title: "R56/R57: each notification follows an arm; a re-arm inside the callback allows the next one",
      build: () => {
        const w = world()
        const first = notify(w)
        w.b.call("NdkArmCq", w.cq, { unsafe: true })
        w.b.end(first)
        w.b.end(notify(w, S.STATUS_SUCCESS, w.cqCtx, false))
        return w.b.events
      }
    }],
    fail: [{
      title: "R55: a notification on a CQ that was never armed",
      build: () => {
        const w = world()
        w.b.end(notify(w, S.STATUS_SUCCESS, w.cqCtx, false))
        return w.b.events
      }
    }, {
      title: "R57: two notifications for one arm",
      build: () => {
        const w = world()
        w.b.end(notify(w))
        w.b.end(notify(w, S.STATUS_SUCCESS, w.cqCtx, false))
        return w.b.events
      }
    }]
  },
  NO_EVENT_AFTER_CLOSE_CALL: {
    pass: [{
      title: "R19/R130: a notification and a connect event before the closes",
      build: () => {
        const w = world()
        w.b.closeFully(w.qp)
        w.b.end(notify(w))
        w.b.closeFully(w.cq)
        const ev = w.b.context()
        const l = w.b.create(w.a, "Listener", { eventCtx: ev })
        const incoming = w.b.fresh("Connector")
        w.b.callback("NdkConnectEventCallback", l, l.call, { ctx: ev, created: incoming.id, createdType: "Connector" })
        w.b.closeFully(incoming)
        w.b.closeFully(l)
        return w.b.events
      }
    }],
    fail: [{
      title: "R19: a notification starts after NdkCloseCq was called (close still pending)",
      build: () => {
        const w = world()
        w.b.closeFully(w.qp)
        w.b.call("NdkArmCq", w.cq)
        const cl = w.b.close(w.cq, "pending")
        w.b.end(notify(w, S.STATUS_SUCCESS, w.cqCtx, false))
        w.b.complete(cl)
        return w.b.events
      }
    }, {
      title: "R130: a connect event after NdkCloseListener was called (close still pending)",
      build: () => {
        const w = world()
        const ev = w.b.context()
        const l = w.b.create(w.a, "Listener", { eventCtx: ev })
        const cl = w.b.close(l, "pending")
        const incoming = w.b.fresh("Connector")
        w.b.callback("NdkConnectEventCallback", l, l.call, { ctx: ev, created: incoming.id, createdType: "Connector" })
        w.b.closeFully(incoming)
        w.b.complete(cl)
        return w.b.events
      }
    }]
  },
  DISCONNECT_EVENT_ONCE: {
    pass: [{
      title: "R149: one disconnect event per connection",
      build: () => {
        const w = world()
        const ev = w.b.context()
        const cc = w.b.call("NdkCompleteConnect", w.conn, { ctx: w.b.context(), eventCtx: ev })
        w.b.ret(cc, S.STATUS_SUCCESS)
        w.b.callback("NdkDisconnectEventCallback", w.conn, cc, { ctx: ev })
        w.b.closeFully(w.conn)
        return w.b.events
      }
    }],
    fail: [{
      title: "R149: the disconnect event raised twice",
      build: () => {
        const w = world()
        const ev = w.b.context()
        const cc = w.b.call("NdkAcceptEx", w.conn, { ctx: w.b.context(), eventCtx: ev, refs: { Qp: w.qp.id } })
        w.b.ret(cc, S.STATUS_SUCCESS)
        w.b.callback("NdkDisconnectEventCallbackEx", w.conn, cc, { ctx: ev, value: 0 })
        w.b.callback("NdkDisconnectEventCallbackEx", w.conn, cc, { ctx: ev, value: 7 })
        return w.b.events
      }
    }]
  },
  USE_AFTER_CLOSE: {
    pass: [{
      title: "R31: every call before the close",
      build: () => {
        const w = world()
        w.b.ret(w.b.call("NdkSend", w.qp, { ctx: w.b.context() }), S.STATUS_SUCCESS)
        w.b.closeFully(w.qp)
        return w.b.events
      }
    }],
    fail: [{
      title: "R31: a post on a QP after its close",
      build: () => {
        const w = world()
        w.b.close(w.qp, "pending")
        w.b.ret(w.b.call("NdkSend", w.qp, { ctx: w.b.context() }), S.STATUS_SUCCESS)
        return w.b.events
      }
    }, {
      title: "R31: a create naming a closed CQ",
      build: () => {
        const w = world()
        w.b.close(w.cq, "pending")
        w.b.create(w.pd, "Qp", { refs: { ReceiveCq: w.cq.id, InitiatorCq: w.cq.id } })
        return w.b.events
      }
    }]
  },
  DOUBLE_CLOSE: {
    pass: [{
      title: "R31: each object closed once",
      build: () => {
        const w = world()
        w.b.closeFully(w.conn)
        w.b.closeFully(w.qp)
        return w.b.events
      }
    }],
    fail: [{
      title: "R31: a connector closed twice",
      build: () => {
        const w = world()
        w.b.closeFully(w.conn)
        w.b.close(w.conn, "success")
        return w.b.events
      }
    }]
  }
}

// ---------------------------------------------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------------------------------------------

describe("Verifier", () => {
  it("every check has a passing and a failing scenario", () => {
    assert.deepStrictEqual(
      Object.keys(cases).sort(),
      Verifier.checks.map((c) => c.name).sort()
    )
    for (const c of Object.values(cases)) {
      assert.isAbove(c.pass.length, 0)
      assert.isAbove(c.fail.length, 0)
    }
  })

  for (const check of Verifier.checks) {
    describe(`${check.name} (${check.rules.join(", ")}, ${check.category})`, () => {
      for (const scenario of cases[check.name].pass) {
        it(`passes — ${scenario.title}`, () => {
          const violations = Verifier.verify(scenario.build())
          assert.deepStrictEqual(violations.map(Verifier.format), [])
        })
      }
      for (const scenario of cases[check.name].fail) {
        it(`fails — ${scenario.title}`, () => {
          const events = scenario.build()
          const violations = Verifier.verify(events)
          assert.isAbove(violations.length, 0, "no violation found")
          const v = violations[0]
          assert.strictEqual(v.check, check.name, Verifier.format(v))
          assert.deepStrictEqual(v.rules, check.rules)
          assert.strictEqual(v.category, check.category)
          assert.isAbove(v.objects.length, 0)
          // the excerpt: a few events of the log, in order, ending at (or before) the detecting event
          assert.isAtLeast(v.excerpt.length, 1)
          assert.isAtMost(v.excerpt.length, 6)
          for (let i = 1; i < v.excerpt.length; i++) assert.isBelow(v.excerpt[i - 1].seq, v.excerpt[i].seq)
          for (const e of v.excerpt) assert.strictEqual(events[e.seq], e)
          if (scenario.when === "end") {
            assert.strictEqual(v.at, -1)
          } else {
            assert.isAtLeast(v.at, 0)
            assert.strictEqual(v.excerpt[v.excerpt.length - 1].seq, v.at)
          }
        })
      }
    })
  }

  it("online: the violation is reported when the offending event is fed, before the log ends", () => {
    const w = world()
    const c = w.b.pendingRequest("NdkDisconnect", w.conn)
    w.b.complete(c)
    const second = w.b.complete(c)
    w.b.closeFully(w.conn)
    const seen: Array<number> = []
    let fed = -1
    const verifier = Verifier.make({ onViolation: () => seen.push(fed) })
    for (const event of w.b.events) {
      fed = event.seq
      const found = verifier.feed(event)
      if (event.seq === second) assert.strictEqual(found[0]?.check, "PENDING_COMPLETES_ONCE")
    }
    assert.deepStrictEqual(seen, [second])
    assert.strictEqual(verifier.first()?.at, second)
    assert.strictEqual(verifier.finish().length, 1)
  })

  it("format names the check, its rules and the excerpt, one event per line", () => {
    const w = world()
    w.b.ret(w.b.call("NdkWrite", w.qp, { ctx: w.b.context() }), S.STATUS_PENDING)
    const [v] = Verifier.verify(w.b.events)
    const text = Verifier.format(v)
    const lines = text.split("\n")
    assert.match(lines[0], /^WR_NEVER_PENDING \(R10, provider\): /)
    assert.strictEqual(lines.length, 1 + v.excerpt.length)
    assert.match(lines[2], /return NdkWrite Qp#\d+ link=\d+ status=0x00000103/)
  })

  it.effect("check fails with a VerificationError listing the violations, succeeds on a clean log", () =>
    Effect.gen(function*() {
      const bad = world()
      bad.b.closeFully(bad.pd)
      const exit = yield* Effect.exit(Verifier.check(bad.b.events))
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(Verifier.check(bad.b.events))
      assert.strictEqual(error._tag, "VerificationError")
      assert.strictEqual(error.violations[0].check, "ANTECEDENT_CLOSES_LAST")
      assert.include(error.message, "R22")
      const good = world()
      yield* Verifier.check(good.b.events)
    }))
})
