import { NdkVersion, NtStatus, ObjectHeader, ObjectType, OutParam, ProviderHost, SockAddr } from "@effect-ndk/ndkpi"
import type { NdkResult, RawInterface } from "@effect-ndk/ndkpi"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, TestClock } from "effect"
import * as Event from "../src/Event.js"
import * as EventLog from "../src/EventLog.js"
import * as Verifier from "../src/Verifier.js"
import * as FakeProvider from "./utils/FakeProvider.js"

const S = NtStatus.NtStatus
const params: ProviderHost.NdisOpenNdkAdapterParameters = { Version: NdkVersion.V2_1, SwitchId: 0, VPortId: 0 }

/** What a consumer sees after a create: the object (from the out-parameter or the create completion). */
const create = <O extends RawInterface.NdkObject>(
  fake: FakeProvider.Fake,
  call: (completion: RawInterface.NdkCreateCompletion, ctx: unknown, out: OutParam.Out<O>) => Effect.Effect<number>
) =>
  Effect.gen(function*() {
    const out = OutParam.out<O>()
    const box: { value?: O } = {}
    const status = yield* call(
      (_ctx, st, obj) =>
        Effect.sync(() => {
          if (st === S.STATUS_SUCCESS && obj !== null) box.value = obj as O
        }),
      { create: true },
      out
    )
    if (status === S.STATUS_PENDING) yield* fake.run
    return out.value ?? box.value!
  })

const noop = () => Effect.void

/** A whole life: open, create CQ/PD/QP/connector, connect, post, notify, close everything, close adapter. */
const lifetime = (fake: FakeProvider.Fake, host: ProviderHost.NdkProviderHost) =>
  Effect.gen(function*() {
    const out = OutParam.out<RawInterface.NdkAdapter>()
    yield* host.OpenNdkAdapter(null, params, out)
    const adapter = out.value!
    const A = adapter.Dispatch
    const cq = yield* create<RawInterface.NdkCq>(
      fake,
      (cc, ctx, o) => A.NdkCreateCq(adapter, 64, noop, { cq: "notify" }, null, cc, ctx, o)
    )
    const pd = yield* create<RawInterface.NdkPd>(fake, (cc, ctx, o) => A.NdkCreatePd(adapter, cc, ctx, o))
    const qp = yield* create<RawInterface.NdkQp>(
      fake,
      (cc, ctx, o) => pd.Dispatch.NdkCreateQp(pd, cq, cq, "qp", 8, 8, 1, 1, 0, cc, ctx, o)
    )
    const conn = yield* create<RawInterface.NdkConnector>(
      fake,
      (cc, ctx, o) => A.NdkCreateConnector(adapter, cc, ctx, o)
    )
    const address = SockAddr.ipv4Addr("10.0.0.1", 445)
    yield* conn.Dispatch.NdkConnect(conn, qp, address, 16, address, 16, 1, 1, null, 0, noop, {
      connect: 1
    })
    yield* fake.run
    const wr = { wr: 1 }
    yield* qp.Dispatch.NdkSend(qp, wr, [], 0, 0)
    const polled: Array<NdkResult.NdkResult> = []
    yield* cq.Dispatch.NdkGetCqResults(cq, polled, 4)
    assert.strictEqual(polled[0]?.RequestContext, wr, "the CQ entry carries the consumer's own context")
    yield* A.NdkQueryAdapterInfo(adapter, null, OutParam.inOut(0))
    yield* cq.Dispatch.NdkArmCq(cq, 1)
    fake.notify(fake.made[0] as RawInterface.NdkCq, S.STATUS_SUCCESS)
    yield* fake.run
    // a disconnect still pending when the connector is closed: the close must complete it first (R21)
    yield* conn.Dispatch.NdkDisconnect(conn, noop, { disconnect: 1 })
    yield* conn.Dispatch.NdkCloseConnector(conn, noop, { close: "connector" })
    yield* fake.run
    yield* qp.Dispatch.NdkCloseQp(qp, noop, { close: "qp" })
    yield* fake.run
    yield* pd.Dispatch.NdkClosePd(pd, noop, { close: "pd" })
    yield* fake.run
    yield* cq.Dispatch.NdkCloseCq(cq, noop, { close: "cq" })
    yield* fake.run
    yield* host.CloseNdkAdapter(null, adapter)
  })

