#!/usr/bin/env bash
# Settings for the services of scripts/services-up.sh, as shell export lines:
#   eval "$(npm run -s services:env)"
cat <<'ENV'
export PINPIPE_KAFKA_BROKERS=127.0.0.1:9092
export PINPIPE_S3_ENDPOINT=http://127.0.0.1:9000
export PINPIPE_S3_BUCKET=pinpipe
export PINPIPE_S3_FORCE_PATH_STYLE=true
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export PINPIPE_MYSQL_URL=mysql://pinpipe:pinpipe@127.0.0.1:3306/pinpipe
export PINPIPE_REDIS_URL=redis://127.0.0.1:6379
export PINPIPE_SPARK_MASTER=spark://127.0.0.1:7077
ENV
