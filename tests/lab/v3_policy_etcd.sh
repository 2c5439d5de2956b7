#!/usr/bin/env bash
# v3_policy.sh on etcd: the same verdict matrix, relabelling and all-or-nothing
# apply, with both hosts' agents and calicoctl on a one-member etcd (in a
# namespace of its own on the fabric) instead of SQLite.
here=$(cd "$(dirname "$0")" && pwd)
V3_DATASTORE=etcd exec bash "$here/v3_policy.sh"
