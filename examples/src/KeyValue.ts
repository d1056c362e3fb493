/**
 * Example 4 — key-value service: the server's table lives in registered memory (slots of 64 bytes: key, version,
 * value). Clients read slots directly with RDMA read and send updates ("set slot k to v") that the server applies;
 * several clients at once, each on its own connection. Every client then reads back its own slots and checks them.
 */
import type * as NdkErrors from "@effect-ndk/ndkpi/NdkError"
import { Effect, Fiber } from "effect"
import { addr, connect, extraQp, side, world } from "./World.js"

export interface KvOptions {
  readonly clients: number
  readonly slots?: number
  readonly updatesPerClient?: number
  readonly seed?: number
}

export interface KvReport {
  readonly clients: number
  readonly updates: number
  readonly reads: number
  readonly consistent: boolean
}

const SLOT = 64

export const keyValue = (o: KvOptions) =>
  Effect.gen(function*() {
    const slots = o.slots ?? 64
    const updates = o.updatesPerClient ?? 20
    const { hosts } = yield* world({ hosts: o.clients + 1, seed: o.seed ?? 4 })
    const server = yield* side(hosts[0]!, { bytes: slots * SLOT + 4096 })
    const table = server.mr // the table: slots × 64 bytes at the start of the server's region
    const listener = yield* server.adapter.listen(addr(1, 7003))
    let applied = 0
    const sessions: Array<Fiber.Fiber<void, NdkErrors.NdkError>> = []
    const clients = []
    for (let c = 0; c < o.clients; c++) {
      const cl = yield* side(hosts[c + 1]!, { bytes: 8192 })
      // one QP per client on the server, all on the server's PD (so the table's token works for all)
      const sq = c === 0 ? server : yield* extraQp(server, { bytes: 4096 })
      yield* connect(cl, sq, 7003, listener)
      // the server's session for this client: receive an update, apply it, repeat
      const inbox = sq.mr
      sessions.push(
        yield* Effect.fork(Effect.gen(function*() {
          for (let i = 0; i < updates; i++) {
            const at = c === 0 ? slots * SLOT : 0
            const got = yield* sq.qp.receive([inbox.sge(at, 16)])
            const v = new DataView(inbox.buffer.bytes.buffer, inbox.buffer.bytes.byteOffset + at, got.bytesTransferred)
            const slot = v.getUint32(0, true)
            const value = v.getUint32(4, true)
            const t = new DataView(table.buffer.bytes.buffer, table.buffer.bytes.byteOffset + slot * SLOT, SLOT)
            t.setUint32(0, slot, true)
            t.setUint32(4, t.getUint32(4, true) + 1, true)
            t.setUint32(8, value, true)
            applied++
          }
        }))
      )
      clients.push(cl)
    }
    let reads = 0
    let consistent = true
    yield* Effect.forEach(clients, (cl, c) =>
      Effect.gen(function*() {
        const mine = (i: number) => (c + i * o.clients) % slots
        for (let i = 0; i < updates; i++) {
          const slot = mine(i)
          // read the slot's current version, then send the update
          yield* cl.qp.read([cl.mr.sge(0, SLOT)], table.buffer.address + BigInt(slot * SLOT), table.remoteToken)
          reads++
          const v = new DataView(cl.mr.buffer.bytes.buffer, cl.mr.buffer.bytes.byteOffset + 4096, 16)
          v.setUint32(0, slot, true)
          v.setUint32(4, c * 1_000_000 + i, true)
          yield* cl.qp.send([cl.mr.sge(4096, 8)])
        }
      }), { concurrency: "unbounded", discard: true })
    yield* Effect.forEach(sessions, Fiber.join, { discard: true })
    // every client reads its last value back through RDMA read
    yield* Effect.forEach(clients, (cl, c) =>
      Effect.gen(function*() {
        const i = updates - 1
        const slot = (c + i * o.clients) % slots
        yield* cl.qp.read([cl.mr.sge(0, SLOT)], table.buffer.address + BigInt(slot * SLOT), table.remoteToken)
        reads++
        const v = new DataView(cl.mr.buffer.bytes.buffer, cl.mr.buffer.bytes.byteOffset, SLOT)
        if (v.getUint32(8, true) !== c * 1_000_000 + i) consistent = false
      }), { discard: true })
    return { clients: o.clients, updates: applied, reads, consistent } satisfies KvReport
  })

export const format = (r: KvReport): Array<string> => [
  `key-value service: ${r.clients} clients, ${r.updates} updates applied by the server, ${r.reads} RDMA reads`,
  `  table consistent with every client's last write: ${r.consistent ? "yes" : "NO"}`
]
