// The volume layer's public door: voxel data with geometry, and the affine maths behind it.
// Pure TypeScript (no Node built-ins, no native addon): usable in the browser viewer.
export { Volume, type VolumeInit, type Shape3 } from "./volume.js";
export { asLabelVolume } from "./labels.js";
export {
  type VoxelDType,
  type VoxelArray,
  type VoxelArrayFor,
  type DTypeInfo,
  VOXEL_DTYPES,
  dtypeInfo,
  dtypeFromNiftiCode,
  bytesPerVoxel,
  allocVoxels,
  dtypeOfArray,
  labelDType,
  viewVoxels,
  arrayMatchesDType,
  UNSUPPORTED_NIFTI_CODES,
} from "./dtype.js";
export {
  type Vec3,
  type Vec4,
  type Mat3,
  type Mat4,
  type Geometry,
  IDENTITY3,
  IDENTITY4,
  toMat4,
  mat3Mul,
  mat3Inv,
  mat3Det,
  mat3Transpose,
  mat3Apply,
  mat4Mul,
  invertAffine,
  assertAffine,
  applyAffine,
  composeAffine,
  decomposeAffine,
  linearPart,
  translationPart,
  fromParts,
  orthonormalityError,
  isOrthonormal,
  closestOrthogonal,
  maxAbsDiff,
  relativeAffineDiff,
} from "./affine.js";
export { resampleToSpacing, resampleToShape, shapeForSpacing, type ResampleOptions, type Interpolation } from "./resample.js";
export { nonzeroBBox, crop, pad, padToShape, type BBox } from "./crop-pad.js";
export {
  normalizeIntensity,
  intensityStats,
  foregroundIntensityStats,
  percentileSorted,
  type IntensityStats,
  type NormalizationScheme,
  type ForegroundStatsOptions,
} from "./normalize.js";
