// Dataset fingerprints: spacings, shapes and foreground intensity statistics (fingerprint.json).
export {
  FingerprintSchema,
  FingerprintCaseSchema,
  ChannelIntensitySchema,
  FINGERPRINT_JSON,
  FINGERPRINT_VERSION,
  type Fingerprint,
  type FingerprintCase,
  type ChannelIntensity,
} from "./schema.js";
export { computeFingerprint, saveFingerprint, loadFingerprint, reorientAndCrop, datasetName, type FingerprintOptions, type CroppedCase } from "./compute.js";
