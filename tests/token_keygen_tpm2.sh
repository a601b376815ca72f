#!/bin/bash
# tests/token_keygen_tpm2.sh - tests/token_keygen.sh on tpm2-pkcs11 (a software TPM, see
# tests/token_fixture.sh) instead of SoftHSM2.
P11CMP_TEST_TOKEN=tpm2 exec bash "$top_srcdir/tests/token_keygen.sh"
