/** Laravel's LengthAwarePaginator JSON, key for key, with its UrlWindow of links (onEachSide = 3). */
export interface Page<T> {
  current_page: number;
  data: T[];
  first_page_url: string;
  from: number | null;
  last_page: number;
  last_page_url: string;
  links: { url: string | null; label: string; active: boolean }[];
  next_page_url: string | null;
  path: string;
  per_page: number;
  prev_page_url: string | null;
  to: number | null;
  total: number;
}

const ON_EACH_SIDE = 3;

const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);

/** Which page numbers to show, with null for "...": Laravel's UrlWindow. */
export function pageWindow(current: number, last: number): (number | null)[] {
  if (last < ON_EACH_SIDE * 2 + 8) return range(1, last);
  const window = ON_EACH_SIDE + 4;
  if (current <= window) return [...range(1, window + ON_EACH_SIDE), null, last - 1, last];
  if (current > last - window) return [1, 2, null, ...range(last - (window + (ON_EACH_SIDE - 1)), last)];
  return [1, 2, null, ...range(current - ON_EACH_SIDE, current + ON_EACH_SIDE), null, last - 1, last];
}

export function paginate<T>(data: T[], total: number, page: number, perPage: number, path: string, query: Record<string, string>): Page<T> {
  const last = Math.max(1, Math.ceil(total / perPage));
  const url = (p: number) => {
    const q = new URLSearchParams({ ...query });
    q.delete('page');
    q.append('page', String(p));
    return `${path}?${q.toString()}`;
  };
  const from = data.length ? (page - 1) * perPage + 1 : null;
  return {
    current_page: page,
    data,
    first_page_url: url(1),
    from,
    last_page: last,
    last_page_url: url(last),
    links: [
      { url: page > 1 ? url(page - 1) : null, label: '« Previous', active: false },
      ...pageWindow(page, last).map((p) => (p === null ? { url: null, label: '...', active: false } : { url: url(p), label: String(p), active: p === page })),
      { url: page < last ? url(page + 1) : null, label: 'Next »', active: false },
    ],
    next_page_url: page < last ? url(page + 1) : null,
    path,
    per_page: perPage,
    prev_page_url: page > 1 ? url(page - 1) : null,
    to: from === null ? null : from + data.length - 1,
    total,
  };
}
