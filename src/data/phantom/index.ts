// Synthetic phantoms for demos and tests: seeded 3-D "organs" with labels and boxes, and an
// nnU-Net v2 raw dataset writer. The generator is pure TypeScript (browser-safe); the writer
// imports the file-system parts (NIfTI writer, box files) only when called.
export {
  generatePhantom,
  phantomOrgans,
  PHANTOM_ORGANS,
  AIR_INTENSITY,
  BODY_INTENSITY,
  type Phantom,
  type PhantomOptions,
  type PhantomBox,
  type PhantomOrgan,
  type OrganSpec,
} from "./generate.js";
export { PhantomRng, phantomSeed } from "./rng.js";
export { writePhantomDataset, PHANTOM_GENERATOR_VERSION, type PhantomDatasetOptions, type PhantomDatasetResult } from "./write-dataset.js";
