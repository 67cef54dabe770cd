#!/usr/bin/env bash
# Lints the committed OpenAPI document (docs/openapi.json, kept equal to the served one by the
# `contract` tests) the way its users meet it:
#   1. Redocly's recommended rules: any error fails (warnings are printed, see docs/api.md);
#   2. openapi-typescript: the generated types must have a literal union for every enum schema
#      and no `Record<string, never>` (an untyped object) anywhere in paths or components.
# Needs Node.js 20+ and the npm registry (npx caches the pinned tools in ~/.npm).
set -euo pipefail
cd "$(dirname "$0")/.."

REDOCLY=@redocly/cli@2.77.0
OPENAPI_TS=openapi-typescript@7.13.0
DOC="${1:-docs/openapi.json}"

echo "== redocly lint $DOC"
npx --yes "$REDOCLY" lint "$DOC" --format=stylish

echo "== openapi-typescript $DOC"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
npx --yes "$OPENAPI_TS" "$DOC" -o "$out/schema.d.ts" >/dev/null
node - "$DOC" "$out/schema.d.ts" <<'JS'
const fs = require("fs");
const [doc, dts] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(doc, "utf8"));
const ts = fs.readFileSync(dts, "utf8");
const problems = [];
// openapi-typescript always declares these two for documents without webhooks or $defs.
const boilerplate = /^export type (webhooks|\$defs) = Record<string, never>;$/;
ts.split("\n").forEach((line, i) => {
  if (line.includes("Record<string, never>") && !boilerplate.test(line.trim())) {
    problems.push(`line ${i + 1}: untyped object: ${line.trim()}`);
  }
});
let enums = 0;
for (const [name, schema] of Object.entries(spec.components.schemas)) {
  if (!Array.isArray(schema.enum)) continue;
  enums += 1;
  const union = schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (!ts.includes(`${name}: ${union};`)) problems.push(`${name} is not the union ${union}`);
}
if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`ok: ${enums} enum schemas are literal unions; no untyped objects`);
JS
