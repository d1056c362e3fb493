import type { FabricCore } from "./fabric.js"

/** Maps a public Fabric service value to its core (kept out of the public type). */
export const fabricCores = new WeakMap<object, FabricCore>()
