#!/bin/bash
# Registers the two job definitions and submits the array of 8 shards and the
# merge, which AWS Batch starts once every child of the array succeeded.
# The array size must equal RACESIM_SHARDS in shard-job-definition.json:
# AWS Batch gives each child AWS_BATCH_JOB_ARRAY_INDEX but not the size.
# QUEUE is your job queue (a Fargate compute environment with the EFS volume).
set -euo pipefail
cd "$(dirname "$0")"
QUEUE=${QUEUE:-racesim}

aws batch register-job-definition --cli-input-json file://shard-job-definition.json >/dev/null
aws batch register-job-definition --cli-input-json file://merge-job-definition.json >/dev/null
shards=$(aws batch submit-job --job-name racesim-shards --job-queue "$QUEUE" \
  --job-definition racesim-shard --array-properties size=8 \
  --query jobId --output text)
aws batch submit-job --job-name racesim-merge --job-queue "$QUEUE" \
  --job-definition racesim-merge --depends-on "jobId=$shards" \
  --query jobId --output text
