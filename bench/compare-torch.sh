#!/usr/bin/env bash
# PyTorch (bench/torch_bench.py) against peft4j (./peft4j bench train), one right after the other for each
# config and mode, on the same shapes and step settings; prints a Markdown table of throughput and memory ratios.
#
#   bench/compare-torch.sh [--config small|gpt2|small,gpt2] [--modes forward,lora,full] [--steps N] [--warmup W]
#                          [--device cpu|opencl[:N]] [--threads T] [--repeat R] [--base-dtype f32|bf16]
# Throughput is each run's median step; with --repeat R the best of R runs per peer (order alternating), and
# beside it each pair's own ratio (a torch run and the peft4j run next to it) with the median of those pairs:
# on a shared machine a peer's speed drifts from run to run, and a pair sees the same drift.
# --base-dtype bf16 keeps peft4j's frozen base weights in bfloat16 (PyTorch stays float32: the peer a user has).
# Environment: PYTHON (default /usr/bin/python3, Debian's torch), PEFT4J_JAVA_OPTS (extra JVM flags).
# Each run's full output goes to stderr; the table goes to stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
configs=small
modes=forward,lora,full
steps=3
warmup=1
device=cpu
threads=2
repeat=1
base_dtype=f32
while [ $# -gt 0 ]; do
    case "$1" in
        --config|--configs) configs="$2"; shift 2 ;;
        --modes|--mode) modes="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --device) device="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        --base-dtype) base_dtype="$2"; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "compare-torch.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

# Build (if needed) before anything is timed, then keep that build for every run.
"$root/peft4j" bench --help >/dev/null
export PEFT4J_NO_REBUILD=1

# The value of one "key value" line of a run's output; fails loudly when the line is missing.
value() {
    local v
    v=$(awk -v k="$1" '$1 == k { print $2 }' <<<"$2")
    if [ -z "$v" ]; then
        echo "compare-torch.sh: no '$1' line in the output of $3" >&2
        exit 1
    fi
    echo "$v"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 > b + 0) ? a : b }'; }

# "r1 / r2 / ... (median m)" for the space-separated ratios in $1.
pairs() {
    tr ' ' '\n' <<<"$1" | sort -n | awk -v list="$1" '
        { v[NR] = $1 }
        END {
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            gsub(/ /, " / ", list)
            printf "%s (median %.2f)", list, m
        }'
}

# One peer's run: its output goes to stderr (the log) and is returned. (tee /dev/stderr would truncate a log file.)
show() { echo "$1" >&2; echo "$1"; }
run_torch() {
    echo "== $1 $2: torch ($threads threads)" >&2
    show "$("$python" "$root/bench/torch_bench.py" --config "$1" --mode "$2" --steps "$steps" --warmup "$warmup" \
        --threads "$threads")"
}
run_peft4j() {
    echo "== $1 $2: peft4j ($device)" >&2
    show "$("$root/peft4j" bench train --config "$1" --mode "$2" --steps "$steps" --warmup "$warmup" \
        --device "$device" --base-dtype "$base_dtype")"
}

rows=()
for config in ${configs//,/ }; do
    for mode in ${modes//,/ }; do
        # Best of the repeats for each peer; the order alternates so neither always runs first.
        tt=""; jt=""; tr=""; jr=""; jh=""; pr=""
        for ((r = 0; r < repeat; r++)); do
            if ((r % 2 == 0)); then
                t=$(run_torch "$config" "$mode"); j=$(run_peft4j "$config" "$mode")
            else
                j=$(run_peft4j "$config" "$mode"); t=$(run_torch "$config" "$mode")
            fi
            ttok=$(value tokens_per_s "$t" torch_bench.py)
            jtok=$(value tokens_per_s "$j" "peft4j bench train")
            tt=$(best "$ttok" "$tt")
            jt=$(best "$jtok" "$jt")
            pr="${pr:+$pr }$(ratio "$jtok" "$ttok")"
            tr=$(value peak_rss_mib "$t" torch_bench.py)
            jr=$(value peak_rss_mib "$j" "peft4j bench train")
            jh=$(value heap_peak_mib "$j" "peft4j bench train")
        done
        label="$mode"
        if [ "$base_dtype" != f32 ]; then
            label="$mode, $base_dtype base"
        fi
        rows+=("| $config | $label | $tt | $jt | **$(ratio "$jt" "$tt")** | $(pairs "$pr") | $tr | $jr | $(ratio "$jr" "$tr") | $jh |")
    done
done

echo "| config | mode | torch tokens/s | peft4j tokens/s | peft4j/torch speed | speed per pair | torch peak RSS MiB | peft4j peak RSS MiB | RSS peft4j/torch | peft4j heap peak MiB |"
echo "|---|---|---:|---:|---:|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
