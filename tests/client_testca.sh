#!/bin/bash
# tests/client_testca.sh - p11cmp's client transactions end to end
# against the test CA: IR, CR, P10CR, KUR, RR and GENM, each with PBM and
# with signature protection (file keys), checking the issued cert's
# public key and subject, the status, caPubs and extraCertsIn, and what
# the CA saw (its log).
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/client_helpers.sh"

for k in ir cr kur p10 sir scr skur sp10; do
    new_key "$WORK/$k.key"
done
openssl req -new -key "$WORK/p10.key" -subj "/CN=p10cr" \
    -out "$WORK/p10.csr" 2>/dev/null || fail "openssl req"
openssl req -new -key "$WORK/sp10.key" -subj "/CN=sp10cr" \
    -out "$WORK/sp10.csr" 2>/dev/null || fail "openssl req"

testca_start --ref "$REF" --secret "$SECRET" --cacertout "$WORK/ca.pem" \
    --send-capubs --timeout 120

# --- PBM ---
client_pbm --cmd ir --newkey "$WORK/ir.key" --subject ir \
    --certout "$WORK/ir.pem" || client_fail "ir/pbm"
expect_issued ir "$WORK/ir.pem" "$WORK/ir.key" "CN=ir"
expect_val "ir/pbm capubs" capubs 1
expect_eq "ir/pbm certConf" "$(log_count "certConf for certReqId 0: PKIStatus: accepted")" 1

client_pbm --cmd cr --newkey "$WORK/cr.key" --subject cr \
    --certout "$WORK/cr.pem" || client_fail "cr/pbm"
expect_issued cr "$WORK/cr.pem" "$WORK/cr.key" "CN=cr"
# libcrypto's server puts caPubs into IP only
expect_val "cr/pbm capubs" capubs 0

client_pbm --cmd kur --oldcert "$WORK/ir.pem" --newkey "$WORK/kur.key" \
    --certout "$WORK/kur.pem" || client_fail "kur/pbm"
expect_issued kur "$WORK/kur.pem" "$WORK/kur.key" "CN=ir"
expect_eq "kur/pbm renews" "$(log_count "kur: renewing serial \
$(cert_field "$WORK/ir.pem" -serial) (oldCertID)")" 1

client_pbm --cmd p10cr --csr "$WORK/p10.csr" --certout "$WORK/p10.pem" \
    || client_fail "p10cr/pbm"
expect_issued p10cr "$WORK/p10.pem" "$WORK/p10.key" "CN=p10cr"

client_pbm --cmd rr --oldcert "$WORK/cr.pem" || client_fail "rr/pbm"
expect_val "rr/pbm result" result ok
expect_val "rr/pbm newcert" newcert no
expect_eq "rr/pbm revoked" "$(log_count "revoked serial \
$(cert_field "$WORK/cr.pem" -serial)")" 1

client_pbm --cmd genm --genm-oid 1.3.6.1.5.5.7.4.17 || client_fail "genm/pbm"
expect_val "genm/pbm itavs" itavs 1
expect_val "genm/pbm status" status 0

# --- signature protection: the IR cert signs, the CA cert is trusted ---
client_sig() {
    client --cert "$WORK/sig.pem" --key "$WORK/sig.key" \
        --trusted "$WORK/ca.pem" "$@"
}
cp "$WORK/p10.pem" "$WORK/sig.pem"
cp "$WORK/p10.key" "$WORK/sig.key"

client_sig --cmd ir --newkey "$WORK/sir.key" --subject sir \
    --certout "$WORK/sir.pem" || client_fail "ir/sig"
expect_issued ir/sig "$WORK/sir.pem" "$WORK/sir.key" "CN=sir"
expect_val "ir/sig capubs" capubs 1
# the CA sends no extraCerts of its own; its cert is a self-signed root,
# which newChain leaves out
expect_val "ir/sig extracerts" extracerts 0
expect_val "ir/sig chain" chain 0

client_sig --cmd cr --newkey "$WORK/scr.key" --subject scr \
    --certout "$WORK/scr.pem" || client_fail "cr/sig"
expect_issued cr/sig "$WORK/scr.pem" "$WORK/scr.key" "CN=scr"

# KUR of the signing cert itself (oldCert defaults to the client cert)
client_sig --cmd kur --newkey "$WORK/skur.key" --certout "$WORK/skur.pem" \
    || client_fail "kur/sig"
expect_issued kur/sig "$WORK/skur.pem" "$WORK/skur.key" "CN=p10cr"

client_sig --cmd p10cr --csr "$WORK/sp10.csr" --certout "$WORK/sp10.pem" \
    || client_fail "p10cr/sig"
expect_issued p10cr/sig "$WORK/sp10.pem" "$WORK/sp10.key" "CN=sp10cr"

client_sig --cmd rr --oldcert "$WORK/scr.pem" || client_fail "rr/sig"
expect_val "rr/sig status" status 0
expect_eq "rr/sig revoked" "$(log_count "revoked serial \
$(cert_field "$WORK/scr.pem" -serial)")" 1

# a second RR of the same cert is rejected (certRevoked)
client_sig --cmd rr --oldcert "$WORK/scr.pem" && fail "second rr succeeded"
expect_val "rr again status" status 2
expect_val "rr again failinfo" failinfo 0x400
expect_reason "rr again" 402

client_sig --cmd genm --genm-oid 1.3.6.1.5.5.7.4.17 || client_fail "genm/sig"
expect_val "genm/sig itavs" itavs 1

# the CA saw a certConf for each of the 8 enrollments
expect_eq "certConf count" "$(log_count "certConf for certReqId")" 8

# transactions in a row with one context: new transactionIDs, one
# kept-alive connection
conns=$(log_count "connection accepted")
client_pbm --cmd ir --newkey "$WORK/ir.key" --subject ka --repeat 3 \
    || client_fail "3 IRs with one context"
expect_val "3 IRs" newcert yes
expect_eq "3 IRs: connections" $(($(log_count "connection accepted") \
    - conns)) 1
expect_eq "3 IRs: certConf" "$(log_count "certConf for certReqId")" 11
testca_stop

# extraCerts sent by the CA arrive in extraCertsIn; the CA cert (also in
# caPubs) completes newChain of an intermediate-free PKI
for n in 1 2; do
    openssl req -x509 -new -key "$WORK/cr.key" -subj "/CN=extra$n" \
        -days 1 -out "$WORK/extra$n.pem" 2>/dev/null || fail "extra cert"
done
cat "$WORK/extra1.pem" "$WORK/extra2.pem" > "$WORK/extra.pem"
testca_start --ref "$REF" --secret "$SECRET" --cacertout "$WORK/ca.pem" \
    --extra-certs "$WORK/extra.pem" --timeout 60
client_pbm --cmd ir --newkey "$WORK/ir.key" --subject extra \
    --certout "$WORK/x.pem" || client_fail "ir with extraCerts"
expect_issued "ir with extraCerts" "$WORK/x.pem" "$WORK/ir.key" "CN=extra"
expect_val "ir with extraCerts: extracerts" extracerts 2
expect_val "ir with extraCerts: capubs" capubs 0
testca_stop
