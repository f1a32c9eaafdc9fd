/** The chunked sorted list behind the local store's indexes, against a plain sorted array. */
import fc from 'fast-check';
import { SortedList } from '../../src/local/sorted-list';

const byNumber = (a: number, b: number) => a - b;

describe('SortedList', () => {
  it('keeps the order of a plain sorted array through random inserts and removes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), { maxLength: 4000 }),
        (ops) => {
          const list = new SortedList(byNumber);
          const model: number[] = [];
          for (const [insert, value] of ops) {
            if (insert && !model.includes(value)) {
              list.insert(value);
              model.push(value);
              model.sort(byNumber);
            } else if (!insert) {
              const index = model.indexOf(value);
              expect(list.remove(value)).toBe(index >= 0);
              if (index >= 0) model.splice(index, 1);
            }
          }
          expect([...list.ascending(list.firstWhere(() => true))]).toEqual(model);
          const pivot = 1500;
          expect([...list.ascending(list.firstWhere((v) => v >= pivot))]).toEqual(
            model.filter((v) => v >= pivot),
          );
          expect([...list.descending(list.firstWhere((v) => v >= pivot))]).toEqual(
            model.filter((v) => v < pivot).reverse(),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('iterates an empty list as empty', () => {
    const list = new SortedList(byNumber);
    expect([...list.ascending(list.firstWhere(() => true))]).toEqual([]);
    expect([...list.descending(list.firstWhere(() => true))]).toEqual([]);
    expect(list.remove(1)).toBe(false);
  });
});
