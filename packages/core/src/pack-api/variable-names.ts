/** The variables actionApiVariables sets: the runtime's to give, never a caller's `env` to override. */
export const actionApiVariableNames: readonly string[] = [
  'ST2_ACTION_API_URL',
  'ST2_ACTION_AUTH_TOKEN',
  'ST2_API_URL',
  'ST2_AUTH_TOKEN',
  'ST2_AUTH_URL',
  'ST2_STREAM_URL',
];
