/**
 * Places of lines stored before migration 0004, by (resource, meter, day): a new line replaces
 * all of them at once (see that migration). Nested maps, since only a month migrated holds any.
 */
export class CoarseLines {
  readonly #byResource = new Map<number, Map<number, number[]>>();

  add(resource: number, meter: number, day: number, place: number): void {
    let byMeterDay = this.#byResource.get(resource);
    if (!byMeterDay) this.#byResource.set(resource, (byMeterDay = new Map()));
    const key = meter * 1e8 + day; // day is yyyymmdd, below 10^8
    const places = byMeterDay.get(key);
    if (places) places.push(place);
    else byMeterDay.set(key, [place]);
  }

  /** The places of (resource, meter, day), removed: each is replaced once. */
  take(resource: number, meter: number, day: number): readonly number[] {
    const byMeterDay = this.#byResource.get(resource);
    const key = meter * 1e8 + day;
    const places = byMeterDay?.get(key);
    if (!places) return [];
    byMeterDay!.delete(key);
    return places;
  }
}
