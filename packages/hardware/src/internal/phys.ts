/**
 * Physical memory of the simulated machine room: one WebAssembly.Memory shared by every host on a fabric, so a
 * DMA between two hosts is a copy inside one buffer (a tiny wasm `memory.copy`, with `copyWithin` as fallback).
 * Each host owns a slice of it (its arena); each NIC owns a small device-memory slice (inline buffers).
 */

// (module (import "e" "m" (memory 0)) (func (export "c") (param i32 i32 i32)
//   local.get 0 local.get 1 local.get 2 memory.copy))
const wasmBytes = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x07,
  0x01,
  0x60,
  0x03,
  0x7f,
  0x7f,
  0x7f,
  0x00,
  0x02,
  0x08,
  0x01,
  0x01,
  0x65,
  0x01,
  0x6d,
  0x02,
  0x00,
  0x00,
  0x03,
  0x02,
  0x01,
  0x00,
  0x07,
  0x05,
  0x01,
  0x01,
  0x63,
  0x00,
  0x00,
  0x0a,
  0x0e,
  0x01,
  0x0c,
  0x00,
  0x20,
  0x00,
  0x20,
  0x01,
  0x20,
  0x02,
  0xfc,
  0x0a,
  0x00,
  0x00,
  0x0b
])

export const PAGE = 4096

interface WasmApi {
  readonly Memory: new(d: { initial: number; maximum: number }) => { readonly buffer: ArrayBuffer }
  readonly Module: new(bytes: Uint8Array) => object
  readonly Instance: new(m: object, imports: object) => { readonly exports: Record<string, unknown> }
}
const wasmApi = (globalThis as unknown as { readonly WebAssembly?: WasmApi }).WebAssembly
const WASM_PAGE = 65536

/** Shared physical memory plus external stores (caller buffers registered through the slow path). */
export class PhysicalMemory {
  readonly bytes: Uint8Array
  readonly size: number
  /** store 0 is `bytes`; stores ≥ 1 are external caller buffers (slow path). */
  readonly stores: Array<Uint8Array | undefined> = []
  private readonly freeStores: Array<number> = []
  readonly copy: (dst: number, src: number, len: number) => void
  private bump = PAGE

  constructor(size: number, useWasm = true) {
    const pages = Math.max(1, Math.ceil(size / WASM_PAGE))
    this.size = pages * WASM_PAGE
    let copy: ((dst: number, src: number, len: number) => void) | undefined
    let bytes: Uint8Array
    if (useWasm && wasmApi !== undefined) {
      const memory = new wasmApi.Memory({ initial: pages, maximum: pages })
      bytes = new Uint8Array(memory.buffer)
      try {
        const mod = new wasmApi.Module(wasmBytes)
        const inst = new wasmApi.Instance(mod, { e: { m: memory } })
        const c = inst.exports["c"]
        if (typeof c === "function") copy = c as (dst: number, src: number, len: number) => void
      } catch {
        copy = undefined
      }
    } else {
      bytes = new Uint8Array(this.size)
    }
    this.bytes = bytes
    this.copy = copy ?? ((dst, src, len) => {
      bytes.copyWithin(dst, src, src + len)
    })
    this.stores.push(bytes)
  }

  /** Carves a page-aligned slice for a host arena or device memory; -1 when exhausted. */
  carve(size: number): number {
    const len = Math.ceil(size / PAGE) * PAGE
    if (this.bump + len > this.size) return -1
    const base = this.bump
    this.bump += len
    return base
  }

  addStore(buf: Uint8Array): number {
    const id = this.freeStores.pop()
    if (id !== undefined) {
      this.stores[id] = buf
      return id
    }
    this.stores.push(buf)
    return this.stores.length - 1
  }

  removeStore(id: number): void {
    if (id > 0 && this.stores[id] !== undefined) {
      this.stores[id] = undefined
      this.freeStores.push(id)
    }
  }

  /**
   * Copies between two stores (store 0 fast path). An external store is touched only inside its own view: a
   * range outside it (a caller buffer shrunk by a detached ArrayBuffer) copies nothing and returns false.
   */
  copyStores(dstStore: number, dst: number, srcStore: number, src: number, len: number): boolean {
    if (len <= 0) return true
    if (dstStore === 0 && srcStore === 0) {
      this.copy(dst, src, len)
      return true
    }
    const d = this.stores[dstStore]
    const s = this.stores[srcStore]
    if (d === undefined || s === undefined) return false
    if (dst < 0 || src < 0 || dst + len > d.length || src + len > s.length) return false
    if (d === s) d.copyWithin(dst, src, src + len)
    else d.set(s.subarray(src, src + len), dst)
    return true
  }
}

/**
 * First-fit range allocator over [base, base + size) with 64-byte granules. Not on the hot path.
 * Free ranges are kept sorted and coalesced.
 */
export class RangeAllocator {
  private starts: Array<number> = []
  private lens: Array<number> = []
  private readonly sizes = new Map<number, number>()
  used = 0

  constructor(readonly base: number, readonly size: number) {
    this.starts.push(base)
    this.lens.push(size)
  }

  alloc(size: number, align = 64): number {
    if (!(size > 0) || !Number.isFinite(size)) return -1
    const a = Math.max(64, align)
    const len = Math.ceil(size / 64) * 64
    for (let i = 0; i < this.starts.length; i++) {
      const s = this.starts[i]!
      const start = Math.ceil(s / a) * a
      const pad = start - s
      const l = this.lens[i]!
      if (l - pad >= len) {
        // split: [s, start) stays free, [start, start+len) used, rest free
        const restStart = start + len
        const restLen = l - pad - len
        const newStarts: Array<number> = []
        const newLens: Array<number> = []
        if (pad > 0) {
          newStarts.push(s)
          newLens.push(pad)
        }
        if (restLen > 0) {
          newStarts.push(restStart)
          newLens.push(restLen)
        }
        this.starts.splice(i, 1, ...newStarts)
        this.lens.splice(i, 1, ...newLens)
        this.sizes.set(start, len)
        this.used += len
        return start
      }
    }
    return -1
  }

  /** Size of the allocation starting at `addr`, or undefined. */
  sizeOf(addr: number): number | undefined {
    return this.sizes.get(addr)
  }

  free(addr: number): boolean {
    const len = this.sizes.get(addr)
    if (len === undefined) return false
    this.sizes.delete(addr)
    this.used -= len
    let i = 0
    while (i < this.starts.length && this.starts[i]! < addr) i++
    this.starts.splice(i, 0, addr)
    this.lens.splice(i, 0, len)
    // coalesce with next
    if (i + 1 < this.starts.length && addr + len === this.starts[i + 1]) {
      this.lens[i] = this.lens[i]! + this.lens[i + 1]!
      this.starts.splice(i + 1, 1)
      this.lens.splice(i + 1, 1)
    }
    // coalesce with previous
    if (i > 0 && this.starts[i - 1]! + this.lens[i - 1]! === addr) {
      this.lens[i - 1] = this.lens[i - 1]! + this.lens[i]!
      this.starts.splice(i, 1)
      this.lens.splice(i, 1)
    }
    return true
  }
}
