#!/usr/bin/env bash
# clang-tidy (config: .clang-tidy) over the product sources, using build/compile_commands.json.
# Exit status is non-zero on any diagnostic (WarningsAsErrors: '*').
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD_DIR:-build}
[ -f "$B/compile_commands.json" ] || scripts/build
mapfile -t files < <(git ls-files -co --exclude-standard -- 'src/*.cpp')
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$B" --quiet
echo "tidy: ${#files[@]} files clean"
