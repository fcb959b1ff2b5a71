#!/bin/sh
# One installation (a province's pipeline) on a shared Apache Kafka cluster: its SCRAM-SHA-512 user,
# allowed on the topics, consumer groups and transactional ids of its namespace and nothing else.
#
#   IOC_KAFKA_PASSWORD=... deploy/kafka/installation.sh NAMESPACE [USER]
#
# NAMESPACE is the installation's `[kafka] namespace` (e.g. laichau): every name it uses starts with
# "NAMESPACE." (contract/topics.py). USER defaults to NAMESPACE. The password is read from
# $IOC_KAFKA_PASSWORD (the same variable as the installation's `[broker] sasl_password_env`).
# Run as a cluster administrator: $KAFKA_BOOTSTRAP (default localhost:9092) is a listener where this
# script may alter users and ACLs, $KAFKA_ADMIN_CONFIG an optional client properties file for it
# (--command-config), $KAFKA_BIN the folder of kafka-configs.sh and kafka-acls.sh (default the
# apache/kafka image's /opt/kafka/bin). Running it again changes the password and adds nothing twice.
# tests/kafka/test_installations.py runs this very script against the tests' cluster.
set -eu

namespace=${1:?usage: installation.sh NAMESPACE [USER]}
user=${2:-$namespace}
: "${IOC_KAFKA_PASSWORD:?set IOC_KAFKA_PASSWORD to the installation user's password}"
bin=${KAFKA_BIN:-/opt/kafka/bin}
bootstrap=${KAFKA_BOOTSTRAP:-localhost:9092}

admin() {   # admin TOOL ARGS...: a Kafka command-line tool as the cluster administrator
    tool=$1
    shift
    if [ -n "${KAFKA_ADMIN_CONFIG:-}" ]; then set -- --command-config "$KAFKA_ADMIN_CONFIG" "$@"; fi
    "$bin/$tool" --bootstrap-server "$bootstrap" "$@"
}

acl() {   # acl RESOURCE-OPTION OPERATION...: allow $user these operations on "$namespace."*
    resource=$1
    shift
    for op in "$@"; do set -- "$@" --operation "$op"; shift; done
    admin kafka-acls.sh --add --allow-principal "User:$user" --resource-pattern-type prefixed \
        "$resource" "$namespace." "$@"
}

# (kafka-configs' --add-config-file reads the mechanism's name as SCRAM_SHA_512 and refuses it in
# Kafka 4.3.1, so the credential goes on the command line, briefly visible to `ps` on this host.)
admin kafka-configs.sh --alter --entity-type users --entity-name "$user" \
    --add-config "SCRAM-SHA-512=[password=$IOC_KAFKA_PASSWORD]"

# Topics: produce, consume, create its catalogue (`ioc topics create`, `ioc run`), read their configs.
acl --topic Read Write Describe DescribeConfigs Create
# Consumer groups: the KPI workers' and the sink's; Describe also for `ioc status` lag.
acl --group Read Describe
# Transactional ids: the pipeline uses none today; the namespace is reserved for them too.
acl --transactional-id Write Describe
echo "installation $namespace: user $user may use ${namespace}.* (topics, groups, transactional ids)"
