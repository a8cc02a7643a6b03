#!/bin/sh
# Where it runs, what it was given, and a line from its lib folder copied beside it.
. "$(dirname "$0")/lib/greeting.sh"
printf '%s\n' "$(greeting)"
printf 'script=%s\n' "$0"
printf 'cwd=%s\n' "$(pwd)"
for arg in "$@"; do printf 'arg=%s\n' "$arg"; done
