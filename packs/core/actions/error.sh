#!/bin/sh
# The message arrives as an argument, never spliced into a command line, so it is printed as is.
printf '%s\n' "$1" >&2
