// Seeded JS randomness for the data pipeline (worker-safe: no native addon).
export { Rng, mixSeed, type RngState } from "./rng.js";
