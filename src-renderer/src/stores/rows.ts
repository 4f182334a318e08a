/**
 * The ladder rows a store holds after a reply of the rows protocol (see
 * `SimState`): the service resends the rows from `rowsOffset` on, and the
 * ones before it have not changed. The Simulate and Real peer stores share it.
 */

/**
 * `held` up to `offset`, then `part`; `part` alone when `offset` is 0; `held`
 * itself when nothing changed (the same array, so a shallowRef does not fire).
 */
export function mergeRows<T>(held: T[], offset: number, part: T[]): T[] {
  if (offset === 0) return part;
  if (offset === held.length && part.length === 0) return held;
  return held.slice(0, offset).concat(part);
}
