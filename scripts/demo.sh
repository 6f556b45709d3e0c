#!/usr/bin/env bash
# The main job: a real cluster on loopback. Installs what is missing, builds, then in a temporary
# folder starts a manager and two workers (swarmd), runs a service of sleepers on them (swarmctl),
# kills a worker with SIGKILL and watches its tasks move and the node go DOWN, restarts it on its
# state directory, removes the service, stops every swarmd with SIGTERM and checks that no swarmd
# and no task process is left. Ends by itself; exit 0 when every step held. A failure prints the
# swarmd logs and still cleans up. The scripted story of the agent core is scripts/demo-core.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }

say "installing the packages that are missing, then building (scripts/build.sh)"
scripts/ensure-deps.sh
scripts/build.sh >&2

root=$PWD
swarmd=$root/build/node/swarmd/swarmd
swarmctl_bin=$root/build/node/swarmctl/swarmctl
work=$(mktemp -d /tmp/swarmlet-demo-XXXXXX)
# Every task is `/bin/sleep $marker`: a number no other program on this machine is sleeping.
marker=$((1000000000 + $$ * 100 + RANDOM % 100))
declare -A pid=()

# The live processes with $1 in their command line (task shims name their task's directory).
# Pure bash (mapfile, no grep or tr of its own that could match itself).
pids_mentioning() {
  local dir args
  for dir in /proc/[0-9]*; do
    args=()
    mapfile -d '' args 2>/dev/null <"$dir/cmdline" || continue
    if [ "${dir#/proc/}" != "$$" ] && [[ "${args[*]}" == *"$1"* ]]; then echo "${dir#/proc/}"; fi
  done
}
# The live task processes of the demo.
sleepers() {
  local dir args
  for dir in /proc/[0-9]*; do
    args=()
    mapfile -d '' args 2>/dev/null <"$dir/cmdline" || continue
    if [ "${args[*]}" = "/bin/sleep $marker" ]; then echo "${dir#/proc/}"; fi
  done
}
count() { "$@" | grep -c . || true; }

