#!/usr/bin/env bash
# Time until the TUI draws its first frame and until it shows the loaded
# tree, and the peak RSS up to then, on one image (issue 12: the 1 M-file
# archive within 2.5 s and 250 MB). Runs the real binary in tmux, presses
# `1` (the tree screen) as soon as the first frame is up, polls the pane,
# quits with `q` once the tree is drawn. Prints one TSV line a run, then the
# medians.
#
#   scripts/bench-tui.sh [-n RUNS] [-b BINARY] [-s SETTLE_S] IMAGE
#
# -s waits that long after the tree shows before quitting (the one-image
# TUI keeps planning in the background: its RSS counts too).
set -euo pipefail
runs=5 bin=target/release/stagediff settle=0
while getopts n:b:s: o; do
    case $o in
    n) runs=$OPTARG ;;
    b) bin=$OPTARG ;;
    s) settle=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
image=${1:?usage: scripts/bench-tui.sh [-n RUNS] [-b BINARY] [-s SETTLE_S] IMAGE}
command -v tmux >/dev/null || { echo "bench-tui: tmux is not installed" >&2; exit 1; }
[[ -x $bin ]] || { echo "bench-tui: no binary at $bin" >&2; exit 1; }
bin=$(readlink -f "$bin")
tmp=$(mktemp -d)
session="bench-tui-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
printf 'run\tfirst_frame_ms\ttree_ms\tpeak_rss_mib\n'
for run in $(seq 1 "$runs"); do
    rm -f "$tmp/time"
    tmux new-session -d -s "$session" -x 200 -y 60 \
        "/usr/bin/time -f '%M' -o '$tmp/time' '$bin' '$image'; sleep 600"
    start=$(now)
    first='' tree=''
    while :; do
        screen=$(tmux capture-pane -p -t "$session" 2>/dev/null || true)
        t=$(now)
        if [[ -z $first && $screen == *IMAGE* ]]; then
            first=$(ms "$start" "$t")
            tmux send-keys -t "$session" 1
        fi
        if [[ -n $first && $screen == *"filesystem ·"*rows* ]]; then
            tree=$(ms "$start" "$t")
            break
        fi
        if (($(ms "$start" "$t") > 120000)); then
            echo "bench-tui: no tree after 120 s" >&2
            exit 1
        fi
        sleep 0.01
    done
    sleep "$settle"
    tmux send-keys -t "$session" q
    for _ in $(seq 1 500); do [[ -s $tmp/time ]] && break; sleep 0.02; done
    rss_kib=$(tail -n1 "$tmp/time")
    tmux kill-session -t "$session"
    printf '%s\t%s\t%s\t%s\n' "$run" "$first" "$tree" "$((rss_kib / 1024))" | tee -a "$tmp/all"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf 'median\t%s\t%s\t%s\n' \
    "$(cut -f2 "$tmp/all" | median)" "$(cut -f3 "$tmp/all" | median)" "$(cut -f4 "$tmp/all" | median)"
