#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the tools the tests compare
# against (ffmpeg, sox, chromium), starts the services the integration tests
# use (Redis, PostgreSQL, an S3 server) where they are not running, then runs
# gofmt, go mod tidy -diff, go vet and every test. Stops only what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests need: ffmpeg and sox write and decode WAV files
# independently of our decoder; chromium runs the workbench browser test,
# with a CJK font so that its screenshots show the Chinese interface.
missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v sox >/dev/null || missing+=(sox)
command -v chromium >/dev/null || missing+=(chromium)
command -v redis-cli >/dev/null || missing+=(redis-tools)
# Tests that restart Redis or change its configuration start their own.
command -v redis-server >/dev/null || missing+=(redis-server)
command -v pg_isready >/dev/null || missing+=(postgresql-client)
if command -v dpkg >/dev/null && ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
  missing+=(fonts-wqy-microhei)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Redis, PostgreSQL and versitygw: started when missing, stopped on exit.
# shellcheck source=scripts/services.sh
source scripts/services.sh

echo "test.sh: gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on: $unformatted" >&2
  exit 1
fi
echo "test.sh: go mod tidy"
if ! tidy=$(go mod tidy -diff 2>&1); then
  echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit the result:" >&2
  echo "$tidy" >&2
  exit 1
fi
echo "test.sh: go vet"
go vet ./...
echo "test.sh: go test"
go test -count=1 -timeout 45m "$@" ./...
