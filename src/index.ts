// labelwise's root entry: the engine layers. Pure layers (volume, io, metrics) have their own
// subpath exports so browser code can use them without the native addon.
export * from "./tensor/index.js";
