// Typed, validated reads of elements from a dcmjs tag-keyed dataset. Every failure is a
// FormatError naming the file, the tag (number and keyword) and, inside functional groups, the
// path of sequences that leads to it.

import { FormatError } from "../errors.js";
import { T, tagLabel, type DcmjsDataset } from "./dcmjs.js";

const T_SPECIFIC_CHARACTER_SET = T.SpecificCharacterSet;

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * dcmjs 0.52 decodes text inside sequence items one byte per character whatever the character
 * set (top-level text is decoded properly). For a UTF-8 file that garbles non-ASCII item text
 * (a SegmentLabel "Leber ß" reads "Leber Ã\u009f"); this undoes it. Latin-1 files need nothing.
 */
function fixItemText(s: string): string {
  if (!/[\u0080-\u00ff]/.test(s) || /[^\u0000-\u00ff]/.test(s)) return s;
  try {
    return UTF8.decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  } catch {
    return s;
  }
}

/** Read access to one dataset (or sequence item) of one file. */
export class DicomAccess {
  constructor(
    readonly ds: DcmjsDataset,
    readonly path: string,
    /** Where this item sits, e.g. "(5200,9230) PerFrameFunctionalGroupsSequence[3] > ". */
    readonly where = "",
    /** Whether the file's text is UTF-8, so that text inside items needs fixItemText. */
    readonly utf8 = false,
  ) {}

  /** Accessor for a file's main dataset, noting its character set from (0008,0005). */
  static root(ds: DcmjsDataset, path: string): DicomAccess {
    // dcmjs rewrites the value to "ISO_IR 192" after decoding; the raw value keeps the file's own.
    const raw = ds[T_SPECIFIC_CHARACTER_SET]?._rawValue;
    const charsets = (Array.isArray(raw) ? raw : [raw]).map((v) => String(v ?? "").trim());
    return new DicomAccess(ds, path, "", charsets.includes("ISO_IR 192"));
  }

  fail(tag: string, message: string, received?: string): FormatError {
    return new FormatError({ path: this.path, message: `Cannot read DICOM: ${this.where}${tagLabel(tag)} ${message}`, received });
  }

  has(tag: string): boolean {
    const v = this.ds[tag]?.Value;
    return Array.isArray(v) && v.length > 0 && !(v.length === 1 && (v[0] === "" || v[0] === null || v[0] === undefined));
  }

  /** Raw values, or undefined when the element is absent or empty. */
  values(tag: string): unknown[] | undefined {
    return this.has(tag) ? this.ds[tag]!.Value : undefined;
  }

  /** First value as a trimmed string; undefined when absent or empty. */
  str(tag: string): string | undefined {
    const v = this.values(tag)?.[0];
    if (v === undefined) return undefined;
    if (typeof v === "string") return this.utf8 && this.where !== "" ? fixItemText(v).trim() : v.trim();
    if (typeof v === "number") return String(v);
    if (typeof v === "object" && v !== null && "Alphabetic" in v) return String((v as { Alphabetic: unknown }).Alphabetic);
    return String(v);
  }

  requireStr(tag: string): string {
    const s = this.str(tag);
    if (s === undefined || s === "") throw this.fail(tag, "is missing or empty");
    return s;
  }

  /** All values as strings. */
  strs(tag: string): string[] {
    return (this.values(tag) ?? []).map((v) => String(v).trim());
  }

  /** Numeric values (DS/IS strings are parsed); undefined when absent. */
  nums(tag: string): number[] | undefined {
    const vs = this.values(tag);
    if (!vs) return undefined;
    const out = vs.map((v) => (typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN));
    if (!out.every(Number.isFinite)) throw this.fail(tag, "must hold finite numbers", JSON.stringify(vs));
    return out;
  }

  /** Exactly `count` finite numbers; absent -> error. */
  requireNums(tag: string, count: number): number[] {
    const v = this.nums(tag);
    if (!v) throw this.fail(tag, "is missing");
    if (v.length !== count) throw this.fail(tag, `must hold ${count} values`, `${v.length} values [${v.join("\\")}]`);
    return v;
  }

  num(tag: string): number | undefined {
    const v = this.nums(tag);
    if (v && v.length !== 1) throw this.fail(tag, "must hold 1 value", `${v.length} values`);
    return v?.[0];
  }

  /** A positive integer; absent -> error. */
  requireUint(tag: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.num(tag);
    if (v === undefined) throw this.fail(tag, "is missing");
    if (!Number.isInteger(v) || v < min || v > max) throw this.fail(tag, `must be an integer in [${min}, ${max}]`, String(v));
    return v;
  }

  /** Items of a sequence as accessors (empty when absent). */
  items(tag: string): DicomAccess[] {
    const vs = this.ds[tag]?.Value;
    if (!Array.isArray(vs)) return [];
    return vs.map((item, i) => new DicomAccess(item as DcmjsDataset, this.path, `${this.where}${tagLabel(tag)}[${i}] > `, this.utf8));
  }

  /** The single (first) item of a sequence, or undefined. */
  item(tag: string): DicomAccess | undefined {
    return this.items(tag)[0];
  }
}
