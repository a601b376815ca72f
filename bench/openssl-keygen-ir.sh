#!/bin/bash
# bench/openssl-keygen-ir.sh - what an `openssl cmp` user does today to
# enroll a NEW token key (openssl cmp has no -newkeygen): pkcs11-tool
# generates an EC P-256 key pair on the token under a random CKA_ID, then
# openssl cmp enrolls it through libp11's engine. Run by bench/run.sh in
# its hyperfine rounds; the arguments after TOKEN are openssl cmp's.
# Usage: openssl-keygen-ir.sh MODULE TOKEN PINFILE ENGINE-CNF CMP-ARGS...
set -eu
module=$1 token=$2 pin=$(cat "$3") cnf=$4
shift 4
printf -v id '%02x%02x%02x%02x' $((RANDOM % 256)) $((RANDOM % 256)) \
    $((RANDOM % 256)) $((RANDOM % 256))
pkcs11-tool --module "$module" --token-label "$token" --login --pin "$pin" \
    --keypairgen --key-type EC:prime256v1 --id "$id" --label gk-openssl \
    > /dev/null 2>&1
OPENSSL_CONF=$cnf exec openssl cmp -engine pkcs11 -keyform ENGINE \
    -newkey "pkcs11:token=$token;id=%${id:0:2}%${id:2:2}%${id:4:2}%${id:6:2};type=private" \
    -newkeypass "pass:$pin" "$@"
