#!/usr/bin/env bash
# bench/serve/run.sh: `dpeval serve` against PyTorch behind Flask (issue 18, "Speed"), one run.
#
# For each model (MLP, CNN; the same weights on both sides) it starts, one at a time on
# 127.0.0.1:
#   dpeval_batch    $DPEVAL serve --max-batch 64 --max-delay-ms 2   (micro-batching)
#   dpeval_nobatch  $DPEVAL serve --max-batch 1                     (none)
#   flask_peer      bench/serve/flask_peer.py                       (PyTorch 1 thread, Werkzeug threaded server)
# checks that it answers what PyTorch computes (check_agree.py; exit 1 otherwise), then drives
# it with serve_load_client (load_client.cc: closed loop, keep-alive, one instance a request) at
# each concurrency for --warmup-s + --duration-s, and stops it with SIGTERM. With --rounds R the
# servers take turns R times (round 1: each server in order, round 2: again, ...), so that a
# slow minute of this shared machine falls on all of them alike. summarize.py writes the JSON
# summary and prints a markdown table of req/s and p50/p95/p99 (medians over the rounds), and
# the goals as ratios taken in this run. Everything is bounded: a fixed time a point, a start-up deadline, a stop
# deadline, a per-request timeout; servers still running when the script exits are killed.
#
# Cached in the work dir (default ${TMPDIR:-/tmp}/dpeval-bench-serve): the client binary (rebuilt
# when load_client.cc is newer), the request bodies (the first 256 Fashion-MNIST test images),
# the checkpoints (`dpeval train --epochs 1`; --retrain makes them again). Each run's files go to
# WORK/run-YYYYmmdd-HHMMSS/; the summary to --json-out (default: that directory's summary.json).
#
# Usage: bench/serve/run.sh [--models mlp,cnn] [--concurrency 1,8,64] [--duration-s 5] [--warmup-s 1]
#          [--servers dpeval_batch,dpeval_nobatch,flask_peer] [--threads N] [--work-dir DIR]
#          [--json-out FILE] [--retrain] [--rounds 1]
# Environment: DPEVAL (default build/lead/dpeval), CXX (default c++).
# Exit: 0 measured (goals met or not: read the table), 1 a failure, 2 usage, 77 the peer script
# ../shared/peers/fmnist_ddp.py is missing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
PEER_SCRIPT="$ROOT/../shared/peers/fmnist_ddp.py"
BODIES_COUNT=256
START_DEADLINE_S=60
STOP_DEADLINE_S=15

models=mlp,cnn
concurrency=1,8,64
duration_s=5
warmup_s=1
servers=dpeval_batch,dpeval_nobatch,flask_peer
threads=
work_dir=${TMPDIR:-/tmp}/dpeval-bench-serve
json_out=
retrain=0
rounds=1

say() { echo "bench/serve: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '/^# Usage:/,/^# Exit:/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --models) models=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --duration-s) duration_s=$2; shift 2 ;;
    --warmup-s) warmup_s=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --work-dir) work_dir=$2; shift 2 ;;
    --json-out) json_out=$2; shift 2 ;;
    --retrain) retrain=1; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    -h|--help) usage ;;
    *) say "unknown option $1"; usage ;;
  esac
done
[[ $models =~ ^(mlp|cnn)(,(mlp|cnn))*$ ]] || { say "--models: expected mlp, cnn or both, got '$models'"; usage; }
[[ $concurrency =~ ^[0-9]+(,[0-9]+)*$ ]] || { say "--concurrency: expected numbers like 1,8,64"; usage; }
[[ $servers =~ ^(dpeval_batch|dpeval_nobatch|flask_peer)(,(dpeval_batch|dpeval_nobatch|flask_peer))*$ ]] ||
  { say "--servers: expected a comma-separated subset of dpeval_batch, dpeval_nobatch, flask_peer"; usage; }
[[ -z $threads || $threads =~ ^[1-9][0-9]*$ ]] || { say "--threads: expected a positive number"; usage; }
[[ $rounds =~ ^[1-9]$ ]] || { say "--rounds: expected 1 to 9"; usage; }

