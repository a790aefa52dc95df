import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { HOSTED_REF, type HostedKind } from '../core/mms/hosted-token.js';
import { writeStored } from './store-file.js';

/** What a hosted URL serves: its octets and their content type. */
export interface HostedObject {
  contentType: string;
  bytes: Buffer;
}

/** Where the hosted route reads what it serves (the daemon's is `HostedFiles`). */
export interface HostedSource {
  read(kind: HostedKind, ref: string): Promise<HostedObject | null>;
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/**
 * Hosted media kept in the data directory (`media/hosted/<kind>/<ref>`, its content type beside it in
 * `<ref>.type`): an M-Retrieve.conf per message, a raw file per SMS link. A ref is checked against its
 * pattern and the resolved path against the directory before any file is touched, so nothing a token
 * names reaches outside it (the route reads only refs whose token's MAC held, but this holds alone).
 */
export class HostedFiles implements HostedSource {
  constructor(private readonly dir: string) {}

  private pathOf(kind: HostedKind, ref: string): string | null {
    if (!HOSTED_REF.test(ref)) return null;
    const base = resolve(this.dir, kind);
    const path = resolve(base, ref);
    return path.startsWith(base + sep) ? path : null;
  }

  put(kind: HostedKind, ref: string, obj: HostedObject): void {
    const path = this.pathOf(kind, ref);
    if (!path) throw new RangeError(`hosted ref "${ref.slice(0, 64)}": 1 to 64 of A-Z a-z 0-9 _ -`);
    const type = obj.contentType.toLowerCase();
    if (!MEDIA_TYPE.test(type)) throw new RangeError(`not a media type: ${obj.contentType.slice(0, 80)}`);
    mkdirSync(join(this.dir, kind), { recursive: true });
    // The bytes first, then the type: a reader finds the type only once the bytes are whole.
    writeStored(`${path}.tmp`, path, obj.bytes);
    writeStored(`${path}.type.tmp`, `${path}.type`, Buffer.from(type));
  }

  async read(kind: HostedKind, ref: string): Promise<HostedObject | null> {
    const path = this.pathOf(kind, ref);
    if (!path) return null;
    try {
      const contentType = (await readFile(`${path}.type`, 'utf8')).trim();
      if (!MEDIA_TYPE.test(contentType)) return null;
      return { contentType, bytes: await readFile(path) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Whether an object is stored whole (its type written last). */
  has(kind: HostedKind, ref: string): boolean {
    const path = this.pathOf(kind, ref);
    return !!path && existsSync(`${path}.type`);
  }

  /**
   * Keep an object at least until `until` (epoch ms), beside it in `<ref>.until`; only ever moved later.
   * Objects that outlive their recipient (an SMS link's file, shared by a job's recipients) go at
   * `removeExpired` once the last link to them has expired.
   */
  keepUntil(kind: HostedKind, ref: string, until: number): void {
    const path = this.pathOf(kind, ref);
    if (!path) throw new RangeError(`hosted ref "${ref.slice(0, 64)}": 1 to 64 of A-Z a-z 0-9 _ -`);
    if (this.untilOf(path) >= until) return;
    mkdirSync(join(this.dir, kind), { recursive: true });
    writeStored(`${path}.until.tmp`, `${path}.until`, Buffer.from(String(Math.ceil(until))));
  }

  private untilOf(path: string): number {
    try {
      const n = Number(readFileSync(`${path}.until`, 'utf8'));
      return Number.isFinite(n) ? n : 0;
    } catch {
      return 0;
    }
  }

  /** Remove the objects of `kind` kept until before `now`; the refs removed. */
  removeExpired(kind: HostedKind, now: number): string[] {
    const dir = join(this.dir, kind);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const gone: string[] = [];
    for (const name of names) {
      if (!name.endsWith('.until')) continue;
      const ref = name.slice(0, -'.until'.length);
      const path = this.pathOf(kind, ref);
      if (!path || this.untilOf(path) >= now) continue;
      this.remove(kind, ref);
      gone.push(ref);
    }
    return gone;
  }

  remove(kind: HostedKind, ref: string): void {
    const path = this.pathOf(kind, ref);
    if (!path) return;
    rmSync(`${path}.type`, { force: true });
    rmSync(path, { force: true });
    rmSync(`${path}.until`, { force: true });
  }
}
