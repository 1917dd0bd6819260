#!/bin/bash
# Grade the class in @@submissions on Slurm: @@shards shards as one job array, then the merge once every shard has
# ended. Made by `mnist-grade batch ... --template slurm --shards @@shards`. On a login node: bash THIS_FILE
#
# Each shard grades about @@per_shard of the @@students students on @@cores cores (Slurm sets its CPU affinity, and
# the batch grades one student per core). --time is the most it can take: each student to the time limit of
# @@timeout s; a correct submission takes about 10 s of one core.
# A shard never downloads MNIST: compute nodes read it from MNIST_DATA below, or from a cache made on each node
# once with `mnist-grade data --from PATH`.
# A shard that did not finish: `sbatch --array=I @@resources THIS_FILE` (I its index), then `bash THIS_FILE merge`.
set -euo pipefail
python=@@python
submissions=@@submissions_q
results=@@results_q
shards=@@shards
@@mnist_data

if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then  # A task of the array: one shard.
    exec "$python" -P -m grader.cli batch "$submissions" --out "$results" --shard "$SLURM_ARRAY_TASK_ID/$shards" @@options
fi
if [ "${1:-}" = merge ]; then  # The class-wide files; exits 1 naming any student with no stored result.
    exec "$python" -P -m grader.cli batch "$submissions" --out "$results" --merge @@merge_options
fi
mkdir -p "$results/logs"
array=$(sbatch --parsable --job-name=mnist-grade --array=0-$((shards - 1)) @@resources \
    --output="$results/logs/shard-%a.log" "$0")
array=${array%%;*}
merge=$(sbatch --parsable --job-name=mnist-grade-merge --dependency="afterany:$array" --ntasks=1 --cpus-per-task=1 \
    --mem=2G --time=00:30:00 --output="$results/logs/merge.log" "$0" merge)
echo "Shards: job $array (array 0-$((shards - 1))); merge: job ${merge%%;*}. Logs: $results/logs"
