// Heads that sit on a network's outputs for a training strategy (the segmentation network's own
// heads live in ../networks/heads.ts).
export { FBAContrastiveHead, type FBAContrastiveHeadOptions, type FBAEmbeddings } from "./fba-contrastive.js";
