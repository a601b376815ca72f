/*
 * src/err.c - p11cmp's OpenSSL error library: allocates a library code
 * once per process and registers the library name and reason strings, so
 * that ERR_print_errors() shows p11cmp errors readably.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "local.h"

static ERR_STRING_DATA reason_strings[] = {
    {ERR_PACK(0, 0, P11CMP_R_NULL_ARGUMENT), "null argument"},
    {ERR_PACK(0, 0, P11CMP_R_INVALID_ARGUMENT), "invalid argument"},
    {ERR_PACK(0, 0, P11CMP_R_MALLOC_FAILURE), "memory allocation failed"},
    {ERR_PACK(0, 0, P11CMP_R_INTERNAL_ERROR), "internal error"},
    {ERR_PACK(0, 0, P11CMP_R_INVALID_OPTION), "invalid option"},
    {ERR_PACK(0, 0, P11CMP_R_OPTION_VALUE_OUT_OF_RANGE),
     "option value out of range"},
    {ERR_PACK(0, 0, P11CMP_R_MISSING_REFERENCE_CERT),
     "missing reference cert"},
    {ERR_PACK(0, 0, P11CMP_R_MISSING_KEY), "missing key"},
    {ERR_PACK(0, 0, P11CMP_R_MISSING_SERVER), "missing server"},
    {ERR_PACK(0, 0, P11CMP_R_RANDOM_FAILURE), "random number failure"},
    {ERR_PACK(0, 0, P11CMP_R_FAILED_BUILDING_OWN_CHAIN),
     "failed building own certificate chain"},
    {ERR_PACK(0, 0, P11CMP_R_MULTIPLE_SAN_SOURCES),
     "subjectAltNames given both directly and in reqExtensions"},
    {ERR_PACK(0, 0, P11CMP_R_ASN1_DECODE_ERROR), "ASN.1 decode error"},
    {ERR_PACK(0, 0, P11CMP_R_ASN1_ENCODE_ERROR), "ASN.1 encode error"},
    {ERR_PACK(0, 0, P11CMP_R_UNKNOWN_BODY_TYPE), "unknown body type"},
    {ERR_PACK(0, 0, P11CMP_R_UNSUPPORTED_PVNO),
     "unsupported protocol version"},
    {ERR_PACK(0, 0, P11CMP_R_ERROR_CREATING_MESSAGE),
     "error creating message"},
    {ERR_PACK(0, 0, P11CMP_R_FILE_IO_ERROR), "file I/O error"},
    {ERR_PACK(0, 0, P11CMP_R_MISSING_PROTECTION), "missing protection"},
    {ERR_PACK(0, 0, P11CMP_R_WRONG_PROTECTION), "wrong protection"},
    {ERR_PACK(0, 0, P11CMP_R_BAD_MAC), "MAC does not verify"},
    {ERR_PACK(0, 0, P11CMP_R_BAD_SIGNATURE), "signature does not verify"},
    {ERR_PACK(0, 0, P11CMP_R_PBM_ITERATION_COUNT_TOO_HIGH),
     "PBM iteration count too high"},
    {ERR_PACK(0, 0, P11CMP_R_PBM_SALT_TOO_LONG), "PBM salt too long"},
    {ERR_PACK(0, 0, P11CMP_R_NO_SENDER_CERT), "no suitable sender cert"},
    {ERR_PACK(0, 0, P11CMP_R_SENDER_MISMATCH),
     "sender does not match cert subject"},
    {ERR_PACK(0, 0, P11CMP_R_SENDER_KID_MISMATCH),
     "senderKID does not match cert SKID"},
    {ERR_PACK(0, 0, P11CMP_R_CERT_NOT_VALID_NOW), "cert not valid now"},
    {ERR_PACK(0, 0, P11CMP_R_MISSING_KEY_USAGE_DIGITALSIGNATURE),
     "missing key usage digitalSignature"},
    {ERR_PACK(0, 0, P11CMP_R_CERT_PATH_VALIDATION_FAILED),
     "cert path validation failed"},
    {ERR_PACK(0, 0, P11CMP_R_UNEXPECTED_SENDER), "unexpected sender"},
    {ERR_PACK(0, 0, P11CMP_R_UNEXPECTED_BODY_TYPE), "unexpected body type"},
    {ERR_PACK(0, 0, P11CMP_R_TRANSACTIONID_MISMATCH),
     "transactionID mismatch"},
    {ERR_PACK(0, 0, P11CMP_R_RECIPNONCE_MISMATCH), "recipNonce mismatch"},
    {ERR_PACK(0, 0, P11CMP_R_CERTREQID_MISMATCH), "certReqId mismatch"},
    {ERR_PACK(0, 0, P11CMP_R_MULTIPLE_RESPONSES),
     "not exactly one response"},
    {ERR_PACK(0, 0, P11CMP_R_PUBLIC_KEY_MISMATCH),
     "public key in new cert does not match"},
    {ERR_PACK(0, 0, P11CMP_R_RESPONSE_TOO_LARGE), "response too large"},
    {ERR_PACK(0, 0, P11CMP_R_TOO_MANY_CERTS), "too many certificates"},
    {ERR_PACK(0, 0, P11CMP_R_UNSUPPORTED_ALGORITHM),
     "unsupported algorithm"},
    {ERR_PACK(0, 0, P11CMP_R_MISSING_TRUST_STORE), "missing trust store"},
    {ERR_PACK(0, 0, P11CMP_R_TRANSFER_ERROR), "transfer error"},
    {ERR_PACK(0, 0, P11CMP_R_TOTAL_TIMEOUT), "total timeout"},
    {ERR_PACK(0, 0, P11CMP_R_REQUEST_REJECTED_BY_SERVER),
     "request rejected by server"},
    {ERR_PACK(0, 0, P11CMP_R_RECEIVED_ERROR), "received error message"},
    {ERR_PACK(0, 0, P11CMP_R_CERTIFICATE_NOT_ACCEPTED),
     "certificate not accepted"},
    {ERR_PACK(0, 0, P11CMP_R_POLLING_FAILED), "polling failed"},
    {ERR_PACK(0, 0, P11CMP_R_UNEXPECTED_PKISTATUS), "unexpected PKIStatus"},
    {ERR_PACK(0, 0, P11CMP_R_NO_CERT_IN_RESPONSE),
     "no certificate in response"},
    {ERR_PACK(0, 0, P11CMP_R_WRONG_CERTID_IN_RP),
     "revocation response names another certificate"},
    {ERR_PACK(0, 0, P11CMP_R_NO_PENDING_REQUEST),
     "no pending certificate request"},
    {ERR_PACK(0, 0, P11CMP_R_INTERRUPTED), "interrupted by a signal"},
    {ERR_PACK(0, 0, P11CMP_R_UNCLEAN_CTX),
     "context holds a previous transaction"},
    {ERR_PACK(0, 0, P11CMP_R_GETTING_GENP), "getting genp failed"},
    {ERR_PACK(0, 0, P11CMP_R_INVALID_GENP), "invalid genp"},
    {ERR_PACK(0, 0, P11CMP_R_INVALID_ROOTCAKEYUPDATE),
     "invalid root CA key update"},
    {ERR_PACK(0, 0, P11CMP_R_MISSING_CENTRAL_GEN_KEY),
     "missing centrally generated key"},
    {ERR_PACK(0, 0, P11CMP_R_UNEXPECTED_CENTRAL_GEN_KEY),
     "unexpected centrally generated key"},
    {ERR_PACK(0, 0, P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY),
     "failed extracting centrally generated key"},
    {ERR_PACK(0, 0, P11CMP_R_NOT_KEY_GENERATION_AUTHORITY),
     "signer of the key is no key generation authority"},
    {ERR_PACK(0, 0, P11CMP_R_PKCS11_ERROR), "PKCS#11 error"},
    {ERR_PACK(0, 0, P11CMP_R_INVALID_URI), "invalid PKCS#11 URI"},
    {ERR_PACK(0, 0, P11CMP_R_MODULE_LOAD_FAILED),
     "PKCS#11 module load failed"},
    {ERR_PACK(0, 0, P11CMP_R_TOKEN_NOT_FOUND), "token not found"},
    {ERR_PACK(0, 0, P11CMP_R_KEY_NOT_FOUND), "key not found"},
    {ERR_PACK(0, 0, P11CMP_R_AMBIGUOUS_KEY), "URI matches several keys"},
    {ERR_PACK(0, 0, P11CMP_R_CERT_NOT_FOUND), "certificate not found"},
    {ERR_PACK(0, 0, P11CMP_R_PIN_UNAVAILABLE), "PIN unavailable"},
    {ERR_PACK(0, 0, P11CMP_R_LOGIN_FAILED), "token login failed"},
    {ERR_PACK(0, 0, P11CMP_R_KEYGEN_FAILED), "key generation failed"},
    {ERR_PACK(0, 0, P11CMP_R_UNSUPPORTED_KEY_TYPE), "unsupported key type"},
    {ERR_PACK(0, 0, P11CMP_R_AMBIGUOUS_TOKEN), "URI matches several tokens"},
    {ERR_PACK(0, 0, P11CMP_R_AMBIGUOUS_CERT),
     "URI matches several certificates"},
    {ERR_PACK(0, 0, P11CMP_R_CRL_NOT_FOUND), "CRL not found"},
    {ERR_PACK(0, 0, P11CMP_R_STORE_FAILED), "storing on the token failed"},
    {ERR_PACK(0, 0, P11CMP_R_ROLLBACK_FAILED),
     "removing partly stored objects failed"},
    {0, NULL}
};

/* The library name; its code is filled in once it is allocated. */
static ERR_STRING_DATA lib_name[] = {
    {0, "p11cmp"},
    {0, NULL}
};

static CRYPTO_ONCE err_once = CRYPTO_ONCE_STATIC_INIT;
static int err_lib_code;
static int err_loaded;

static void err_init(void)
{
    err_lib_code = ERR_get_next_error_library();
    if (err_lib_code <= 0)
        return;
    lib_name[0].error = ERR_PACK(err_lib_code, 0, 0);
    err_loaded = ERR_load_strings(err_lib_code, lib_name)
        && ERR_load_strings(err_lib_code, reason_strings);
}

int P11CMP_ERR_get_lib(void)
{
    if (!CRYPTO_THREAD_run_once(&err_once, err_init))
        return 0;
    return err_lib_code;
}

int P11CMP_ERR_load_strings(void)
{
    return P11CMP_ERR_get_lib() > 0 && err_loaded;
}

int p11cmp_err_lib(void)
{
    return P11CMP_ERR_get_lib();
}

const char *P11CMP_version(void)
{
    return PACKAGE_VERSION;
}
