#!/usr/bin/env bash
# The stars demo's v3 variant end to end (DEMO_POLICY=v3): tests/lab/demo.sh
# with DEMO_TEST_POLICY=v3 (see there): the steps apply Calico v3 policy files,
# and headless Chromium sees the page refused at step 1, empty at step 2, the
# services without edges at step 3 and exactly client->frontend and
# frontend->backend at step 4; the teardown leaves nothing behind.
DEMO_TEST_POLICY=v3 exec bash "$(dirname "$0")/demo.sh" "$@"
