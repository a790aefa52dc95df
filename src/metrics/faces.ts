/** A face's routes begin with its prefix ('' for a face at the site root, as ICTCore's may be). */
export interface FacePrefix {
  prefix: string;
  face: string;
}

/** The daemon's own routes: no face's. */
const DAEMON_ROUTES = [/^\/health$/, /^\/metrics$/, /^\/stream$/, /^\/gateways\//];

/** The face a route pattern belongs to: the longest prefix that holds it; the daemon's own routes are "daemon". */
export function faceOfRoute(faces: readonly FacePrefix[]): (route: string) => string {
  const byLength = [...faces].sort((a, b) => b.prefix.length - a.prefix.length);
  return (route) => {
    if (DAEMON_ROUTES.some((r) => r.test(route))) return 'daemon';
    return byLength.find((f) => f.prefix === '' || route === f.prefix || route.startsWith(`${f.prefix}/`))?.face ?? 'daemon';
  };
}
