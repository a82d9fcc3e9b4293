// Undo/redo of box edits: the box set is a value (organ -> voxel box) and every edit replaces it,
// so history is a list of earlier values. "Unsaved" means the current value differs from the last
// saved one, so undoing back to it clears the marker and redoing past it sets it again.
import type { Vec3, VoxelBox } from "./api.js";

/** The boxes of one case: organ name -> voxel box. Treated as immutable. */
export type BoxSet = ReadonlyMap<string, VoxelBox>;

/** Edits kept for undo per case; older ones are dropped. */
const LIMIT = 200;

const copyBox = (b: VoxelBox): VoxelBox => ({ min: [...b.min] as Vec3, max: [...b.max] as Vec3 });

/** A canonical text of a box set (organ order does not matter). */
function keyOf(s: BoxSet): string {
  return JSON.stringify([...s.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export class BoxHistory {
  private past: BoxSet[] = [];
  private future: BoxSet[] = [];
  private now: BoxSet = new Map();
  private savedKey = keyOf(new Map());

  /** The current boxes. */
  get current(): BoxSet {
    return this.now;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }

  /** The current boxes differ from the last saved ones. */
  get dirty(): boolean {
    return keyOf(this.now) !== this.savedKey;
  }

  /** Starts over with a case's saved boxes: no history, nothing unsaved. */
  reset(saved: BoxSet): void {
    this.past = [];
    this.future = [];
    this.now = new Map([...saved].map(([k, b]) => [k, copyBox(b)]));
    this.savedKey = keyOf(this.now);
  }

  /** Records an edit (no-op when nothing changed); clears the redo list. */
  commit(next: BoxSet): boolean {
    if (keyOf(next) === keyOf(this.now)) return false;
    this.past.push(this.now);
    if (this.past.length > LIMIT) this.past.shift();
    this.future = [];
    this.now = new Map([...next].map(([k, b]) => [k, copyBox(b)]));
    return true;
  }

  undo(): boolean {
    const prev = this.past.pop();
    if (!prev) return false;
    this.future.push(this.now);
    this.now = prev;
    return true;
  }

  redo(): boolean {
    const next = this.future.pop();
    if (!next) return false;
    this.past.push(this.now);
    this.now = next;
    return true;
  }

  /** The server stored `saved` (its normalised form replaces the current value; history stays, so a save can be undone). */
  markSaved(saved: BoxSet): void {
    this.now = new Map([...saved].map(([k, b]) => [k, copyBox(b)]));
    this.savedKey = keyOf(this.now);
  }
}
