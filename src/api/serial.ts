/**
 * Runs tasks one after another per key: a check and the write it decides (Retarus's duplicate check
 * and the job's creation, a campaign's "running?" and its new run) were one synchronous step; across
 * the engine's thread they are awaited calls, and two requests could both pass the check. One daemon
 * serves a database, so ordering them here is enough.
 */
export class PerKey<K> {
  private readonly tails = new Map<K, Promise<unknown>>();

  run<T>(key: K, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    // A failed task does not stop the next one: each waits only for the one before to settle.
    const mine = before.then(task, task);
    const tail = mine.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return mine;
  }
}
