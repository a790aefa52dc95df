/** The newest `capacity` items, oldest dropped first: the status page's last errors, bounded whatever fails. */
export class Recent<T> {
  private readonly items: T[] = [];

  constructor(readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Newest first. */
  list(): T[] {
    return [...this.items].reverse();
  }
}
