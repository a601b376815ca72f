#!/bin/bash
# tests/cli_genm.sh - p11cmp -cmd genm with the -infotype values of RFC
# 9810 against the test CA, which serves them with libcrypto alone (its
# --rsp-* options; as DER made by hand where libcrypto is 3.0): caCerts
# (-cacertsout), rootCaCert (-oldwithold, -newwithnew, -newwithold,
# -oldwithnew; a forged newWithOld is refused with exit 5 and writes
# nothing), crlStatusList (-oldcrl or -crlcert, -crlout in DER and PEM),
# certReqTemplate (-template, -keyspec), with each output compared with
# what the CA served; a server without update removes stale outputs;
# usage errors for missing outputs. Runs on OpenSSL 3.0 and 3.5.
. "$top_srcdir/tests/fixture.sh"
. "$top_srcdir/tests/cli_helpers.sh"
. "$top_srcdir/tests/testca/helpers.sh"
. "$top_srcdir/tests/genm_pki.sh"
cd "$WORK"

genm_pki "old root" "new root"

same() {
    cmp -s "$1" "$2" || fail "$1 differs from $2 (what the CA served)"
}

# caCerts
genm_ca --rsp-cacerts cacerts.pem
expect 0 -infotype caCerts -cacertsout got.pem -no_cache_extracerts
same got.pem cacerts.pem
has out "caCerts: 2 certificate"
has testca.err "genm caCerts (well-formed, value of 0 bytes)"
expect 2 -infotype caCerts
has err "needs -cacertsout"
genm_ca
echo stale > stale.pem
expect 0 -infotype caCerts -cacertsout stale.pem
has out "caCerts: none"
has stale.pem stale  # openssl cmp 3.5 leaves the file too

# rootCaCert: the update verifies with the old root
genm_ca --rsp-newwithnew new.pem --rsp-newwithold nwo.pem \
    --rsp-oldwithnew own.pem
expect 0 -infotype rootCaCert -oldwithold old.pem -newwithnew g-nwn.pem \
    -newwithold g-nwo.pem -oldwithnew g-own.pem
same g-nwn.pem new.pem
same g-nwo.pem nwo.pem
same g-own.pem own.pem
has testca.err "genm rootCaCert (well-formed, value of [1-9]"
expect 2 -infotype rootCaCert -oldwithold old.pem
has err "needs -newwithnew"
# without -oldwithold: the trust store stands for it
expect 0 -infotype rootCaCert -trusted old.pem -newwithnew t-nwn.pem
same t-nwn.pem new.pem
has testca.err "genm rootCaCert (well-formed, value of 0 bytes)"
# a newWithOld that the old root did not sign
genm_ca --rsp-newwithnew new.pem --rsp-newwithold forged.pem
rm -f f-nwn.pem
expect 5 -infotype rootCaCert -oldwithold old.pem -newwithnew f-nwn.pem
has err "invalid root CA key update"
[ ! -e f-nwn.pem ] || fail "a refused update was written"
# no update: the stale files go
genm_ca
expect 0 -infotype rootCaCert -oldwithold old.pem -newwithnew g-nwn.pem \
    -newwithold g-nwo.pem -oldwithnew g-own.pem
has out "no update"
for f in g-nwn.pem g-nwo.pem g-own.pem; do
    [ ! -e "$f" ] || fail "stale $f left after 'no update'"
done

# crlStatusList: the request names the CRL's issuer and thisUpdate
genm_ca --rsp-crl crl.pem
expect 0 -infotype crlStatusList -oldcrl crl.pem -crlout g.crl
same g.crl crl.der
has testca.err "genm crlStatusList (well-formed, value of [1-9]"
expect 0 -infotype crlStatusList -crlcert ee.pem -crlout g2.crl -crlform PEM
same g2.crl crl.pem
expect 2 -infotype crlStatusList -crlout g.crl
has err "needs -crlcert or -oldcrl"
expect 2 -infotype crlStatusList -oldcrl crl.pem
has err "needs -crlout"
expect 2 -infotype crlStatusList -oldcrl crl.pem -crlout g.crl -crlform XML
genm_ca
expect 0 -infotype crlStatusList -oldcrl crl.pem -crlout g.crl
has out "no update"
[ ! -e g.crl ] || fail "stale CRL left after 'no update'"

# certReqTemplate with keySpec
hex() { od -An -tx1 "$1" | tr -d ' \n'; }
genm_ca --rsp-template tmpl
expect 0 -infotype certReqTemplate -template t.der -keyspec k.der
grep -q tmpl t.der || fail "template lacks CN=tmpl"
# rsaKeyLen (1.3.6.1.5.5.7.5.1.12) with INTEGER 2048, algId with P-256
case $(hex k.der) in
    *06092b060105050705010c02020800*) ;;
    *) fail "keySpec lacks rsaKeyLen 2048: $(hex k.der)" ;;
esac
case $(hex k.der) in
    *06082a8648ce3d030107*) ;;
    *) fail "keySpec lacks P-256: $(hex k.der)" ;;
esac
has out "keySpec: rsaKeyLen 2048"
expect 2 -infotype certReqTemplate
has err "needs -template"
genm_ca
expect 0 -infotype certReqTemplate -template t.der -keyspec k.der
has out "certReqTemplate: none"
[ ! -e t.der ] && [ ! -e k.der ] || fail "stale template/keySpec left"

# -profile puts certProfile (1.3.6.1.5.5.7.4.21) with the name into the
# generalInfo of the request; -srvcertout gets the server's signer, and
# is removed after a MAC-protected answer
expect 0 -infotype certReqTemplate -template t.der -profile myprofile \
    -reqout req.der
case $(hex req.der) in
    *06082b06010505070415300b0c096d7970726f66696c65*) ;;
    *) fail "request lacks certProfile myprofile: $(hex req.der)" ;;
esac
echo stale > srv.pem
expect 0 -infotype caCerts -cacertsout got.pem -srvcertout srv.pem
[ ! -e srv.pem ] || fail "stale -srvcertout left after MAC protection"
testca_stop
testca_start --accept-unprotected --cacertout ca-signer.pem
CLI_ARGS="-server 127.0.0.1:$TESTCA_PORT -cmd genm -msg_timeout 20"
expect 0 -unprotected_requests -subject /CN=client -trusted ca-signer.pem \
    -infotype caCerts \
    -cacertsout got.pem -srvcertout srv.pem
same srv.pem ca-signer.pem

# other infoTypes are still sent as they are and the answer echoed
genm_ca
expect 0 -infotype signKeyPairTypes
has out "genp: "
testca_stop
echo "ok: $n runs"
