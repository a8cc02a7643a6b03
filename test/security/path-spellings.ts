/**
 * Other spellings of one path that a router, a proxy or a URL parser may read as the same route:
 * percent-encoded letters (lower and upper case hex, once and twice), doubled and trailing
 * slashes, upper case, `.` and `..` segments (plain and encoded), encoded slashes, `;` parameters,
 * backslashes and NUL bytes. `path` is absolute, without a query string.
 */
export function pathSpellings(path: string): Array<{ how: string; path: string }> {
  const segments = path.split('/').slice(1);
  const join = (parts: string[]): string => `/${parts.join('/')}`;
  const atSegment = (index: number, change: (segment: string) => string): string =>
    join(segments.map((segment, i) => (i === index ? change(segment) : segment)));
  const encodeFirstLetter = (segment: string, hex: (code: string) => string): string =>
    segment.replace(/[A-Za-z]/, (letter) => `%${hex(letter.charCodeAt(0).toString(16))}`);
  const out: Array<{ how: string; path: string }> = [];
  const add = (how: string, spelled: string): void => {
    if (spelled !== path && !out.some((item) => item.path === spelled)) out.push({ how, path: spelled });
  };

  segments.forEach((_segment, i) => {
    add(`encoded letter in segment ${i}`, atSegment(i, (s) => encodeFirstLetter(s, (h) => h)));
    add(`upper-case encoded letter in segment ${i}`, atSegment(i, (s) => encodeFirstLetter(s, (h) => h.toUpperCase())));
    add(`double-encoded letter in segment ${i}`, atSegment(i, (s) => encodeFirstLetter(s, (h) => `25${h}`)));
    add(`doubled slash before segment ${i}`, join(segments.map((s, j) => (j === i ? `/${s}` : s))));
    add(`dot segment before segment ${i}`, join([...segments.slice(0, i), '.', ...segments.slice(i)]));
    add(`encoded dot segment before segment ${i}`, join([...segments.slice(0, i), '%2e', ...segments.slice(i)]));
    add(`dot-dot segment before segment ${i}`, join([...segments.slice(0, i), 'x', '..', ...segments.slice(i)]));
    add(`encoded dot-dot segment before segment ${i}`, join([...segments.slice(0, i), 'x', '%2e%2e', ...segments.slice(i)]));
    add(`semicolon parameter on segment ${i}`, atSegment(i, (s) => `${s};x=1`));
    add(`upper case segment ${i}`, atSegment(i, (s) => s.toUpperCase()));
    add(`capitalised segment ${i}`, atSegment(i, (s) => s.charAt(0).toUpperCase() + s.slice(1)));
    if (i > 0) {
      add(`encoded slash before segment ${i}`, `/${segments.slice(0, i).join('/')}%2f${segments.slice(i).join('/')}`);
      add(`upper-case encoded slash before segment ${i}`, `/${segments.slice(0, i).join('/')}%2F${segments.slice(i).join('/')}`);
      add(`backslash before segment ${i}`, `/${segments.slice(0, i).join('/')}\\${segments.slice(i).join('/')}`);
    }
  });
  add('every letter encoded', join(segments.map((s) => s.replace(/[A-Za-z]/g, (l) => `%${l.charCodeAt(0).toString(16)}`))));
  add('every slash encoded', `/${segments.join('%2F')}`);
  add('leading doubled slash', `/${path}`);
  add('trailing slash', `${path}/`);
  add('trailing doubled slash', `${path}//`);
  add('trailing dot segment', `${path}/.`);
  add('trailing semicolon', `${path};`);
  add('trailing encoded NUL', `${path}%00`);
  add('whole path upper case', path.toUpperCase());
  return out;
}

/**
 * The other prefixes a route answers under: the ones StackStorm's clients derive
 * (packages/api/src/st2/path-aliases.ts). Each is swept with every spelling too.
 */
export function st2Aliases(path: string): Array<{ how: string; path: string }> {
  const out: Array<{ how: string; path: string }> = [];
  if (path.startsWith('/api/v1/')) {
    const rest = path.slice('/api/v1/'.length);
    out.push({ how: 'st2api alias /v1', path: `/v1/${rest}` }, { how: 'st2 nginx alias /api', path: `/api/${rest}` });
    if (rest === 'stream') out.push({ how: 'st2stream alias', path: '/stream/v1/stream' }, { how: 'st2stream nginx alias', path: '/stream/stream' });
  }
  if (path.startsWith('/auth/v1/')) out.push({ how: 'st2auth nginx alias /auth', path: `/auth/${path.slice('/auth/v1/'.length)}` });
  return out;
}
