#!/usr/bin/env bash
# Installs the SST platform (.sst/platform: component sources, config.d.ts, @pulumi/* packages) offline,
# which the deploy tests (test/deploy/) need. Idempotent: does nothing when the pinned version is there.
#
#   scripts/sst/install-platform.sh          # stage "ci" (any stage works; it only names the install)
#   SST_STAGE=prod scripts/sst/install-platform.sh
#
# SST normally downloads the Pulumi CLI and bun first; the flags below skip that, so this works
# without internet access beyond the npm registry. Deploying still needs the real `npx sst deploy`.
set -euo pipefail
cd "$(dirname "$0")/../.."

expected="$(node -p "require('./node_modules/sst/package.json').version" 2>/dev/null || true)"
if [[ -z "$expected" ]]; then
  echo "install-platform: node_modules/sst is missing; run npm ci first" >&2
  exit 1
fi

platform=.sst/platform
if [[ -f "$platform/version" && -f "$platform/config.d.ts" && -f .sst/provider-lock.json \
      && -f "$platform/node_modules/@pulumi/pulumi/package.json" \
      && -f "$platform/node_modules/@pulumi/aws/package.json" \
      && "$(cat "$platform/version")" == "$expected" ]]; then
  echo "install-platform: SST platform $expected already installed"
  exit 0
fi

echo "install-platform: installing SST platform $expected into $platform"
SST_SKIP_DEPENDENCY_CHECK=true SST_NO_BUN=true SST_TELEMETRY_DISABLED=1 \
  npx --no-install sst install --stage "${SST_STAGE:-ci}"

if [[ "$(cat "$platform/version" 2>/dev/null)" != "$expected" ]]; then
  echo "install-platform: sst install finished but $platform/version is not $expected" >&2
  exit 1
fi

# Warm tsc's incremental cache for test/deploy/typecheck.test.ts: checking the platform's component
# sources is most of its cost and they do not change until the next install. Type errors in
# sst.config.ts are the test's to report, so they do not fail the install.
node node_modules/typescript/bin/tsc -p scripts/sst/tsconfig.sst.json \
  --incremental --tsBuildInfoFile .sst/tsc-sst.tsbuildinfo >/dev/null 2>&1 || true
echo "install-platform: done"
