/**
 * Where each face is mounted, and the rule that keeps them apart. One list, read by the config's
 * check and by main's registrations, so the check cannot drift from what is served.
 */

/** ICTCore's own path (its etc/http/ictcore.conf: `Alias /api /usr/ictcore/wwwroot`) and the site root. */
export const ICTCORE_BASE_PATHS = ['/api', '/'] as const;
export const WELCORP_PREFIX = '/api/v1';
export const UCONTACT_PREFIXES = ['/Integra/resources', '/IntegraChannels/resources'] as const;
/** The daemon's own routes: the health check, the metrics, the live stream, the peers' callbacks, the status page and its JSON. */
export const DAEMON_PATHS = ['/health', '/metrics', '/stream', '/gateways', '/status', '/admin'] as const;

/** A configured path as Fastify's prefix: no trailing slash, the root as ''. */
export const prefixOf = (path: string): string => path.replace(/\/+$/, '');

/** Whether `path` is `prefix` or lies under it ('' holds every path). */
const within = (path: string, prefix: string): boolean => prefix === '' || path === prefix || path.startsWith(`${prefix}/`);

interface FacePaths {
  ictcore: { enabled: boolean; base_paths: readonly string[]; base_path: string | null };
  retarus: { enabled: boolean; base_path: string };
  ucontact: { enabled: boolean };
}

/** The ICTCore face's prefixes: the older `base_path` alone when it is set, else `base_paths`. */
export function ictcorePrefixes(c: FacePaths['ictcore']): string[] {
  return (c.base_path !== null ? [c.base_path] : c.base_paths).map(prefixOf);
}

/**
 * What is wrong with the ICTCore face's paths: one given twice, both keys given, or one at or under
 * another face's prefix (its routes and 404s would take that face's requests). Another face under
 * ICTCore's path is fine: ICTCore's routes all begin with their own names (programs, users …), and
 * the router takes the longest prefix, so /api/v1 stays the v1 API's under ICTCore's /api.
 */
export function basePathProblems(c: FacePaths): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const given = c.ictcore.base_path !== null;
  if (given && !sameList(c.ictcore.base_paths, ICTCORE_BASE_PATHS)) problems.push({ path: ['base_path'], message: 'give base_paths or the older base_path, not both' });
  if (!c.ictcore.enabled) return problems;
  const key = given ? 'base_path' : 'base_paths';
  const others: [string, string][] = [
    [WELCORP_PREFIX, 'the v1 API'],
    ...DAEMON_PATHS.map((p): [string, string] => [p, 'the daemon']),
    ...(c.ucontact.enabled ? UCONTACT_PREFIXES.map((p): [string, string] => [p, 'uContact']) : []),
    ...(c.retarus.enabled ? [[prefixOf(c.retarus.base_path), 'Retarus'] as [string, string]] : []),
  ];
  const seen = new Set<string>();
  ictcorePrefixes(c.ictcore).forEach((prefix, i) => {
    const path = given ? [key] : [key, i];
    if (seen.has(prefix)) problems.push({ path, message: `${prefix || '/'} is given twice` });
    seen.add(prefix);
    const taken = others.find(([other]) => (other === '' ? prefix === '' : within(prefix, other)));
    if (taken) problems.push({ path, message: `${prefix || '/'} is ${taken[0]} (${taken[1]}) or under it` });
  });
  return problems;
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
