/**
 * `packrun -v`: each command says on stderr which path it took (the server it talked to and how
 * it found it, or the store it used directly), so a data path is never chosen silently.
 */
let verbose = false;

export function setVerbose(on: boolean): void {
  verbose = on;
}

export function sayPath(line: string): void {
  if (verbose) process.stderr.write(`packrun: ${line}\n`);
}
