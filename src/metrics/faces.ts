/** A face's routes begin with its prefix ('' for a face at the site root, as ICTCore's may be). */
export interface FacePrefix {
  prefix: string;
  face: string;
}

const within = (route: string, prefix: string): boolean => prefix === '' || route === prefix || route.startsWith(`${prefix}/`);

/**
 * The face a route pattern belongs to: "daemon" for the daemon's own paths (/health, /metrics, …),
 * else the face of the longest prefix that holds it, as the router decides (/api/v1 is the v1 API's
 * under ICTCore's /api).
 */
export function faceOfRoute(faces: readonly FacePrefix[], daemonPaths: readonly string[]): (route: string) => string {
  const byLength = [...faces].sort((a, b) => b.prefix.length - a.prefix.length);
  return (route) => {
    if (daemonPaths.some((p) => within(route, p))) return 'daemon';
    return byLength.find((f) => within(route, f.prefix))?.face ?? 'daemon';
  };
}
