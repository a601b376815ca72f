/*
 * bench/floor.c - the physical floor of a one-shot token enrollment: what
 * any client must do on the token and nothing else. It starts, loads the
 * PKCS#11 module, C_Initialize, finds the token by label, opens a session,
 * logs in, then either finds the private key by label ("sign") or
 * generates an EC P-256 key pair on the token ("keygen"), makes one
 * C_Sign (ECDSA over a 32-byte hash, the POPO of an IR) and exits.
 * Usage: floor MODULE TOKEN-LABEL PIN KEY-LABEL sign|keygen
 * Not a test: see bench/README.md and bench/run.sh.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST *f;

static void check(CK_RV rv, const char *what)
{
    if (rv != CKR_OK) {
        fprintf(stderr, "floor: %s: CKR 0x%lx\n", what, (unsigned long)rv);
        exit(EXIT_FAILURE);
    }
}

static CK_SLOT_ID find_slot(const char *label)
{
    CK_SLOT_ID slots[64];
    CK_ULONG n = 64, i;
    CK_TOKEN_INFO ti;
    size_t len = strlen(label);

    check(f->C_GetSlotList(CK_TRUE, slots, &n), "C_GetSlotList");
    for (i = 0; i < n; i++) {
        check(f->C_GetTokenInfo(slots[i], &ti), "C_GetTokenInfo");
        if (len <= sizeof(ti.label)
                && memcmp(ti.label, label, len) == 0
                && (len == sizeof(ti.label) || ti.label[len] == ' '))
            return slots[i];
    }
    fprintf(stderr, "floor: no token %s\n", label);
    exit(EXIT_FAILURE);
}

static CK_OBJECT_HANDLE find_key(CK_SESSION_HANDLE s, const char *label)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[] = {
        { CKA_CLASS, &cls, sizeof(cls) },
        { CKA_LABEL, (void *)label, strlen(label) },
    };
    CK_OBJECT_HANDLE h;
    CK_ULONG n = 0;

    check(f->C_FindObjectsInit(s, t, 2), "C_FindObjectsInit");
    check(f->C_FindObjects(s, &h, 1, &n), "C_FindObjects");
    check(f->C_FindObjectsFinal(s), "C_FindObjectsFinal");
    if (n != 1) {
        fprintf(stderr, "floor: no private key %s\n", label);
        exit(EXIT_FAILURE);
    }
    return h;
}

static CK_OBJECT_HANDLE generate(CK_SESSION_HANDLE s, const char *label)
{
    static CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
                              0x03, 0x01, 0x07 };
    CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE pub[] = {
        { CKA_TOKEN, &yes, sizeof(yes) },
        { CKA_VERIFY, &yes, sizeof(yes) },
        { CKA_EC_PARAMS, p256, sizeof(p256) },
        { CKA_LABEL, (void *)label, strlen(label) },
    };
    CK_ATTRIBUTE priv[] = {
        { CKA_TOKEN, &yes, sizeof(yes) },
        { CKA_PRIVATE, &yes, sizeof(yes) },
        { CKA_SENSITIVE, &yes, sizeof(yes) },
        { CKA_EXTRACTABLE, &no, sizeof(no) },
        { CKA_SIGN, &yes, sizeof(yes) },
        { CKA_LABEL, (void *)label, strlen(label) },
    };
    CK_OBJECT_HANDLE hpub, hpriv;

    check(f->C_GenerateKeyPair(s, &mech, pub, 4, priv, 6, &hpub, &hpriv),
          "C_GenerateKeyPair");
    return hpriv;
}

int main(int argc, char **argv)
{
    CK_RV (*get_list)(CK_FUNCTION_LIST **);
    CK_SESSION_HANDLE s;
    CK_OBJECT_HANDLE key;
    CK_MECHANISM mech = { CKM_ECDSA, NULL, 0 };
    CK_BYTE hash[32] = { 1 }, sig[256];
    CK_ULONG siglen = sizeof(sig);
    void *mod;

    if (argc != 6 || (strcmp(argv[5], "sign") != 0
                      && strcmp(argv[5], "keygen") != 0)) {
        fprintf(stderr, "usage: floor MODULE TOKEN PIN KEYLABEL "
                "sign|keygen\n");
        return 2;
    }
    if ((mod = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL)) == NULL
            || (*(void **)&get_list = dlsym(mod, "C_GetFunctionList"))
               == NULL) {
        fprintf(stderr, "floor: %s\n", dlerror());
        return EXIT_FAILURE;
    }
    check(get_list(&f), "C_GetFunctionList");
    check(f->C_Initialize(NULL), "C_Initialize");
    check(f->C_OpenSession(find_slot(argv[2]), CKF_SERIAL_SESSION
                           | (argv[5][0] == 'k' ? CKF_RW_SESSION : 0),
                           NULL, NULL, &s), "C_OpenSession");
    check(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)argv[3], strlen(argv[3])),
          "C_Login");
    key = argv[5][0] == 'k' ? generate(s, argv[4]) : find_key(s, argv[4]);
    check(f->C_SignInit(s, &mech, key), "C_SignInit");
    check(f->C_Sign(s, hash, sizeof(hash), sig, &siglen), "C_Sign");
    check(f->C_Finalize(NULL), "C_Finalize");
    return EXIT_SUCCESS;
}
