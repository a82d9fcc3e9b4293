// Engine-free helpers shared by several layers (state files, image I/O, reports).
export { writeFileAtomic, writeJsonAtomic, AtomicWriteError, type AtomicData, type AtomicWriteOptions } from "./atomic-write.js";
