#!/bin/sh
printf "%s" "$1" | wc -c
