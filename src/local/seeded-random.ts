/**
 * mulberry32: a small, fast PRNG, deterministic for a seed. The local stand-ins (the offline
 * runtime's varied storage answers, the embedded organization's faults and paging) draw from
 * it, so a test can pin a run with a seed and a run can be replayed.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