describe("EventLog", () => {
  it.effect("the wrapper returns the provider's statuses and hands back the consumer's contexts by identity", () =>
    Effect.gen(function*() {
      const fake = FakeProvider.make({ createMode: "pending" })
      const log = EventLog.unsafeMake()
      const host = log.wrapHost(fake.host)
      assert.strictEqual(host.MiniportAdapterContext, fake.host.MiniportAdapterContext)
      const out = OutParam.out<RawInterface.NdkAdapter>()
      assert.strictEqual(yield* host.OpenNdkAdapter(null, params, out), S.STATUS_SUCCESS)
      const adapter = out.value!
      const raw = log.unwrap(adapter)
      assert.notStrictEqual(adapter, raw)
      assert.strictEqual(adapter.Header, raw.Header, "wrapped objects keep the provider's header")
      assert.strictEqual(log.objectId(adapter), log.objectId(raw))

      // a pending create: STATUS_PENDING returned as is; the completion gets the same context object
      const requestContext = { mine: "create" }
      const seen: Array<{ ctx: unknown; status: number; obj: RawInterface.NdkObject | null }> = []
      const pdOut = OutParam.out<RawInterface.NdkPd>()
      const status = yield* adapter.Dispatch.NdkCreatePd(
        adapter,
        (ctx, st, obj) =>
          Effect.sync(() => {
            seen.push({ ctx, status: st, obj })
          }),
        requestContext,
        pdOut
      )
      assert.strictEqual(status, S.STATUS_PENDING)
      assert.isUndefined(pdOut.value)
      yield* fake.run
      assert.strictEqual(seen.length, 1)
      assert.strictEqual(seen[0].ctx, requestContext)
      assert.strictEqual(seen[0].status, S.STATUS_SUCCESS)
      const pd = seen[0].obj as RawInterface.NdkPd
      assert.strictEqual(pd.Header, fake.made[0].Header)
      assert.notStrictEqual(pd, fake.made[0])
      assert.strictEqual(log.unwrap(pd), fake.made[0])

      // a function the provider does not support: its status passes through
      const ext = OutParam.out<{ readonly Dispatch: unknown }>()
      assert.strictEqual(
        yield* pd.Dispatch.NdkQueryExtension(pd, "00000000-0000-0000-0000-000000000000", NdkVersion.V2_1, ext),
        S.STATUS_NOT_SUPPORTED
      )

      // an inline create writes the wrapped object to the consumer's out-parameter
      fake.options.createMode = "inline"
      const qpOut = OutParam.out<RawInterface.NdkQp>()
      const cqOut = OutParam.out<RawInterface.NdkCq>()
      assert.strictEqual(
        yield* adapter.Dispatch.NdkCreateCq(adapter, 4, noop, "n", null, noop, "c", cqOut),
        S.STATUS_SUCCESS
      )
      const cq = cqOut.value!
      assert.strictEqual(
        yield* pd.Dispatch.NdkCreateQp(pd, cq, cq, "qp", 1, 1, 1, 1, 0, noop, "q", qpOut),
        S.STATUS_SUCCESS
      )
      const qp = qpOut.value!
      assert.strictEqual(qp.Header, fake.made[2].Header)

      // unsafe twins are wrapped: same results, the work-request context reaches the provider by identity
      const wr = { wr: "send" }
      assert.strictEqual(qp.unsafe!.NdkSend(qp, wr, [], 0, 0), S.STATUS_SUCCESS)
      assert.strictEqual(fake.posts[0], wr)
      assert.strictEqual(cq.unsafe!.NdkGetCqResults(cq, [], 4), 3)
      const unsafeEvents = log.events.filter((e) => e.unsafe === true)
      assert.deepStrictEqual(unsafeEvents.map((e) => `${e.kind} ${e.fn}`), [
        "call NdkSend",
        "return NdkSend",
        "call NdkGetCqResults",
        "return NdkGetCqResults"
      ])
      assert.strictEqual(unsafeEvents[3].value, 3)
      assert.strictEqual(unsafeEvents[0].ctx, log.contextId(wr))

      // a provider that passes the wrong context: the wrapper passes it on unchanged, the verifier sees it
      fake.options.bugs.wrongContext = "not yours"
      const mine = { mine: "resize" }
      const got: Array<unknown> = []
      yield* cq.Dispatch.NdkResizeCq(cq, 8, (ctx) => Effect.sync(() => void got.push(ctx)), mine)
      yield* fake.run
      assert.deepStrictEqual(got, ["not yours"])
      assert.strictEqual(Verifier.verify(log.events)[0]?.check, "CONTEXT_IDENTITY")
    }))

  it.effect("records seq, virtual time, small fiber ids, object ids and types, contexts by identity", () =>
    Effect.gen(function*() {
      const fake = FakeProvider.make({ createMode: "pending" })
      const log = EventLog.unsafeMake()
      const host = log.wrapHost(fake.host)
      const out = OutParam.out<RawInterface.NdkAdapter>()
      yield* host.OpenNdkAdapter(null, params, out)
      const adapter = out.value!
      yield* TestClock.adjust("1 second")
      const shared = { same: "context" }
      yield* adapter.Dispatch.NdkCreatePd(adapter, noop, shared, OutParam.out())
      yield* adapter.Dispatch.NdkCreateConnector(adapter, noop, shared, OutParam.out())
      yield* TestClock.adjust("2 seconds")
      const child = yield* Effect.fork(fake.run)
      yield* Fiber.join(child)

      const lines = log.events.map(Event.format)
      assert.deepStrictEqual(lines, [
        "#0 t=0 f1 call OpenNdkAdapter -",
        "#1 t=0 f1 return OpenNdkAdapter - link=0 status=0x00000000 created=Adapter#1",
        "#2 t=1000 f1 call NdkCreatePd Adapter#1 ctx=1",
        "#3 t=1000 f1 return NdkCreatePd Adapter#1 link=2 status=0x00000103",
        "#4 t=1000 f1 call NdkCreateConnector Adapter#1 ctx=1",
        "#5 t=1000 f1 return NdkCreateConnector Adapter#1 link=4 status=0x00000103",
        "#6 t=3000 f2 start NdkCreateCompletion Adapter#1 link=2 status=0x00000000 ctx=1 created=Pd#2",
        "#7 t=3000 f2 end NdkCreateCompletion Adapter#1 link=6",
        "#8 t=3000 f2 start NdkCreateCompletion Adapter#1 link=4 status=0x00000000 ctx=1 created=Connector#3",
        "#9 t=3000 f2 end NdkCreateCompletion Adapter#1 link=8"
      ])
      assert.strictEqual(log.contextId(shared), 1)
      assert.deepStrictEqual(log.events.map((e) => e.seq), log.events.map((_, i) => i))
    }))

  it.effect("a correct provider run verifies clean, online and at the end (inline and pending creates)", () =>
    Effect.gen(function*() {
      for (const createMode of ["inline", "pending"] as const) {
        const fake = FakeProvider.make({ createMode })
        const log = EventLog.unsafeMake()
        const online = Verifier.attach(log)
        yield* lifetime(fake, log.wrapHost(fake.host))
        assert.deepStrictEqual(online.finish().map(Verifier.format), [])
        assert.deepStrictEqual(Verifier.verify(log.events).map(Verifier.format), [])
        const fns = new Set(log.events.map((e) => e.fn))
        for (
          const fn of [
            "NdkConnect",
            "NdkRequestCompletion",
            "NdkCqNotificationCallback",
            "NdkCloseCompletion",
            "CloseNdkAdapter"
          ]
        ) {
          assert.isTrue(fns.has(fn), `${createMode}: ${fn} recorded`)
        }
        // the CQ → QP and QP → connector edges were learned: the QP's refs and the connect's refs name them
        const createQp = log.events.find((e) => e.kind === "call" && e.fn === "NdkCreateQp")!
        assert.deepStrictEqual(Object.keys(createQp.refs!), ["ReceiveCq", "InitiatorCq"])
        // the poll's completions are recorded with the ids of the post's context and of the QP's context
        const send = log.events.find((e) => e.kind === "call" && e.fn === "NdkSend")!
        const poll = log.events.find((e) => e.kind === "return" && e.fn === "NdkGetCqResults")!
        assert.strictEqual(poll.value, 1)
        assert.deepStrictEqual(poll.results, [{ ctx: send.ctx!, qpCtx: createQp.qpCtx!, status: 0, bytes: 0 }])
        assert.strictEqual(createQp.qpCtx, log.contextId("qp"))
      }
    }))

  it.effect("broken providers behind the wrapper are caught by the named check", () =>
    Effect.gen(function*() {
      const run = (bugs: FakeProvider.Bugs) =>
        Effect.gen(function*() {
          const fake = FakeProvider.make({ bugs })
          const log = EventLog.unsafeMake()
          const found: Array<Verifier.Violation> = []
          const online = Verifier.attach(log, { onViolation: (v) => found.push(v) })
          yield* lifetime(fake, log.wrapHost(fake.host))
          online.detach()
          return { first: found[0], all: online.finish() }
        })
      const double = yield* run({ doubleCompletion: true })
      assert.strictEqual(double.first?.check, "PENDING_COMPLETES_ONCE")
      const early = yield* run({ earlyClose: true })
      assert.strictEqual(early.first?.check, "CLOSE_AFTER_REQUESTS")
      assert.isTrue(early.all.some((v) => v.check === "NOTHING_AFTER_CLOSE"))
      const wrong = yield* run({ wrongContext: 42 })
      assert.strictEqual(wrong.first?.check, "CONTEXT_IDENTITY")
    }))

  it.effect("connect events hand over a wrapped connector with the registered context; a listener that closes before it is caught", () =>
    Effect.gen(function*() {
      const fake = FakeProvider.make()
      const log = EventLog.unsafeMake()
      const host = log.wrapHost(fake.host)
      const out = OutParam.out<RawInterface.NdkAdapter>()
      yield* host.OpenNdkAdapter(null, params, out)
      const adapter = out.value!
      const listenerOut = OutParam.out<RawInterface.NdkListener>()
      const eventContext = { listener: "events" }
      const delivered: Array<{ ctx: unknown; connector: RawInterface.NdkConnector }> = []
      yield* adapter.Dispatch.NdkCreateListener(
        adapter,
        (ctx, connector) => Effect.sync(() => void delivered.push({ ctx, connector })),
        eventContext,
        noop,
        null,
        listenerOut
      )
      const listener = listenerOut.value!
      fake.incoming(log.unwrap(listener))
      yield* fake.run
      assert.strictEqual(delivered.length, 1)
      assert.strictEqual(delivered[0].ctx, eventContext)
      const connector = delivered[0].connector
      assert.strictEqual(log.unwrap(connector), fake.made[1])
      assert.strictEqual(connector.Header, fake.made[1].Header)
      assert.strictEqual(yield* connector.Dispatch.NdkReject(connector, null, 0), S.STATUS_SUCCESS)
      const reject = log.events.find((e) => e.fn === "NdkReject")!
      assert.strictEqual(reject.object, log.objectId(connector))
      assert.strictEqual(reject.type, "Connector")
      // the fake does not hold a listener's close for its connectors: the verifier learned the edge from the event
      yield* listener.Dispatch.NdkCloseListener(listener, noop, null)
      yield* fake.run
      const [v] = Verifier.verify(log.events)
      assert.strictEqual(v.check, "ANTECEDENT_CLOSES_LAST")
      assert.deepStrictEqual(v.objects.map((o) => o.type), ["Listener", "Connector"])
      assert.strictEqual(v.excerpt[0].fn, "NdkConnectEventCallback")
    }))

  it.effect("a provider that starts a CQ notification inside the running one is caught (R63)", () =>
    Effect.gen(function*() {
      const fake = FakeProvider.make()
      const log = EventLog.unsafeMake()
      const host = log.wrapHost(fake.host)
      const out = OutParam.out<RawInterface.NdkAdapter>()
      yield* host.OpenNdkAdapter(null, params, out)
      const adapter = out.value!
      const cqOut = OutParam.out<RawInterface.NdkCq>()
      let depth = 0
      // the consumer re-arms inside the callback; this provider delivers the next notification synchronously
      const notification: RawInterface.NdkCqNotificationCallback = () =>
        Effect.suspend(() => {
          depth++
          if (depth > 1) return Effect.void
          fake.notify(fake.made[0] as RawInterface.NdkCq, S.STATUS_SUCCESS)
          return Effect.zipRight(cqOut.value!.Dispatch.NdkArmCq(cqOut.value!, 1), fake.run)
        })
      yield* adapter.Dispatch.NdkCreateCq(adapter, 4, notification, "cq", null, noop, null, cqOut)
      cqOut.value!.unsafe!.NdkArmCq(cqOut.value!, 1)
      fake.notify(fake.made[0] as RawInterface.NdkCq, S.STATUS_SUCCESS)
      yield* fake.run
      const [v] = Verifier.verify(log.events)
      assert.strictEqual(v.check, "CQ_NOTIFY_SERIAL")
      assert.deepStrictEqual(v.excerpt.map((e) => `${e.kind} ${e.fn}`), [
        "start NdkCqNotificationCallback",
        "start NdkCqNotificationCallback"
      ])
    }))

  it.effect("unsafe twins held as prototype methods are wrapped too, and run with their own `this`", () =>
    Effect.gen(function*() {
      class CqTwins {
        polls = 0
        NdkArmCq(): void {}
        NdkGetCqResults(): number {
          return ++this.polls
        }
        NdkGetCqResultsEx(): number {
          return 0
        }
      }
      const twins = new CqTwins()
      const rawCq: RawInterface.NdkCq = {
        Header: ObjectHeader.make(ObjectType.NdkObjectType.NdkObjectTypeCq, NdkVersion.V2_1),
        Dispatch: FakeProvider.table<RawInterface.NdkCqDispatch>("Cq", {}),
        unsafe: twins
      }
      const rawAdapter: RawInterface.NdkAdapter = {
        Header: ObjectHeader.make(ObjectType.NdkObjectType.NdkObjectTypeAdapter, NdkVersion.V2_1),
        Dispatch: FakeProvider.table<RawInterface.NdkAdapterDispatch>("Adapter", {
          NdkCreateCq: (_a, _d, _n, _nc, _af, _cc, _ctx, out) =>
            Effect.sync(() => {
              out.value = rawCq
              return S.STATUS_SUCCESS
            })
        })
      }
      const log = EventLog.unsafeMake()
      const adapter = log.wrapAdapter(rawAdapter)
      const out = OutParam.out<RawInterface.NdkCq>()
      yield* adapter.Dispatch.NdkCreateCq(adapter, 1, noop, null, null, noop, null, out)
      const cq = out.value!
      assert.deepStrictEqual(Object.keys(cq.unsafe!), ["NdkArmCq", "NdkGetCqResults", "NdkGetCqResultsEx"])
      assert.strictEqual(cq.unsafe!.NdkGetCqResults(cq, [], 1), 1)
      assert.strictEqual(cq.unsafe!.NdkGetCqResults(cq, [], 1), 2)
      assert.strictEqual(twins.polls, 2)
      assert.deepStrictEqual(
        log.events.filter((e) => e.unsafe === true && e.kind === "return").map((e) => e.value),
        [1, 2]
      )
    }))

  it.effect("a consumer closing twice is reported as a consumer violation (R31)", () =>
    Effect.gen(function*() {
      const fake = FakeProvider.make({ closeMode: "success" })
      const log = EventLog.unsafeMake()
      const host = log.wrapHost(fake.host)
      const out = OutParam.out<RawInterface.NdkAdapter>()
      yield* host.OpenNdkAdapter(null, params, out)
      const pdOut = OutParam.out<RawInterface.NdkPd>()
      yield* out.value!.Dispatch.NdkCreatePd(out.value!, noop, null, pdOut)
      const pd = pdOut.value!
      assert.strictEqual(yield* pd.Dispatch.NdkClosePd(pd, noop, null), S.STATUS_SUCCESS)
      assert.strictEqual(yield* pd.Dispatch.NdkClosePd(pd, noop, null), S.STATUS_SUCCESS)
      const [v] = Verifier.verify(log.events)
      assert.strictEqual(v.check, "DOUBLE_CLOSE")
      assert.strictEqual(v.category, "consumer")
      assert.deepStrictEqual(v.objects, [{ id: 2, type: "Pd" }])
    }))

  it.effect("same run ⇒ same JSON lines and hash; a different run ⇒ a different hash", () =>
    Effect.gen(function*() {
      const once = (createMode: "inline" | "pending", forked: boolean) =>
        Effect.gen(function*() {
          const fake = FakeProvider.make({ createMode })
          const log = EventLog.unsafeMake()
          const body = lifetime(fake, log.wrapHost(fake.host))
          yield* forked ? Effect.flatMap(Effect.fork(body), Fiber.join) : body
          return { lines: EventLog.toJsonLines(log), hash: EventLog.hash(log) }
        })
      const a = yield* once("pending", false)
      const b = yield* once("pending", true)
      const c = yield* once("inline", false)
      assert.strictEqual(a.lines, b.lines)
      assert.strictEqual(a.hash, b.hash)
      assert.match(a.hash, /^[0-9a-f]{64}$/)
      assert.notStrictEqual(a.hash, c.hash)
      const replayed = Either.getOrThrow(Event.fromJsonLines(a.lines))
      assert.strictEqual(Event.hash(replayed), a.hash)
      assert.deepStrictEqual(Verifier.verify(replayed), [])
      const lines = a.lines.split("\n")
      assert.strictEqual(lines.pop(), "", "every line ends in a newline")
      for (const line of lines) {
        const parsed: unknown = JSON.parse(line)
        assert.deepStrictEqual(Object.keys(parsed as object).slice(0, 7), [
          "seq",
          "time",
          "fiber",
          "kind",
          "fn",
          "object",
          "type"
        ])
      }
    }))

  it("JSON encoding: fixed key order, optional fields only when present", () => {
    const e: Event.Event = {
      seq: 3,
      time: 5,
      fiber: 1,
      kind: "call",
      fn: "NdkCreateQp",
      object: 2,
      type: "Pd",
      ctx: 4,
      refs: { ReceiveCq: 1, InitiatorCq: 1 }
    }
    assert.strictEqual(
      Event.toJson(e),
      `{"seq":3,"time":5,"fiber":1,"kind":"call","fn":"NdkCreateQp","object":2,"type":"Pd","ctx":4,"refs":{"ReceiveCq":1,"InitiatorCq":1}}`
    )
    assert.strictEqual(Event.toJsonLines([e, e]), `${Event.toJson(e)}\n${Event.toJson(e)}\n`)
    assert.strictEqual(Event.hash([e]), Event.hash([{ ...e }]))
    // read back: the same events, the same hash
    const back = Either.getOrThrow(Event.fromJsonLines(Event.toJsonLines([e, { ...e, seq: 4, unsafe: true }])))
    assert.deepStrictEqual(back, [e, { ...e, seq: 4, unsafe: true }])
    assert.strictEqual(Event.hash(back), Event.hash([e, { ...e, seq: 4, unsafe: true }]))
    // CQ results keep their key order and survive the round trip
    const poll: Event.Event = {
      seq: 9,
      time: 1,
      fiber: 2,
      kind: "return",
      fn: "NdkGetCqResultsEx",
      object: 3,
      type: "Cq",
      link: 8,
      value: 2,
      results: [{ ctx: 4, qpCtx: 5, status: 0, bytes: 8, opType: 2 }, {
        ctx: 6,
        qpCtx: 5,
        status: 0xC0000120,
        bytes: 0
      }]
    }
    assert.strictEqual(
      Event.toJson(poll),
      `{"seq":9,"time":1,"fiber":2,"kind":"return","fn":"NdkGetCqResultsEx","object":3,"type":"Cq","link":8,"value":2,` +
        `"results":[{"ctx":4,"qpCtx":5,"status":0,"bytes":8,"opType":2},{"ctx":6,"qpCtx":5,"status":3221225760,"bytes":0}]}`
    )
    assert.deepStrictEqual(Either.getOrThrow(Event.fromJsonLines(Event.toJsonLines([poll]))), [poll])
    assert.match(Event.format(poll), /results=\[4\/5:0x00000000,6\/5:0xc0000120\]$/)
    // bad input is a ParseError, not a throw
    assert.isTrue(Either.isLeft(Event.fromJsonLines("{not json\n")))
    assert.isTrue(
      Either.isLeft(Event.fromJsonLines(`{"seq":-1,"time":0,"fiber":0,"kind":"call","fn":"x","object":0,"type":null}`))
    )
    assert.isTrue(
      Either.isLeft(Event.fromJsonLines(`{"seq":1,"time":0,"fiber":0,"kind":"poke","fn":"x","object":0,"type":null}`))
    )
    assert.notStrictEqual(Event.hash([e]), Event.hash([{ ...e, ctx: 5 }]))
  })

  it.effect("EventLog.layer wraps the NdkProvider it is given and provides the log", () =>
    Effect.gen(function*() {
      const host = yield* ProviderHost.NdkProvider
      const log = yield* EventLog.EventLog
      const out = OutParam.out<RawInterface.NdkAdapter>()
      assert.strictEqual(yield* host.OpenNdkAdapter(null, params, out), S.STATUS_SUCCESS)
      assert.strictEqual(log.objectId(out.value), 1)
      assert.deepStrictEqual(log.events.map((e) => `${e.kind} ${e.fn}`), [
        "call OpenNdkAdapter",
        "return OpenNdkAdapter"
      ])
    }).pipe(
      Effect.provide(
        EventLog.layer.pipe(Layer.provide(Layer.succeed(ProviderHost.NdkProvider, FakeProvider.make().host)))
      )
    ))

  it.scoped("EventLog.wrap + Verifier.layerOnline: violations are seen while the run goes on", () =>
    Effect.gen(function*() {
      const host = yield* ProviderHost.NdkProvider
      const online = yield* Verifier.Online
      const out = OutParam.out<RawInterface.NdkAdapter>()
      yield* host.OpenNdkAdapter(null, params, out)
      const pdOut = OutParam.out<RawInterface.NdkPd>()
      yield* out.value!.Dispatch.NdkCreatePd(out.value!, noop, null, pdOut)
      assert.strictEqual(online.first(), undefined)
      yield* pdOut.value!.Dispatch.NdkClosePd(pdOut.value!, noop, null)
      yield* pdOut.value!.Dispatch.NdkCreateMr(pdOut.value!, false, noop, null, OutParam.out())
      assert.strictEqual(online.first()?.check, "USE_AFTER_CLOSE")
      const summary = Verifier.summarize(online.violations)
      assert.strictEqual(summary.length, Verifier.checks.length)
      assert.deepStrictEqual(summary.filter(([, n]) => n > 0).map(([c, n]) => `${c.name}=${n}`), ["USE_AFTER_CLOSE=1"])
    }).pipe(
      Effect.provide(
        Verifier.layerOnline.pipe(
          Layer.provideMerge(EventLog.wrap(Layer.sync(ProviderHost.NdkProvider, () => FakeProvider.make().host)))
        )
      )
    ))
})
