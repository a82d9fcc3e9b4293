// Label maps are stored compactly (uint8, or uint16 above 255 classes), never as float per class:
// a 512×512×900 CT label map is 236 MB as uint8 and 944 MB as float32.

import { allocVoxels, dtypeInfo, labelDType } from "./dtype.js";
import { Volume } from "./volume.js";

/**
 * Converts a label map stored in any scalar dtype (float32 and int16 are common in the wild) to
 * uint8/uint16 with the same geometry; returns the input when it is already the compact type.
 * @throws RangeError naming the first voxel that is not an integer in [0, 65535].
 * @example
 * const seg = asLabelVolume((await readNifti("labelsTr/case.nii.gz")).volume);
 */
export function asLabelVolume(volume: Volume): Volume<"uint8" | "uint16"> {
  const info = dtypeInfo(volume.dtype);
  if (info.components > 1) throw new TypeError(`Cannot use ${volume.dtype} data as labels`);
  const data = volume.data;
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]!);
    if (!(Number.isInteger(v) && v >= 0 && v <= 65535)) {
      throw new RangeError(`Cannot use volume as labels: voxel values must be integers in [0, 65535]. Received: ${String(data[i])} at index ${i}`);
    }
    if (v > max) max = v;
  }
  const dtype = labelDType(max);
  if (volume.dtype === dtype || (volume.dtype === "uint16" && dtype === "uint8")) return volume as Volume<"uint8" | "uint16">;
  const out = allocVoxels(dtype, data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
  return new Volume({ data: out, dtype, shape: volume.shape, channels: volume.channels, affine: volume.affine });
}
