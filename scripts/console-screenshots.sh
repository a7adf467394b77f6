#!/usr/bin/env bash
# Runs the console's browser tests (which save their screenshots in artifacts/screenshots) and copies the screenshots
# docs/console.md shows into docs/console/.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dotnet test test/Cairn.Console.Tests -c Release
for image in docs/console/*.png; do
  cp "artifacts/screenshots/$(basename "$image")" "$image"
done
