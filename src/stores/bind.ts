// Store objects: a store module's functions with its connection already applied. Services hold
// `deps.users.findById(id)` and never a raw connection, and the functions themselves stay plain
// (connection first), which keeps them easy to read and to call from other stores.

type Bound<Connection, Functions> = {
  [Name in keyof Functions]: Functions[Name] extends (connection: Connection, ...rest: infer Args) => infer Result
    ? (...rest: Args) => Result
    : never;
};

export function bindTo<Connection, Functions extends Record<string, (connection: Connection, ...rest: never[]) => unknown>>(
  connection: Connection,
  functions: Functions,
): Bound<Connection, Functions> {
  const bound = Object.entries(functions).map(([name, run]) => [name, (...rest: never[]) => run(connection, ...rest)]);
  return Object.fromEntries(bound) as Bound<Connection, Functions>;
}
