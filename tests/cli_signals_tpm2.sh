#!/bin/bash
# tests/cli_signals_tpm2.sh - tests/cli_signals.sh on tpm2-pkcs11 (a
# software TPM, see tests/token_fixture.sh) instead of SoftHSM2.
P11CMP_TEST_TOKEN=tpm2 exec bash "$top_srcdir/tests/cli_signals.sh"
