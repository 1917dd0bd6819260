#!/bin/bash
# Grade the class in @@submissions on a few machines without a cluster: GNU parallel runs the @@shards shards over
# ssh, then the merge runs here. Made by `mnist-grade batch ... --template parallel --shards @@shards`.
#
# Every machine listed in HOSTS (one `ssh` login a line; `:` is this machine) must see the same folders at the same
# paths (NFS, a shared home) and run the same Python with the grader; each grades one shard at a time, one student
# per core. A shard never downloads MNIST: set MNIST_DATA below, or make a cache on each machine once with
# `mnist-grade data --from PATH`. A shard that fails is tried twice more; the merge names any student left ungraded.
set -uo pipefail
hosts=${HOSTS:-hosts.txt}
python=@@python
submissions=@@submissions_q
results=@@results_q
shards=@@shards
@@mnist_data

export MNIST_DATA=${MNIST_DATA:-}

mkdir -p "$results/logs"
# The shard's command as the remote shell reads it: each path quoted once more.
shard=$(printf '%q ' "$python" -P -m grader.cli batch "$submissions" --out "$results")
logs=$(printf '%q' "$results/logs")
seq 0 $((shards - 1)) | parallel --will-cite --sshloginfile "$hosts" --jobs 1 --retries 3 --halt never --env MNIST_DATA \
    --joblog "$results/logs/parallel.log" "$shard --shard {}/$shards @@options > $logs/shard-{}.log 2>&1"
exec "$python" -P -m grader.cli batch "$submissions" --out "$results" --merge @@merge_options
