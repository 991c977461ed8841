#!/usr/bin/env bash
# bench/robust/run.sh: `dpeval robust --attack pgd` against PyTorch's PGD (peer_pgd.py) on the same exported
# weights, PGD-10 at eps 0.1 over the 10,000 Fashion-MNIST test images, both on every core (dpeval --threads 0,
# torch.set_num_threads(cores)); the ratio of median times in one run (issue 19's goal: >= 3x).
# dpeval is timed as a whole process (checkpoint and data loading included: a handicap), the peer's attack loop
# alone (loading excluded). Robust accuracies are printed beside the times: they differ only by the random starts.
# Usage: bench/robust/run.sh [--models mlp,cnn] [--repeats 3] [--steps 10] [--eps 0.1]
# Environment: DPEVAL (default build/lead/dpeval); work dir ${TMPDIR:-/tmp}/dpeval-bench-robust (checkpoints cached).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DPEVAL=${DPEVAL:-build/lead/dpeval}
models=mlp,cnn repeats=3 steps=10 eps=0.1
while (($#)); do
  case $1 in
    --models) models=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --eps) eps=$2; shift 2 ;;
    *) echo "bench/robust/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $repeats =~ ^[1-9]$ ]] || { echo "--repeats: 1 to 9" >&2; exit 2; }
[[ -x $DPEVAL ]] || { echo "no dpeval at $DPEVAL (cmake --build build/lead --target dpeval)" >&2; exit 1; }
work=${TMPDIR:-/tmp}/dpeval-bench-robust
mkdir -p "$work"
cores=$(nproc)
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "bench/robust: PGD-$steps at eps $eps, 10,000 test images, $cores cores, medians of $repeats; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
printf '| model | dpeval s | PyTorch s | ratio | dpeval robust acc | PyTorch robust acc |\n|---|---:|---:|---:|---:|---:|\n'
for model in ${models//,/ }; do
  dir=$work/$model
  if [[ ! -f $dir/checkpoint.dpck ]]; then
    echo "bench/robust: training the $model (1 epoch, seed 0)" >&2
    "$DPEVAL" train --model "$model" --data fashion-mnist --epochs 1 --seed 0 --audit off --out "$dir" > /dev/null 2>&1
  fi
  "$DPEVAL" export --checkpoint "$dir/checkpoint.dpck" --format safetensors --out "$dir/weights.safetensors" 2> /dev/null
  ours=() theirs=() ours_acc= theirs_acc=
  for r in $(seq 1 "$repeats"); do
    start=$(date +%s.%N)
    "$DPEVAL" robust --checkpoint "$dir/checkpoint.dpck" --attack pgd --eps "$eps" --steps "$steps" --threads 0 \
      --json-out "$dir/robust.json" 2> /dev/null
    ours+=("$(echo "$(date +%s.%N) - $start" | bc)")
    ours_acc=$(python3 -c "import json; print(json.load(open('$dir/robust.json'))['results'][0]['robust_accuracy'])")
    peer=$(/usr/bin/python3 "$HERE/peer_pgd.py" "$dir/weights.safetensors" "$model" "$eps" "$steps" "$cores")
    theirs+=("$(echo "$peer" | python3 -c 'import json, sys; print(json.load(sys.stdin)["seconds"])')")
    theirs_acc=$(echo "$peer" | python3 -c 'import json, sys; print(json.load(sys.stdin)["robust_accuracy"])')
    echo "bench/robust: $model round $r: dpeval ${ours[-1]} s, PyTorch ${theirs[-1]} s" >&2
  done
  a=$(printf '%s\n' "${ours[@]}" | median) b=$(printf '%s\n' "${theirs[@]}" | median)
  printf '| %s | %.2f | %.2f | **%.1fx** | %s | %s |\n' "$model" "$a" "$b" "$(echo "$b / $a" | bc -l)" "$ours_acc" "$theirs_acc"
done
