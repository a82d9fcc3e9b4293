#!/usr/bin/env node
// Long fuzz runs of the NIfTI header parser (the test suite runs a few thousand cases):
//   npm run fuzz -- [iterations] [seed]
import { fuzzNifti } from "../dist/src/io/_internal/fuzz-nifti.js";

const iterations = Number(process.argv[2] ?? 1_000_000);
const seed = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
if (!Number.isInteger(iterations) || iterations < 1) {
  console.error(`fuzz: iterations must be a positive integer. Received: ${process.argv[2]}`);
  process.exit(1);
}
const stats = await fuzzNifti({ iterations, ...(seed === undefined ? {} : { seed }), log: console.log });
console.log(`fuzz: ${JSON.stringify(stats)}`);
