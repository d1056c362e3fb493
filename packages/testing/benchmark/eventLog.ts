/**
 * Cost of recording (same-run ratios, see scripts/bench.ts): a work-request post through a wrapped object versus
 * the provider's own object, on the `unsafe` twin and on the Effect `Dispatch`; and the extra cost of an online
 * verifier fed by the log. The provider here is a stub whose post only counts, so the ratios show the wrapper's
 * whole cost per call (two events recorded per post).
 *
 * Run: `npm run bench:testing` (add `-- --json` for JSON lines).
 */
import { Catalog, NdkVersion, NtStatus, ObjectHeader, ObjectType, OutParam } from "@effect-ndk/ndkpi"
import type { RawInterface } from "@effect-ndk/ndkpi"
import { Effect } from "effect"
import { compare, report } from "../../../scripts/bench.js"
import * as EventLog from "../src/EventLog.js"
import * as Verifier from "../src/Verifier.js"

const S = NtStatus.NtStatus
const T = ObjectType.NdkObjectType

const dispatch = <D>(kind: ObjectType.ObjectKind, members: Partial<D>): D => {
  const all: Record<string, unknown> = {}
  for (const name of Catalog.dispatchNames[kind]) all[name] = () => Effect.succeed(S.STATUS_NOT_SUPPORTED)
  return { ...all, ...members } as unknown as D
}

let posted = 0
const post = (): number => {
  posted++
  return S.STATUS_SUCCESS
}

const rawQp: RawInterface.NdkQp = {
  Header: ObjectHeader.make(T.NdkObjectTypeQp, NdkVersion.V2_1),
  Dispatch: dispatch<RawInterface.NdkQpDispatch>("Qp", { NdkSend: () => Effect.sync(post) }),
  unsafe: {
    NdkSend: post,
    NdkReceive: post,
    NdkBind: post,
    NdkFastRegister: post,
    NdkInvalidate: post,
    NdkRead: post,
    NdkWrite: post,
    NdkSendAndInvalidate: post
  }
}
const rawPd: RawInterface.NdkPd = {
  Header: ObjectHeader.make(T.NdkObjectTypePd, NdkVersion.V2_1),
  Dispatch: dispatch<RawInterface.NdkPdDispatch>("Pd", {
    NdkCreateQp: (_pd, _r, _i, _c, _rd, _id, _rs, _is, _in, _cc, _ctx, out) =>
      Effect.sync(() => {
        out.value = rawQp
        return S.STATUS_SUCCESS
      })
  })
}
const rawAdapter: RawInterface.NdkAdapter = {
  Header: ObjectHeader.make(T.NdkObjectTypeAdapter, NdkVersion.V2_1),
  Dispatch: dispatch<RawInterface.NdkAdapterDispatch>("Adapter", {
    NdkCreatePd: (_a, _cc, _ctx, out) =>
      Effect.sync(() => {
        out.value = rawPd
        return S.STATUS_SUCCESS
      })
  })
}

/** A fresh log (and optionally an online verifier) with a wrapped QP. */
const wrappedQp = (online: boolean): RawInterface.NdkQp => {
  const log = EventLog.unsafeMake()
  if (online) Verifier.attach(log)
  const adapter = log.wrapAdapter(rawAdapter)
  return Effect.runSync(Effect.gen(function*() {
    const pdOut = OutParam.out<RawInterface.NdkPd>()
    yield* adapter.Dispatch.NdkCreatePd(adapter, () => Effect.void, null, pdOut)
    const pd = pdOut.value!
    const qpOut = OutParam.out<RawInterface.NdkQp>()
    yield* pd.Dispatch.NdkCreateQp(pd, rawCq, rawCq, null, 1, 1, 1, 1, 0, () => Effect.void, null, qpOut)
    return qpOut.value!
  }))
}
const rawCq = { Header: ObjectHeader.make(T.NdkObjectTypeCq, NdkVersion.V2_1) } as unknown as RawInterface.NdkCq

const ctx = { wr: 1 }
const sgl: ReadonlyArray<never> = []

const unsafePosts = (qp: RawInterface.NdkQp, ops: number) => {
  const send = qp.unsafe!
  for (let i = 0; i < ops; i++) send.NdkSend(qp, ctx, sgl, 0, 0)
}

const effectPosts = (qp: RawInterface.NdkQp, ops: number) =>
  Effect.runSync(Effect.gen(function*() {
    for (let i = 0; i < ops; i++) yield* qp.Dispatch.NdkSend(qp, ctx, sgl, 0, 0)
  }))

const ops = 100_000

const results = [
  await compare({
    bench: "log-unsafe-post",
    metric: "ns/op wrapped ÷ raw",
    value: (n) => unsafePosts(wrappedQp(false), n),
    baseline: (n) => unsafePosts(rawQp, n),
    ops,
    kind: "time",
    target: "<= 400",
    warmupMs: 1000
  }),
  await compare({
    bench: "log-effect-post",
    metric: "ns/op wrapped ÷ raw",
    value: (n) => effectPosts(wrappedQp(false), n),
    baseline: (n) => effectPosts(rawQp, n),
    ops,
    kind: "time",
    target: "<= 20",
    warmupMs: 1000
  }),
  await compare({
    bench: "log-online-verifier",
    metric: "ns/op online ÷ log only",
    value: (n) => unsafePosts(wrappedQp(true), n),
    baseline: (n) => unsafePosts(wrappedQp(false), n),
    ops,
    kind: "time",
    target: "<= 4",
    warmupMs: 1000
  })
]
report(`event log overhead (posted ${posted} times in all)`, results)
