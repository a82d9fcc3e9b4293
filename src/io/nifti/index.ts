// NIfTI-1/2 reading and writing. decode/encode are pure (browser-safe); readNifti, writeNifti,
// decodeNiftiAsync and readNiftiGeometry load node:fs/node:zlib lazily and only work in Node.
export { NiftiDecoder, decodeNifti, DEFAULT_MAX_BYTES, type NiftiImage, type NiftiExtension, type NiftiReadOptions, type DecoderSource } from "./decoder.js";
export { encodeNifti, encodeNiftiHeader, voxelBytesLE, type NiftiWriteOptions } from "./encode.js";
export { parseNiftiHeader, headerShape, type NiftiHeader, type HeaderLimits } from "./header.js";
export {
  resolveAffine,
  qformAffine,
  sformAffine,
  baseAffine,
  quaternionFromDirection,
  rotationFromQuaternion,
  type AffineSource,
  type AffineCheckOptions,
} from "./header-affine.js";
export { readNifti, writeNifti, decodeNiftiAsync, type NiftiFileWriteOptions } from "./node-file.js";
export { readNiftiGeometry, type NiftiGeometry } from "./read-geometry.js";
