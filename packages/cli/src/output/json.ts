/**
 * `--json` output. A command prints one document: the resource as the API answers it (core's st2
 * serializers), indented for people who read it too. A stream (`execution tail --json`) prints one
 * compact object per line, so a reader can parse each line as it arrives.
 */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
