import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeGateway } from '../../dist/gateways/freeswitch/trunk.js';
import { gatewayDirProblem } from '../../dist/gateways/freeswitch/trunk-dir.js';

const trunk = (gateway_dir: string) => ({ gateway_dir, profile: 'external', realm: 'sip.example.com', proxy: null, username: null, password: null, register: true, caller_id_in_from: true });
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('trunk files', () => {
  it("are not written through a symbolic link put in the checked directory's path after the check", () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'switchpost-trunk-')));
    const root = join(dir, 'freeswitch');
    const outside = join(dir, 'outside');
    mkdirSync(join(root, 'sip_profiles'), { recursive: true });
    mkdirSync(outside);
    const gatewayDir = join(root, 'sip_profiles', 'external');
    // Checked (at the API, at build): inside.
    expect(gatewayDirProblem(root, gatewayDir)).toBeNull();
    // Then, before the gateway connects and writes, sip_profiles becomes a link out.
    rmSync(join(root, 'sip_profiles'), { recursive: true });
    symlinkSync(outside, join(root, 'sip_profiles'));
    expect(() => writeGateway('evil', trunk(gatewayDir))).toThrow(/symbolic link/);
    expect(readdirSync(outside)).toEqual([]);
    // Unchanged, it is written.
    rmSync(join(root, 'sip_profiles'));
    expect(writeGateway('good', trunk(gatewayDir))).toBe(true);
    expect(existsSync(join(gatewayDir, 'switchpost-good.xml'))).toBe(true);
  });
});
