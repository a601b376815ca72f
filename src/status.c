/*
 * src/status.c - PKIStatusInfo (RFC 4210 5.2.3): the PKIStatus and
 * PKIFailureInfo values as numbers and names, a one-line description of
 * a status for logs and error data, and storing a received status in the
 * results of the context.
 */
#include <string.h>

#include "local.h"

static const char *const status_names[] = {
    "accepted", "grantedWithMods", "rejection", "waiting",
    "revocationWarning", "revocationNotification", "keyUpdateWarning"
};

static const char *const failinfo_names[P11CMP_PKIFAILUREINFO_MAX + 1] = {
    "badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId",
    "badDataFormat", "wrongAuthority", "incorrectData", "missingTimeStamp",
    "badPOP", "certRevoked", "certConfirmed", "wrongIntegrity",
    "badRecipientNonce", "timeNotAvailable", "unacceptedPolicy",
    "unacceptedExtension", "addInfoNotAvailable", "badSenderNonce",
    "badCertTemplate", "signerNotTrusted", "transactionIdInUse",
    "unsupportedVersion", "notAuthorized", "systemUnavail", "systemFailure",
    "duplicateCertReq"
};

#define NUM_STATUS ((int)(sizeof(status_names) / sizeof(status_names[0])))

const char *p11cmp_status_to_string(int status)
{
    if (status < 0 || status >= NUM_STATUS)
        return NULL;
    return status_names[status];
}

const char *p11cmp_failinfo_bit_to_string(int bit)
{
    if (bit < 0 || bit > P11CMP_PKIFAILUREINFO_MAX)
        return NULL;
    return failinfo_names[bit];
}

int p11cmp_pkisi_get_status(const P11CMP_PKISI *si)
{
    long status;

    if (si == NULL || si->status == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return -1;
    }
    status = ASN1_INTEGER_get(si->status);
    if (status < 0 || status >= NUM_STATUS) {
        p11cmp_raise_data(P11CMP_R_UNEXPECTED_PKISTATUS, "status=%ld",
                          status);
        return -1;
    }
    return (int)status;
}

int p11cmp_pkisi_get_failinfo_code(const P11CMP_PKISI *si)
{
    int bit, code = 0;

    if (si == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return -1;
    }
    for (bit = 0; bit <= P11CMP_PKIFAILUREINFO_MAX; bit++)
        if (si->failInfo != NULL && ASN1_BIT_STRING_get_bit(si->failInfo,
                                                            bit))
            code |= 1 << bit;
    return code;
}

/* Appends len bytes of text to buf (of size) at *pos, truncating. */
static void append(char *buf, size_t size, size_t *pos, const char *text,
                   size_t len)
{
    if (*pos + 1 >= size)
        return;
    if (len > size - *pos - 1)
        len = size - *pos - 1;
    memcpy(buf + *pos, text, len);
    *pos += len;
    buf[*pos] = '\0';
}

static void append_str(char *buf, size_t size, size_t *pos, const char *s)
{
    append(buf, size, pos, s, strlen(s));
}

/* the failInfo names in code, comma-separated, appended to buf */
static void append_failinfo(char *buf, size_t size, size_t *pos, int code)
{
    const char *sep = "; failInfo=";
    int bit;

    for (bit = 0; bit <= P11CMP_PKIFAILUREINFO_MAX; bit++) {
        if ((code & (1 << bit)) == 0)
            continue;
        append_str(buf, size, pos, sep);
        append_str(buf, size, pos, failinfo_names[bit]);
        sep = ",";
    }
}

char *p11cmp_pkisi_snprint(const P11CMP_PKISI *si, char *buf, size_t size)
{
    const char *name;
    size_t pos = 0;
    int code, i;

    if (si == NULL || buf == NULL || size == 0) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return NULL;
    }
    buf[0] = '\0';
    ERR_set_mark();
    name = p11cmp_status_to_string(p11cmp_pkisi_get_status(si));
    code = p11cmp_pkisi_get_failinfo_code(si);
    ERR_pop_to_mark();
    append_str(buf, size, &pos, "status=");
    append_str(buf, size, &pos, name != NULL ? name : "invalid");
    if (code > 0)
        append_failinfo(buf, size, &pos, code);
    for (i = 0; i < sk_ASN1_UTF8STRING_num(si->statusString); i++) {
        ASN1_UTF8STRING *text = sk_ASN1_UTF8STRING_value(si->statusString,
                                                         i);

        append_str(buf, size, &pos, i == 0 ? "; text=\"" : " \"");
        append(buf, size, &pos, (const char *)text->data,
               text->length > 0 ? (size_t)text->length : 0);
        append_str(buf, size, &pos, "\"");
    }
    return buf;
}

int p11cmp_ctx_save_pkisi(P11CMP_CTX *ctx, const P11CMP_PKISI *si)
{
    P11CMP_PKIFREETEXT *text = NULL;
    int status, code;

    if (ctx == NULL || si == NULL) {
        p11cmp_raise(P11CMP_R_NULL_ARGUMENT);
        return 0;
    }
    if ((status = p11cmp_pkisi_get_status(si)) < 0
            || (code = p11cmp_pkisi_get_failinfo_code(si)) < 0)
        return 0;
    if (si->statusString != NULL
            && (text = sk_ASN1_UTF8STRING_deep_copy(si->statusString,
                                                    ASN1_STRING_dup,
                                                    ASN1_STRING_free))
               == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    return p11cmp_ctx_set_status(ctx, status)
        && p11cmp_ctx_set_failInfoCode(ctx, code)
        && p11cmp_ctx_set0_statusString(ctx, text);
}
