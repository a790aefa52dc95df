/** Every (method, path) Fastify serves, parsed from printRoutes' tree (segments append to their parent). */
export function routesOf(tree: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [''];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.+?) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4 + 1;
    const path = stack[depth - 1]! + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.push({ method, path });
  }
  return out;
}

/** A concrete URL for a route: ids that exist nowhere (so nothing is touched), the wildcard filled. */
export const concrete = (path: string) => (path.startsWith('/') ? path : `/${path}`).replace(/:[A-Za-z_]+/g, '999999').replace(/\*/g, 'x');

