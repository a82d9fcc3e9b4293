// Transfer syntaxes: which ones the reader decodes (uncompressed little endian, and deflated,
// which dcmjs inflates), and names for the others so that a refusal says what the file holds.

/** Transfer syntaxes whose pixel data the reader decodes. */
export const SUPPORTED_TRANSFER_SYNTAXES: ReadonlyMap<string, string> = new Map([
  ["1.2.840.10008.1.2", "Implicit VR Little Endian"],
  ["1.2.840.10008.1.2.1", "Explicit VR Little Endian"],
  ["1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian"],
]);

const OTHER_NAMES: ReadonlyMap<string, string> = new Map([
  ["1.2.840.10008.1.2.2", "Explicit VR Big Endian (retired)"],
  ["1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)"],
  ["1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)"],
  ["1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)"],
  ["1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])"],
  ["1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"],
  ["1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless"],
  ["1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)"],
  ["1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression"],
  ["1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)"],
  ["1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)"],
  ["1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000"],
  ["1.2.840.10008.1.2.5", "RLE Lossless"],
  ["1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level"],
  ["1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1"],
  ["1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1"],
]);

/** Human name of a transfer syntax UID ("unknown transfer syntax" when not listed). */
export function transferSyntaxName(uid: string): string {
  return SUPPORTED_TRANSFER_SYNTAXES.get(uid) ?? OTHER_NAMES.get(uid) ?? "unknown transfer syntax";
}

/** Whether the reader can decode pixel data stored with this transfer syntax. */
export function isSupportedTransferSyntax(uid: string): boolean {
  return SUPPORTED_TRANSFER_SYNTAXES.has(uid);
}
