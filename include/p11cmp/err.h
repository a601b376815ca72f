/*
 * p11cmp/err.h - p11cmp's own OpenSSL error library: its library code and
 * the reason codes that p11cmp functions put on the OpenSSL error stack.
 *
 * p11cmp functions report failure like libcrypto does: they return 0 or
 * NULL and leave one or more entries on the thread's ERR stack. Entries
 * raised by p11cmp carry the library code P11CMP_ERR_get_lib() and one of
 * the P11CMP_R_ reasons below; ERR_print_errors() shows them as "p11cmp".
 */
#ifndef P11CMP_ERR_H
#define P11CMP_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Returns the OpenSSL library code allocated to p11cmp in this process
 * (from ERR_get_next_error_library()), registering the library name and
 * reason strings on first use. Thread-safe. Returns 0 only if libcrypto
 * could not be initialised.
 */
int P11CMP_ERR_get_lib(void);

/* Registers the reason strings; 1 on success, 0 on failure. Idempotent. */
int P11CMP_ERR_load_strings(void);

/*
 * Reason codes. Ranges by concern: 100 general, 200 ASN.1 and messages,
 * 300 protection and validation, 400 transactions and transfer,
 * 500 PKCS#11, 600 storing results on the token, 700 command line.
 */
/* general */
#define P11CMP_R_NULL_ARGUMENT                   100
#define P11CMP_R_INVALID_ARGUMENT                101
#define P11CMP_R_MALLOC_FAILURE                  102
#define P11CMP_R_INTERNAL_ERROR                  103
#define P11CMP_R_INVALID_OPTION                  105
#define P11CMP_R_OPTION_VALUE_OUT_OF_RANGE       106
#define P11CMP_R_MISSING_REFERENCE_CERT          107
#define P11CMP_R_MISSING_KEY                     108
#define P11CMP_R_MISSING_SERVER                  109
#define P11CMP_R_RANDOM_FAILURE                  110
#define P11CMP_R_FAILED_BUILDING_OWN_CHAIN       111
#define P11CMP_R_MULTIPLE_SAN_SOURCES            112
/* ASN.1 and messages */
#define P11CMP_R_ASN1_DECODE_ERROR               200
#define P11CMP_R_ASN1_ENCODE_ERROR               201
#define P11CMP_R_UNKNOWN_BODY_TYPE               202
#define P11CMP_R_UNSUPPORTED_PVNO                203
#define P11CMP_R_ERROR_CREATING_MESSAGE          204
#define P11CMP_R_FILE_IO_ERROR                   205
/* protection and validation */
#define P11CMP_R_MISSING_PROTECTION              300
#define P11CMP_R_WRONG_PROTECTION                301
#define P11CMP_R_BAD_MAC                         302
#define P11CMP_R_BAD_SIGNATURE                   303
#define P11CMP_R_PBM_ITERATION_COUNT_TOO_HIGH    304
#define P11CMP_R_PBM_SALT_TOO_LONG               305
#define P11CMP_R_NO_SENDER_CERT                  306
#define P11CMP_R_SENDER_MISMATCH                 307
#define P11CMP_R_SENDER_KID_MISMATCH             308
#define P11CMP_R_CERT_NOT_VALID_NOW              309
#define P11CMP_R_MISSING_KEY_USAGE_DIGITALSIGNATURE 310
#define P11CMP_R_CERT_PATH_VALIDATION_FAILED     311
#define P11CMP_R_UNEXPECTED_SENDER               312
#define P11CMP_R_UNEXPECTED_BODY_TYPE            313
#define P11CMP_R_TRANSACTIONID_MISMATCH          314
#define P11CMP_R_RECIPNONCE_MISMATCH             315
#define P11CMP_R_CERTREQID_MISMATCH              316
#define P11CMP_R_MULTIPLE_RESPONSES              317
#define P11CMP_R_PUBLIC_KEY_MISMATCH             318
#define P11CMP_R_RESPONSE_TOO_LARGE              319
#define P11CMP_R_TOO_MANY_CERTS                  320
#define P11CMP_R_UNSUPPORTED_ALGORITHM           321
#define P11CMP_R_MISSING_TRUST_STORE             322
/* transactions and transfer */
#define P11CMP_R_TRANSFER_ERROR                  400
#define P11CMP_R_TOTAL_TIMEOUT                   401
#define P11CMP_R_REQUEST_REJECTED_BY_SERVER      402
#define P11CMP_R_RECEIVED_ERROR                  403
#define P11CMP_R_CERTIFICATE_NOT_ACCEPTED        404
#define P11CMP_R_POLLING_FAILED                  405
#define P11CMP_R_UNEXPECTED_PKISTATUS            406
#define P11CMP_R_NO_CERT_IN_RESPONSE             407
#define P11CMP_R_WRONG_CERTID_IN_RP              408
#define P11CMP_R_NO_PENDING_REQUEST              409
#define P11CMP_R_INTERRUPTED                     410
#define P11CMP_R_UNCLEAN_CTX                     411
#define P11CMP_R_GETTING_GENP                    412
#define P11CMP_R_INVALID_GENP                    413
#define P11CMP_R_INVALID_ROOTCAKEYUPDATE         414
#define P11CMP_R_MISSING_CENTRAL_GEN_KEY         415
#define P11CMP_R_UNEXPECTED_CENTRAL_GEN_KEY      416
#define P11CMP_R_FAILED_EXTRACTING_CENTRAL_GEN_KEY 417
#define P11CMP_R_NOT_KEY_GENERATION_AUTHORITY    418
/* PKCS#11 */
#define P11CMP_R_PKCS11_ERROR                    500
#define P11CMP_R_INVALID_URI                     501
#define P11CMP_R_MODULE_LOAD_FAILED              502
#define P11CMP_R_TOKEN_NOT_FOUND                 503
#define P11CMP_R_KEY_NOT_FOUND                   504
#define P11CMP_R_AMBIGUOUS_KEY                   505
#define P11CMP_R_CERT_NOT_FOUND                  506
#define P11CMP_R_PIN_UNAVAILABLE                 507
#define P11CMP_R_LOGIN_FAILED                    508
#define P11CMP_R_KEYGEN_FAILED                   509
#define P11CMP_R_UNSUPPORTED_KEY_TYPE            510
#define P11CMP_R_AMBIGUOUS_TOKEN                 511
#define P11CMP_R_AMBIGUOUS_CERT                  512
#define P11CMP_R_CRL_NOT_FOUND                   513
/* storing results on the token */
#define P11CMP_R_STORE_FAILED                    600
#define P11CMP_R_ROLLBACK_FAILED                 601

#ifdef __cplusplus
}
#endif
#endif /* P11CMP_ERR_H */
