#!/usr/bin/env bash
# Gradescope runs this for every submission: grade AUTOGRADER/submission with the grader in
# AUTOGRADER/source into AUTOGRADER/results/results.json. AUTOGRADER (default /autograder) and
# MNIST_PYTHON (default the venv setup.sh made) let a test run it elsewhere; setup.sh runs it once with
# `fill`.
AUTOGRADER="${AUTOGRADER:-/autograder}"
export PYTHONPATH="$AUTOGRADER/source" MNIST_DATA="$AUTOGRADER/source/data" MNIST_LANG="${MNIST_LANG:-@@lang}"
export MNIST_WORKER_USER="${MNIST_WORKER_USER-mnist-student}" MNIST_CACHE="${MNIST_CACHE:-$AUTOGRADER/cache}"
cd "$AUTOGRADER/source" || exit
exec "${MNIST_PYTHON:-$AUTOGRADER/venv/bin/python}" -m grader.instructor.gradescope "${1:-run}" "$AUTOGRADER" \
    --timeout @@timeout --sandbox @@sandbox @@limits
