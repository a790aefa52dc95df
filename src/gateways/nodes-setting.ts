import { z } from 'zod';
import { MAX_NODES } from '../core/holders.js';

/**
 * `settings.nodes`, every driver's but the sandbox's: how many daemons (nodes) sharing a store may run
 * this provider's gateway at once (its binds, its event socket, its relay connections). Default 1: an
 * SMSC that allows one bind never sees two. Read by core/holders.ts's nodesOf; one daemon on SQLite
 * runs every provider whatever it says.
 */
export const nodesSetting = z.number().int('a whole number of nodes').min(1, 'at least 1 (the nodes that may run this provider at once)').max(MAX_NODES, `at most ${MAX_NODES}`).optional();
