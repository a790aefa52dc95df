import { describe, expect, it } from 'vitest';
import { PgBridge } from '../../dist/store/pg/bridge.js';
import { storeEngines } from '../helpers/store-engines.js';

/** LISTEN/NOTIFY through the synchronous bridge: how one node wakes the others (issue 15). */
const { fresh, closeAfter } = storeEngines();

interface Heard {
  channel: string;
  payload: string;
  self: boolean;
}

const until = async (what: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("the bridge's LISTEN/NOTIFY", () => {
  const two = async () => {
    const d = await fresh();
    const a = new PgBridge({ connectionString: d.url });
    const b = new PgBridge({ connectionString: d.url });
    closeAfter(a);
    closeAfter(b);
    return { a, b };
  };

  it("hands another session's NOTIFY to the listener on this thread's event loop, its own marked self", async () => {
    const { a, b } = await two();
    const heard: Heard[] = [];
    a.listen('switchpost_due', (n) => heard.push(n));
    b.notify('switchpost_due', 'sms');
    a.notify('switchpost_due', 'fax');
    b.notify('other_channel', 'x');
    await until(() => heard.length >= 2);
    expect(heard).toEqual([
      { channel: 'switchpost_due', payload: 'sms', self: false },
      { channel: 'switchpost_due', payload: 'fax', self: true },
    ]);
  });

  it('sends a NOTIFY made in a transaction when it commits, and never when it rolls back', async () => {
    const { a, b } = await two();
    const heard: string[] = [];
    a.listen('switchpost_due', (n) => heard.push(n.payload));
    b.begin();
    b.notify('switchpost_due', 'rolled back');
    b.rollback();
    b.transaction(() => {
      b.notify('switchpost_due', 'committed');
      // Not yet: the server holds it until the commit.
      expect(a.query('SELECT 1 AS one').rows).toEqual([{ one: 1 }]);
    });
    await until(() => heard.length >= 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(['committed']);
  });

  it('takes only channel names it need not quote, and no LISTEN inside a transaction', async () => {
    const { a } = await two();
    expect(() => a.listen('due; DROP TABLE users', () => {})).toThrow(RangeError);
    expect(() => a.notify('Due', 'x')).toThrow(RangeError);
    a.begin();
    expect(() => a.listen('switchpost_due', () => {})).toThrow(/inside a transaction/);
    a.rollback();
  });
});
