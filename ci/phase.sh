#!/usr/bin/env bash
# Run one phase of `make test` and print its wall time, pass or fail: `ci/phase.sh NAME CMD...`.
# pytest's exit code 5 (nothing collected) fails the phase: a phase that tests nothing is broken.
name="$1"; shift
started=$(date +%s)
echo "==> phase '$name': $*"
"$@"; status=$?
echo "==> phase '$name': $(( $(date +%s) - started )) s, exit $status"
exit "$status"
