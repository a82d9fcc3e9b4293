export { NativeError, nativeBinding } from "./binding.js";
export type { NativeBinding, NativeHandle, NativeInfo, NativeStats, NativeValue } from "./binding.js";
