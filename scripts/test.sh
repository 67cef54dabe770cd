#!/usr/bin/env bash
# The one test command: the Rust workspace's tests, then the TypeScript SDK's tests, which start
# the real server binary (target/debug/literature) on temporary SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
# The same build as `cargo test` (tests included, so dependency features are unified the same
# way and nothing is compiled twice); it also leaves target/debug/literature for the SDK tests.
cargo build --workspace --all-targets
cargo test --workspace
command -v npm >/dev/null || { echo 'scripts/test.sh: Node.js and npm are needed for the SDK tests' >&2; exit 1; }
# The committed OpenAPI document (equal to the served one: the `contract` tests above):
# Redocly lint and the openapi-typescript check.
docs/lint.sh
cd sdk
npm ci --no-audit --no-fund
npm test
