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

/**
 * A URL for a route at real records: `:id` (`:jobId`) is the record of the route's resource (its
 * first segments: "contacts" (also at /api/contacts), "messages/texts", "api/v1/users"), another `:name` the id of that name;
 * null when there is no record of that resource.
 */
export function concreteWith(path: string, ids: ReadonlyMap<string, string>): string | null {
  const p = path.startsWith('/') ? path : `/${path}`;
  // ICTCore's routes are served at /api too: /api/contacts/:id is a contact's as /contacts/:id is.
  const resource = /^\/(?:api\/(?!v1\/))?((?:api|rest)\/v1\/[a-z_]+|messages\/[a-z]+|[a-z_]+)\//.exec(p)?.[1];
  let missing = false;
  const url = p.replace(/:id\|:type|:[A-Za-z_]+/g, (param) => {
    const name = param === ':id|:type' ? 'id' : param.slice(1);
    const id = name === 'id' || name === 'jobId' ? (resource ? ids.get(resource) : undefined) : (ids.get(name) ?? '999999');
    if (id === undefined) missing = true;
    return encodeURIComponent(id ?? '');
  });
  return missing ? null : url.replace(/\*/g, 'x');
}
