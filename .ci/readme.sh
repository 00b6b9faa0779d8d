#!/usr/bin/env bash
# Runs the README's shell blocks marked `<!-- ci: run -->` as written, each in a fresh directory
# with a fresh sfkit data directory and settings file, `sfkit` being the release build. A block
# that fails (any command, `set -euo pipefail`) fails CI: the README stays true.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin="${SFKIT_BIN_DIR:-$root/target/release}"
test -x "$bin/sfkit" || cargo build --release --locked -q -p sfkit

blocks=$(mktemp -d)
python3 - "$blocks" <<'PY'
import pathlib, sys
out = pathlib.Path(sys.argv[1])
lines = pathlib.Path("README.md").read_text().splitlines()
n, i = 0, 0
while i < len(lines):
    if lines[i].strip() == "<!-- ci: run -->" and i + 1 < len(lines) and lines[i + 1].startswith("```sh"):
        j = i + 2
        body = []
        while j < len(lines) and not lines[j].startswith("```"):
            body.append(lines[j])
            j += 1
        n += 1
        (out / f"{n:02}.sh").write_text("\n".join(body) + "\n")
        i = j
    i += 1
print(f"{n} README blocks to run")
PY

status=0
for block in "$blocks"/*.sh; do
  work=$(mktemp -d)
  echo "-- README block $(basename "$block"):"
  sed 's/^/   | /' "$block"
  if ! (cd "$work" && PATH="$bin:$PATH" SFKIT_DATA_DIR="$work/data" SFKIT_CONFIG="$work/config.toml" \
      SFKIT_KEYRING=off timeout 180 bash -euo pipefail "$block"); then
    echo "README block $(basename "$block") failed" >&2
    status=1
  fi
  rm -rf "$work"
done
rm -rf "$blocks"
exit $status
