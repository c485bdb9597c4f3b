#!/usr/bin/env bash
# Runs smallx's benchmark harness and, when the peer virtualenv exists, the NumPyro, Pyro and
# PyMC scripts on the same workloads, in one run; prints a side-by-side markdown table.
#
#   bash scripts/compare.sh            # W1-W8
#   bash scripts/compare.sh w1 w3      # a subset
#
# Peers: PEERS_DIR (default ../shared/peers) holds the peer scripts; their virtualenv is
# PEERS_PY (default ~/.cache/smallx-peers-venv/bin/python), made by the peers' setup.sh.
# Raw JSON lines are kept in target/compare/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS_DIR="${PEERS_DIR:-$ROOT/../shared/peers}"
PEERS_PY="${PEERS_PY:-$HOME/.cache/smallx-peers-venv/bin/python}"
OUT="$ROOT/target/compare"
WORKLOADS=("${@:-w1 w2 w3 w4 w5 w6 w7 w8}")
read -r -a WORKLOADS <<< "${WORKLOADS[*]}"
mkdir -p "$OUT"

echo "[compare] smallx: cargo bench --bench workloads -- ${WORKLOADS[*]}" >&2
(cd "$ROOT" && cargo bench --quiet --bench workloads -- "${WORKLOADS[@]}") | grep '^{' > "$OUT/smallx.jsonl"

: > "$OUT/peers.jsonl"
: > "$OUT/w7_seeds_numpyro.jsonl"
if [ -x "$PEERS_PY" ] && [ -d "$PEERS_DIR" ]; then
  # The peer scripts write next to themselves (data/, logs/): run a scratch copy.
  SCRATCH="$(mktemp -d)"
  cp -r "$PEERS_DIR"/. "$SCRATCH"/
  chmod -R u+w "$SCRATCH"
  (cd "$SCRATCH" && "$PEERS_PY" make_data.py > /dev/null 2>&1)
  for fw in numpyro pyro pymc; do
    if [ "$fw" = pymc ] && ! "$PEERS_PY" -c "import pymc" > /dev/null 2>&1; then continue; fi
    echo "[compare] $fw ..." >&2
    (cd "$SCRATCH" && timeout 1800 "$PEERS_PY" "${fw}_bench.py" "${WORKLOADS[@]}" 2> "$OUT/$fw.log" | grep '^{' >> "$OUT/peers.jsonl") \
      || echo "[compare] $fw failed; see $OUT/$fw.log" >&2
  done
  rm -rf "$SCRATCH"
  # W7's final locations vary between seeds: NumPyro's over seeds 0..7, beside smallx's.
  if [[ " ${WORKLOADS[*]} " == *" w7 "* ]] && "$PEERS_PY" -c "import numpyro" > /dev/null 2>&1; then
    echo "[compare] numpyro W7 over seeds ..." >&2
    "$PEERS_PY" "$ROOT/scripts/w7_seeds.py" 2> "$OUT/w7_seeds.log" > "$OUT/w7_seeds_numpyro.jsonl" \
      || echo "[compare] scripts/w7_seeds.py failed; see $OUT/w7_seeds.log" >&2
  fi
else
  echo "[compare] no peer virtualenv at $PEERS_PY: smallx only (run the peers' setup.sh to add them)" >&2
fi

python3 "$ROOT/scripts/side_by_side.py" "$OUT/smallx.jsonl" "$OUT/peers.jsonl" "$OUT/w7_seeds_numpyro.jsonl"
