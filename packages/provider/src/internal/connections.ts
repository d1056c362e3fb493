/**
 * The connection side's entry for the adapter: the three create functions behind the adapter's
 * NdkCreateSharedEndpoint / NdkCreateConnector / NdkCreateListener slots.
 *
 * @internal
 */
import type { AdapterImpl } from "./adapter.js"
import { createConnector } from "./connector.js"
import { createListener } from "./listener.js"
import type { ConnectionObjects } from "./seam.js"
import { createSharedEndpoint } from "./sharedEndpoint.js"

/** The connection objects of the provider. */
export const connectionObjects: ConnectionObjects<AdapterImpl> = {
  createSharedEndpoint,
  createConnector,
  createListener
}
