#!/usr/bin/env bash
# The one test command: the Rust workspace's tests, then the TypeScript SDK's tests, which start
# the real server binary (target/debug/literature) on temporary SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
cargo build -p api
command -v npm >/dev/null || { echo 'scripts/test.sh: Node.js and npm are needed for the SDK tests' >&2; exit 1; }
# The committed OpenAPI document (equal to the served one: the `contract` tests above):
# Redocly lint and the openapi-typescript check.
docs/lint.sh
cd sdk
npm ci --no-audit --no-fund
npm test
