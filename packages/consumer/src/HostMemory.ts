/**
 * The host's pinned memory as a consumer sees it: an allocator of virtual addresses with direct access to the
 * bytes (what a kernel consumer gets from a non-paged pool plus an MDL). Buffers allocated here are the fast path
 * of memory registration. Any implementation fits: the simulated host's arena, or a test double.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"

/**
 * An allocator of host virtual addresses.
 *
 * @since 0.1.0
 * @category models
 */
export interface HostMemory {
  /** allocates `size` bytes aligned to `align` (default 64); returns the virtual address, or -1 when exhausted */
  readonly alloc: (size: number, align?: number) => number
  /** releases an allocation; false if `va` is not one */
  readonly free: (va: number) => boolean
  /** a live view of the bytes at `va` (no copy) */
  readonly view: (va: number, length: number) => Uint8Array
}

/**
 * The host memory the `Ndk` service allocates buffers from.
 *
 * @since 0.1.0
 * @category tags
 */
export class HostMemoryTag extends Context.Tag("@effect-ndk/consumer/HostMemory")<HostMemoryTag, HostMemory>() {}
