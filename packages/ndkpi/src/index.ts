/**
 * @since 0.1.0
 */
export * as AdapterFlag from "./AdapterFlag.js"

/**
 * @since 0.1.0
 */
export * as AdapterInfo from "./AdapterInfo.js"

/**
 * @since 0.1.0
 */
export * as Catalog from "./Catalog.js"

/**
 * @since 0.1.0
 */
export * as Constants from "./Constants.js"

/**
 * @since 0.1.0
 */
export * as CqNotifyType from "./CqNotifyType.js"

/**
 * @since 0.1.0
 */
export * as ExtensionInterface from "./ExtensionInterface.js"

/**
 * @since 0.1.0
 */
export * as LogicalAddressMapping from "./LogicalAddressMapping.js"

/**
 * @since 0.1.0
 */
export * as Mdl from "./Mdl.js"

/**
 * @since 0.1.0
 */
export * as MrFlag from "./MrFlag.js"

/**
 * @since 0.1.0
 */
export * as NdkError from "./NdkError.js"

/**
 * @since 0.1.0
 */
export * as NdkResult from "./NdkResult.js"

/**
 * @since 0.1.0
 */
export * as NdkVersion from "./NdkVersion.js"

/**
 * @since 0.1.0
 */
export * as NtStatus from "./NtStatus.js"

/**
 * @since 0.1.0
 */
export * as ObjectHeader from "./ObjectHeader.js"

/**
 * @since 0.1.0
 */
export * as ObjectType from "./ObjectType.js"

/**
 * @since 0.1.0
 */
export * as OpFlag from "./OpFlag.js"

/**
 * @since 0.1.0
 */
export * as OperationType from "./OperationType.js"

/**
 * @since 0.1.0
 */
export * as OutParam from "./OutParam.js"

/**
 * @since 0.1.0
 */
export * as ProviderHost from "./ProviderHost.js"

/**
 * @since 0.1.0
 */
export * as RawInterface from "./RawInterface.js"

/**
 * @since 0.1.0
 */
export * as RdmaTechnology from "./RdmaTechnology.js"

/**
 * @since 0.1.0
 */
export * as Scalar from "./Scalar.js"

/**
 * @since 0.1.0
 */
export * as Sge from "./Sge.js"

/**
 * @since 0.1.0
 */
export * as SockAddr from "./SockAddr.js"
