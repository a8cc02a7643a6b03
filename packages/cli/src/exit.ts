/** Thrown by a command that has already printed its outcome and wants a specific exit code. */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
