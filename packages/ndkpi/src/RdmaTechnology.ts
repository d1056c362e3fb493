/**
 * `NDK_RDMA_TECHNOLOGY` (SPEC.md §2.3, `ndkinfo.h`): the transport in `NDK_ADAPTER_INFO.RdmaTechnology`.
 * The values equal the `*NetworkDirectTechnology` INF keyword values.
 *
 * @since 0.1.0
 */

/**
 * Every `NDK_RDMA_TECHNOLOGY` member with its header value.
 *
 * @since 0.1.0
 * @category constants
 */
export const NdkRdmaTechnology = {
  NdkUndefined: 0,
  NdkiWarp: 1,
  NdkInfiniBand: 2,
  NdkRoCE: 3,
  NdkRoCEv2: 4,
  /** Sentinel. */
  NdkMaxTechnology: 5
} as const

/**
 * The name of an `NDK_RDMA_TECHNOLOGY` member.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkRdmaTechnologyName = keyof typeof NdkRdmaTechnology

/**
 * An `NDK_RDMA_TECHNOLOGY` value.
 *
 * @since 0.1.0
 * @category models
 */
export type NdkRdmaTechnology = typeof NdkRdmaTechnology[NdkRdmaTechnologyName]

/**
 * A value an adapter may report: anything below the `NdkMaxTechnology` sentinel.
 *
 * @since 0.1.0
 * @category models
 */
export type RdmaTransport = Exclude<NdkRdmaTechnology, 5>

/**
 * True for a value below the `NdkMaxTechnology` sentinel (`NdkUndefined` included: older adapters report it).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRdmaTechnology = (u: unknown): u is RdmaTransport =>
  typeof u === "number" && Number.isInteger(u) && u >= 0 && u < NdkRdmaTechnology.NdkMaxTechnology
