// Minimal types for the parts of dcmjs (0.52, MIT, ships no .d.ts) that labelwise uses: Part 10
// reading into tag-keyed datasets and writing them back. Only src/io/dicom/dcmjs.ts imports it.

declare module "dcmjs" {
  /** One data element in dcmjs's "denaturalized" form (close to the DICOM JSON model). */
  export interface DcmjsElement {
    vr: string;
    /** Values (numbers, strings, PN objects, item datasets for SQ, ArrayBuffers for OB/OW). */
    Value?: unknown[];
    _rawValue?: unknown;
  }

  /** A dataset keyed by 8-hex-digit tags, e.g. "00200032". */
  export type DcmjsDataset = Record<string, DcmjsElement>;

  export interface DcmjsReadOptions {
    ignoreErrors?: boolean;
    /** Stop when this tag (8 hex digits, upper case) is reached. */
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }

  export interface DcmjsWriteOptions {
    allowInvalidVRLength?: boolean;
    fragmentMultiframe?: boolean;
  }

  export class DicomDict {
    constructor(meta: DcmjsDataset);
    meta: DcmjsDataset;
    dict: DcmjsDataset;
    write(options?: DcmjsWriteOptions): ArrayBuffer;
  }

  export interface DictionaryEntry {
    tag: string;
    vr: string;
    vm: string;
    name: string;
  }

  /** A loglevel logger. */
  export interface DcmjsLogger {
    getLevel(): number;
    setLevel(level: "trace" | "debug" | "info" | "warn" | "error" | "silent" | number, persist?: boolean): void;
  }

  const dcmjs: {
    data: {
      DicomDict: typeof DicomDict;
      DicomMessage: {
        readFile(buffer: ArrayBuffer, options?: DcmjsReadOptions): DicomDict;
      };
      DicomMetaDictionary: {
        /** Keyword -> entry, e.g. nameMap.ImagePositionPatient.tag === "(0020,0032)". */
        nameMap: Record<string, DictionaryEntry | undefined>;
        /** "(gggg,eeee)" -> entry. */
        dictionary: Record<string, DictionaryEntry | undefined>;
      };
    };
    log: DcmjsLogger & { getLogger(name: string): DcmjsLogger };
  };
  export default dcmjs;
}
