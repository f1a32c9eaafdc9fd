/**
 * A sorted list in chunks of a few hundred items: insert and remove cost O(√n) array moves
 * instead of O(n), so the local store's indexes stay fast at 100,000+ entries (a plain
 * sorted array made every write slower as the directory grew).
 */
export interface Position {
  chunk: number;
  index: number;
}

const CHUNK = 512;

export class SortedList<T> {
  private chunks: T[][] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  insert(item: T): void {
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      return;
    }
    const at = this.firstWhere((existing) => this.compare(existing, item) >= 0);
    // Past the end: append to the last chunk.
    const chunkIndex = Math.min(at.chunk, this.chunks.length - 1);
    const chunk = this.chunks[chunkIndex];
    const index = at.chunk < this.chunks.length ? at.index : chunk.length;
    chunk.splice(index, 0, item);
    if (chunk.length > 2 * CHUNK)
      this.chunks.splice(chunkIndex, 1, chunk.slice(0, CHUNK), chunk.slice(CHUNK));
  }

  /** Removes the item that compares equal to `item`; false when there is none. */
  remove(item: T): boolean {
    const at = this.firstWhere((existing) => this.compare(existing, item) >= 0);
    const chunk = this.chunks[at.chunk];
    if (!chunk || this.compare(chunk[at.index], item) !== 0) return false;
    chunk.splice(at.index, 1);
    if (chunk.length === 0) this.chunks.splice(at.chunk, 1);
    return true;
  }

  /**
   * The position of the first item for which `reached` holds. `reached` must be monotone:
   * false for a prefix of the list and true for the rest.
   */
  firstWhere(reached: (item: T) => boolean): Position {
    let low = 0;
    let high = this.chunks.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const chunk = this.chunks[mid];
      if (reached(chunk[chunk.length - 1])) high = mid;
      else low = mid + 1;
    }
    if (low === this.chunks.length) return { chunk: low, index: 0 };
    const chunk = this.chunks[low];
    let first = 0;
    let last = chunk.length;
    while (first < last) {
      const mid = (first + last) >>> 1;
      if (reached(chunk[mid])) last = mid;
      else first = mid + 1;
    }
    return { chunk: low, index: first };
  }

  /** Items from `from` onwards, in ascending order. */
  *ascending(from: Position): Generator<T> {
    for (let c = from.chunk, i = from.index; c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c];
      for (; i < chunk.length; i++) yield chunk[i];
    }
  }

  /** Items before `before`, in descending order. */
  *descending(before: Position): Generator<T> {
    let c = Math.min(before.chunk, this.chunks.length);
    let i = c < this.chunks.length ? before.index - 1 : -1;
    if (i < 0) {
      c--;
      i = c >= 0 ? this.chunks[c].length - 1 : -1;
    }
    for (; c >= 0; c--, i = c >= 0 ? this.chunks[c].length - 1 : -1) {
      const chunk = this.chunks[c];
      for (; i >= 0; i--) yield chunk[i];
    }
  }
}
