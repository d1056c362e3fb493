/**
 * Example 3 — credit-based messaging in the style of SMB Direct: a side may send only while it holds a credit
 * (one receive the peer has posted for it); every message carries the credits its sender grants back (receives it
 * re-posted). The last credit is kept for a message that grants credits, so neither side can stall the other, and
 * a send never meets a missing receive: the NICs count zero RNR NAKs.
 */
import type * as Ndk from "@effect-ndk/consumer/Ndk"
import { Effect, Fiber } from "effect"
import type { Side } from "./World.js"
import { connect, side, world } from "./World.js"

export interface CreditsOptions {
  readonly messages: number
  readonly credits?: number
  readonly size?: number
  readonly seed?: number
}

export interface CreditsReport {
  readonly messages: number
  readonly creditMessages: number
  readonly rnrNaks: number
  readonly inOrder: boolean
}

const SLOT = 256

/** One side's credit state: posted receives (in order), credits to send, grants owed to the peer. */
const peer = (s: Side, credits: number) =>
  Effect.gen(function*() {
    const posted: Array<Ndk.Posted> = []
    let slot = 0
    const repost = Effect.suspend(() => {
      const at = (slot++ % credits) * SLOT
      return Effect.map(s.qp.postReceive([s.mr.sge(at, SLOT)], at), (p) => void posted.push(p))
    })
    for (let i = 0; i < credits; i++) yield* repost
    const state = { credits, owed: 0 }
    /** takes the oldest receive: its grant and payload */
    const take = Effect.gen(function*() {
      const c = yield* posted.shift()!.await
      const at = c.context as number
      const view = new DataView(s.mr.buffer.bytes.buffer, s.mr.buffer.bytes.byteOffset + at, 8)
      state.credits += view.getUint16(0, true)
      const seq = view.getUint32(4, true)
      yield* repost
      state.owed++
      return seq
    })
    const ready = () => posted.length > 0 && posted[0]!.done()
    const send = (seq: number, size: number) =>
      Effect.suspend(() => {
        const at = 65536 - SLOT
        const view = new DataView(s.mr.buffer.bytes.buffer, s.mr.buffer.bytes.byteOffset + at, 8)
        view.setUint16(0, state.owed, true)
        view.setUint32(4, seq, true)
        state.owed = 0
        state.credits--
        return s.qp.send([s.mr.sge(at, Math.max(8, size))])
      })
    return { state, take, ready, send }
  })

export const credits = (o: CreditsOptions) =>
  Effect.gen(function*() {
    const n = o.credits ?? 8
    const size = Math.min(o.size ?? 64, SLOT)
    const { hosts } = yield* world({ hosts: 2, seed: o.seed ?? 3 })
    const a = yield* side(hosts[0]!, { depth: n + 4 })
    const b = yield* side(hosts[1]!, { depth: n + 4 })
    // receives are posted before the connection, so the first message already finds one
    const sender = yield* peer(a, n)
    const receiver = yield* peer(b, n)
    yield* connect(a, b, 7002)
    let creditMessages = 0
    let inOrder = true
    const receiving = yield* Effect.fork(Effect.gen(function*() {
      for (let got = 0; got < o.messages;) {
        const seq = yield* receiver.take
        if (seq === 0xffffffff) continue // a pure credit message
        if (seq !== got) inOrder = false
        got++
        // grant back once half the window was re-posted, keeping the rule on the last credit
        if (receiver.state.owed >= n / 2 && receiver.state.credits >= 1) {
          creditMessages++
          yield* receiver.send(0xffffffff, 8)
        }
      }
    }))
    for (let sent = 0; sent < o.messages;) {
      while (sender.ready()) yield* sender.take
      const s = sender.state
      if (s.credits > 1 || (s.credits === 1 && s.owed > 0)) {
        yield* sender.send(sent++, size)
      } else {
        yield* sender.take
      }
    }
    yield* Fiber.join(receiving)
    const rnrNaks = hosts.reduce((t, h) => t + h.nic.stats().rnrNaks, 0)
    return { messages: o.messages, creditMessages, rnrNaks, inOrder } satisfies CreditsReport
  })

export const format = (r: CreditsReport): Array<string> => [
  `credit-based messaging: ${r.messages} messages, ${r.creditMessages} credit grants`,
  `  RNR NAKs ${r.rnrNaks}   in order ${r.inOrder ? "yes" : "NO"}`
]
