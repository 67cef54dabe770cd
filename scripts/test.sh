#!/usr/bin/env bash
# The one test command: the Rust workspace's tests, then the TypeScript SDK's tests, which start
# the real server binary (target/debug/literature) on temporary SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
cargo build -p api
cd sdk
npm ci --no-audit --no-fund
npm test
