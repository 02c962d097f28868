# lib-faults.sh: every helper the fault scripts use now lives in
# tests/e2e/lib.sh; this file stays so that scripts sourcing it keep working.
