import type { FastifyInstance } from 'fastify';

/**
 * The methods a face serves on each of its paths, learnt as its routes are added: a known path asked with
 * a method it does not take is answered 405 with `Allow` (RFC 9110 §15.5.6), not 404 as if it did not exist.
 * Create it before the face adds its routes.
 */
export class RouteMethods {
  private readonly routes: { pattern: RegExp; method: string }[] = [];

  constructor(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      const pattern = patternOf(route.url ?? route.path);
      for (const method of [route.method].flat()) this.routes.push({ pattern, method: method.toUpperCase() });
    });
  }

  /** The methods served on this path (no query), sorted; none for a path the face does not have. */
  allowed(path: string): string[] {
    return [...new Set(this.routes.filter((r) => r.pattern.test(path)).map((r) => r.method))].sort();
  }
}

/** A route's URL as find-my-way reads it (`:param`, `:param(regex)`, a trailing `*`) as an anchored pattern. */
const patternOf = (url: string): RegExp => {
  let out = '';
  for (let i = 0; i < url.length;) {
    const c = url[i]!;
    if (c === ':') {
      const name = /^:[A-Za-z0-9_-]+/.exec(url.slice(i))![0];
      i += name.length;
      // A parameter's own regex, when it has one, is skipped: any segment may be the param here.
      if (url[i] === '(') {
        let depth = 0;
        do {
          if (url[i] === '(') depth++;
          else if (url[i] === ')') depth--;
          i++;
        } while (depth > 0 && i < url.length);
      }
      out += '[^/]+';
      continue;
    }
    out += c === '*' ? '.*' : c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    i++;
  }
  return new RegExp(`^${out}/?$`);
};
