#!/bin/bash
# tests/cli_crash_random_tpm2.sh - tests/cli_crash_random.sh on tpm2-pkcs11
# (a software TPM, see tests/token_fixture.sh) instead of SoftHSM2.
P11CMP_TEST_TOKEN=tpm2 exec bash "$top_srcdir/tests/cli_crash_random.sh"