cleanup() {
  local status=$?
  trap - EXIT
  if [ $status -ne 0 ]; then
    echo "demo: failed (exit $status); the last lines of each swarmd log:" >&2
    for log in "$work"/*.log; do
      [ -f "$log" ] && { echo "--- $log" >&2; tail -n 15 "$log" >&2; }
    done
  fi
  for name in "${!pid[@]}"; do
    { kill -9 "${pid[$name]}" && wait "${pid[$name]}"; } 2>/dev/null || true
  done
  local left
  for _ in 1 2 3 4 5; do
    left=$( (pids_mentioning "$work"; sleepers) | sort -u)
    [ -z "$left" ] && break
    # shellcheck disable=SC2086
    kill -9 $left 2>/dev/null || true
    sleep 0.2
  done
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

swarmctl() { "$swarmctl_bin" -s "$work/manager/swarmd.sock" "$@"; }

# wait_for SECONDS DESCRIPTION COMMAND...: runs COMMAND every half second until it succeeds.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "demo: gave up after ${limit} s waiting for $what" >&2
      return 1
    fi
    sleep 0.5
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME ARGS...: a swarmd in the background, its log in $work/NAME.log.
start() {
  local name=$1
  shift
  "$swarmd" "$@" 2>>"$work/$name.log" >&2 &
  pid[$name]=$!
}

# json_count FILTER: how many items of a swarmctl -o json array on stdin FILTER (Python) keeps.
json_count() { python3 -c "import json, sys; print(sum(1 for x in json.load(sys.stdin) if $1))"; }

node_status() {
  swarmctl -o json node ls | python3 -c "import json, sys
print(next((n['status'] for n in json.load(sys.stdin) if n['hostname'] == '$1'), 'none'))"
}
running_tasks() {
  swarmctl -o json task ls --service sleepers |
    json_count "x['desiredState'] == 'RUNNING' and x['currentState'] == 'RUNNING'"
}
running_tasks_off() {
  swarmctl -o json task ls --service sleepers | json_count \
    "x['desiredState'] == 'RUNNING' and x['currentState'] == 'RUNNING' and x['nodeId'] != '$1'"
}
ready_nodes() { swarmctl -o json node ls | json_count "x['status'] == 'READY'"; }
is() { [ "$("${@:2}")" = "$1" ]; }

manager_port=$(free_port)
say "starting a manager on 127.0.0.1:$manager_port (its state directory: $work/manager)"
# A heartbeat every 2 s (swarmd's default is 5 s): a dead node is DOWN after about 6 s.
start manager -d "$work/manager" --listen-remote-api "127.0.0.1:$manager_port" --hostname manager \
  --heartbeat-period 2s
wait_for 30 "the manager's control socket" swarmctl cluster inspect
swarmctl cluster inspect

token=$(swarmctl cluster inspect | awk '/^Worker token:/ {print $3}')
say "two workers join with the worker token"
for worker in worker-1 worker-2; do
  start "$worker" -d "$work/$worker" --listen-remote-api "127.0.0.1:$(free_port)" \
    --join-addr "127.0.0.1:$manager_port" --join-token "$token" --hostname "$worker"
done
wait_for 30 "three READY nodes" is 3 ready_nodes
swarmctl node ls

say "creating a service of 6 sleepers: /bin/sleep $marker"
swarmctl service create --name sleepers --replicas 6 --restart-delay 0s -- /bin/sleep "$marker"

say "the tasks converge"
for _ in 1 2 3; do
  swarmctl task ls
  is 6 running_tasks && break
  sleep 1
  echo
done
wait_for 60 "6 RUNNING tasks" is 6 running_tasks
wait_for 30 "6 task processes" is 6 count sleepers
swarmctl service ls
echo "$(count sleepers) task processes on this machine"

worker1_id=$(swarmctl -o json node inspect worker-1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
say "killing worker-1 with SIGKILL (its task processes live on under their shims)"
kill -9 "${pid[worker-1]}"
wait "${pid[worker-1]}" 2>/dev/null || true
unset 'pid[worker-1]'

say "waiting for worker-1 to miss three heartbeats (about 6 s) and its tasks to run elsewhere"
wait_for 90 "worker-1 DOWN" is DOWN node_status worker-1
wait_for 60 "6 RUNNING tasks on the other nodes" is 6 running_tasks_off "$worker1_id"
swarmctl node ls
swarmctl task ls

say "restarting worker-1 on its state directory (-d only): it stops its replaced tasks"
start worker-1 -d "$work/worker-1"
wait_for 30 "worker-1 READY" is READY node_status worker-1
wait_for 30 "exactly 6 task processes" is 6 count sleepers
swarmctl node ls
swarmctl task ls
echo "$(running_tasks) tasks RUNNING, $(count sleepers) task processes on this machine"

say "removing the service: every task process stops"
swarmctl service rm sleepers
wait_for 30 "no task process" is 0 count sleepers
echo "$(count sleepers) task processes on this machine"

say "stopping every swarmd with SIGTERM"
for name in "${!pid[@]}"; do kill -TERM "${pid[$name]}"; done
for name in "${!pid[@]}"; do
  status=0
  wait "${pid[$name]}" || status=$?
  echo "$name: swarmd exited with $status"
  [ $status -eq 0 ] || exit 1
  unset "pid[$name]"
done

say "checking that no swarmd and no task process is left"
left=$( (pids_mentioning "$work"; sleepers) | sort -u)
if [ -n "$left" ]; then
  echo "demo: processes left behind:" >&2
  for p in $left; do tr '\0' ' ' <"/proc/$p/cmdline" >&2; echo >&2; done
  exit 1
fi
echo "none left. The demo ran to its end."
