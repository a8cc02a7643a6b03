/**
 * What both engines' tests hand an expression to show it cannot reach the host language, kept in
 * one place so that a kind of value added here is tried against both languages.
 */

/** Host objects a caller's data may hold by mistake; none of them is data an expression may use. */
export function hostObjects(): [name: string, value: unknown][] {
  class Account {
    password = 'p';
  }
  return [['map', new Map([['a', 1]])], ['date', new Date(0)], ['buffer', Buffer.from('x')], ['account', new Account()], ['promise', Promise.resolve(1)]];
}

/** A getter and a function that count their calls, to show an engine never calls what it finds in data. */
export function callTraps(): { withGetter: { readonly secret: string }; fn: () => string; calls: () => number } {
  let called = 0;
  const withGetter = {
    get secret() {
      called += 1;
      return 'leak';
    },
  };
  const fn = () => {
    called += 1;
    return 'ran';
  };
  return { withGetter, fn, calls: () => called };
}
