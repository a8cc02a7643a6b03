#!/bin/sh
# Named arguments (--greeting=..., --shout) come first, then the positional ones.
greeting=Hello
shout=0
while [ $# -gt 0 ]; do
  case "$1" in
    --greeting=*) greeting="${1#--greeting=}"; shift ;;
    --shout) shout=1; shift ;;
    *) break ;;
  esac
done
name="$1"
times="${2:-1}"
i=0
while [ "$i" -lt "$times" ]; do
  line="$greeting, $name!"
  if [ "$shout" = 1 ]; then line=$(printf '%s' "$line" | tr '[:lower:]' '[:upper:]'); fi
  printf '%s\n' "$line"
  i=$((i + 1))
done