# Paths given relative to where the script was started, before moving to the repository root.
[[ -z $json_out || $json_out == /* ]] || json_out="$PWD/$json_out"
[[ $work_dir == /* ]] || work_dir="$PWD/$work_dir"
[[ -z ${DPEVAL:-} || $DPEVAL == /* ]] || DPEVAL="$PWD/$DPEVAL"
cd "$ROOT"
DPEVAL=${DPEVAL:-build/lead/dpeval}
[[ -f $PEER_SCRIPT ]] || { say "$PEER_SCRIPT not found: the peer's models live there; skipping"; exit 77; }
[[ -x $DPEVAL ]] || die "$DPEVAL not found: build it (cmake --build build/lead --target dpeval) or set DPEVAL"
if [[ $servers == *dpeval* ]] && ! grep -Eq '^ +serve( |$)' <<< "$("$DPEVAL" --help 2> /dev/null || true)"; then
  die "$DPEVAL has no 'serve' command (not in \`$DPEVAL --help\`): build a dpeval that has it, or --servers flask_peer"
fi
command -v curl > /dev/null || die "curl not found (apt-get install curl): it polls /healthz"
"$PY" -c 'import flask, torch, numpy' 2> /dev/null ||
  die "$PY lacks flask, torch or numpy: apt-get install python3-flask python3-torch python3-numpy"
"$PY" -c "import sys; sys.path.insert(0, 'bench'); import benchlib; benchlib.require_openblas('bench/serve')"

mkdir -p "$work_dir/bin" "$work_dir/models"
work_dir=$(cd "$work_dir" && pwd)
run_dir="$work_dir/run-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$run_dir"
json_out=${json_out:-$run_dir/summary.json}

# The load client, rebuilt when its source is newer.
client="$work_dir/bin/serve_load_client"
if [[ ! -x $client || $HERE/load_client.cc -nt $client ]]; then
  say "building $client"
  "${CXX:-c++}" -std=c++20 -O2 -Wall -Wextra -o "$client.tmp" "$HERE/load_client.cc"
  mv "$client.tmp" "$client"
fi

bodies="$work_dir/bodies-$BODIES_COUNT-ids.jsonl"
[[ -f $bodies ]] || "$PY" "$HERE/make_bodies.py" "$BODIES_COUNT" "$bodies"

# Checkpoints: one epoch each, kept across runs (--retrain makes them again); exported every run so
# that the peer always holds the weights of the checkpoint dpeval serves.
model_dir() { echo "$work_dir/models/$1"; }
for model in ${models//,/ }; do
  dir=$(model_dir "$model")
  if [[ $retrain == 1 || ! -f $dir/checkpoint.dpck ]]; then
    say "training $model (1 epoch) into $dir"
    rm -rf "$dir.tmp"
    "$DPEVAL" train --model "$model" --data fashion-mnist --epochs 1 --seed 0 --audit off --out "$dir.tmp" \
      > "$run_dir/train-$model.log" 2>&1 || die "dpeval train failed: $run_dir/train-$model.log"
    rm -rf "$dir"
    mv "$dir.tmp" "$dir"
  fi
  "$DPEVAL" export --checkpoint "$dir/checkpoint.dpck" --format safetensors --out "$dir/weights.safetensors" \
    > "$run_dir/export-$model.log" 2>&1 || die "dpeval export failed: $run_dir/export-$model.log"
done

server_pid=
server_status=0
# stop_server: SIGTERM, then SIGKILL after STOP_DEADLINE_S; sets server_status (143: ended by the signal).
stop_server() {
  [[ -n $server_pid ]] || return 0
  local pid=$server_pid waited=0
  server_pid=
  server_status=0
  kill -TERM "$pid" 2> /dev/null || return 0
  while kill -0 "$pid" 2> /dev/null; do
    if (( waited >= STOP_DEADLINE_S * 10 )); then
      say "warning: pid $pid still running ${STOP_DEADLINE_S} s after SIGTERM: killing it"
      kill -KILL "$pid" 2> /dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  wait "$pid" 2> /dev/null || server_status=$?
}
trap stop_server EXIT
trap 'exit 130' INT TERM

json_string() { "$PY" -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server MODEL SERVER PORT LOG: starts it in the background (server_pid) and waits for /healthz.
start_server() {
  local model=$1 server=$2 port=$3 log=$4 dir
  dir=$(model_dir "$model")
  local cmd
  case $server in
    dpeval_batch|dpeval_nobatch)
      local store="$run_dir/store-$model-$server"
      cmd=("$DPEVAL" serve --checkpoint "$dir/checkpoint.dpck" --host 127.0.0.1 --port "$port" --store "$store")
      if [[ $server == dpeval_batch ]]; then cmd+=(--max-batch 64 --max-delay-ms 2); else cmd+=(--max-batch 1); fi
      [[ -z $threads ]] || cmd+=(--threads "$threads")
      ;;
    flask_peer)
      cmd=("$PY" "$HERE/flask_peer.py" --weights "$dir/weights.safetensors" --kind "$model" --port "$port")
      ;;
  esac
  server_cmd="${cmd[*]}"
  "${cmd[@]}" > "$log" 2>&1 &
  server_pid=$!
  local tries=0
  until curl -fs --max-time 1 "http://127.0.0.1:$port/healthz" > /dev/null 2>&1; do
    kill -0 "$server_pid" 2> /dev/null || { server_pid=; die "$server exited before it served: $log"; }
    (( tries < START_DEADLINE_S * 10 )) || die "$server not healthy ${START_DEADLINE_S} s after start: $log"
    sleep 0.1
    tries=$((tries + 1))
  done
}

"$PY" - "$run_dir/run.json" "$DPEVAL" "$models" "$concurrency" "$duration_s" "$warmup_s" "$servers" \
  "${threads:-default}" "$bodies" "$BODIES_COUNT" "$rounds" <<'EOF'
import json, os, platform, subprocess, sys
import flask, numpy, torch, werkzeug
out, dpeval, models, conc, dur, warm, servers, threads, bodies, nbodies, rounds = sys.argv[1:12]
version = subprocess.run([dpeval, "--version"], capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
json.dump({"dpeval": os.path.abspath(dpeval), "dpeval_version": version, "models": models.split(","),
           "concurrency": [int(c) for c in conc.split(",")], "duration_s": float(dur), "warmup_s": float(warm),
           "rounds": int(rounds),
           "servers": servers.split(","), "dpeval_threads": threads, "cores": os.cpu_count(), "cpu": cpu,
           "loadavg_start": open("/proc/loadavg").read().split()[:3],
           "request": f"one instance a request, 784 features: Fashion-MNIST test image i / 255, "
                      f"i cycling over the first {nbodies} ({bodies})",
           "peer": {"python": platform.python_version(), "flask": flask.__version__,
                    "werkzeug": werkzeug.__version__, "torch": torch.__version__, "numpy": numpy.__version__,
                    "server": "werkzeug.serving.make_server(threaded=True): a thread a connection, "
                              "Connection: close after every response", "torch_threads": 1}},
          open(out, "w"), indent=1)
EOF

for model in ${models//,/ }; do
  dir=$(model_dir "$model")
  for round in $(seq 1 "$rounds"); do
  for server in ${servers//,/ }; do
    port=$(free_port)
    log="$run_dir/$model-$server-$round.log"
    say "$model $server: starting on 127.0.0.1:$port"
    start_server "$model" "$server" "$port" "$log"
    agree=$("$PY" "$HERE/check_agree.py" --port "$port" --bodies "$bodies" --weights "$dir/weights.safetensors" \
      --kind "$model") || die "$model $server does not answer what PyTorch computes (see above); log: $log"
    printf '{"model": "%s", "server": "%s", "round": %s, "command": %s, "agree": %s}\n' \
      "$model" "$server" "$round" "$(json_string "$server_cmd")" "$agree" >> "$run_dir/servers.jsonl"
    for c in ${concurrency//,/ }; do
      load=$("$client" --port "$port" --bodies "$bodies" --connections "$c" --duration-s "$duration_s" \
        --warmup-s "$warmup_s") || die "$model $server c=$c: the load client failed; server log: $log"
      printf '{"model": "%s", "server": "%s", "concurrency": %s, "round": %s, "load": %s}\n' \
        "$model" "$server" "$c" "$round" "$load" >> "$run_dir/points.jsonl"
      say "$model $server c=$c (round $round/$rounds): $load"
    done
    stop_server
    if [[ $server == dpeval_* && $server_status != 0 ]]; then
      say "warning: $model $server exited $server_status after SIGTERM (expected 0 after draining): $log"
    fi
    if [[ -d $run_dir/store-$model-$server ]]; then
      say "$model $server: store $(du -sh "$run_dir/store-$model-$server" | cut -f1), removed"
      rm -rf "$run_dir/store-$model-$server"
    fi
  done
  done
done

"$PY" "$HERE/summarize.py" "$run_dir" "$json_out"
say "summary: $json_out (run files: $run_dir)"
