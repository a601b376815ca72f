/*
 * pkcs11/p11_journal.c - the on-token journal that makes token
 * transactions survive the process (SIGKILL, power loss): before a
 * transaction changes the token it writes what it is about to do as a
 * CKO_DATA record object, and any later process that opens the token
 * finishes or undoes what a dead one left. See docs/HACKING.md "Token
 * transactions" for the design; in short:
 *
 *   record   CKO_DATA, CKA_TOKEN, CKA_PRIVATE, CKA_APPLICATION
 *            "p11cmp journal", CKA_LABEL "p11cmp-journal TXNID SEQ",
 *            CKA_VALUE lines: "p11cmp-journal 1", "owner HOST BOOT PID
 *            START", then operations: "create ATTRS" (undo: destroy the
 *            objects matching ATTRS), "relabel OLDHEX ATTRS" (undo: set
 *            CKA_LABEL back to OLDHEX on the objects matching ATTRS),
 *            "delete ATTRS" (after the commit: destroy the matches);
 *            ATTRS are TYPE=HEX pairs (CKA_ type in hex, value in hex).
 *   commit   without deletes: one record holding every operation (the
 *            only one, or a summary written last) stays while the others
 *            are removed; removing it is the commit. With deletes (KUR):
 *            writing the record "p11cmp-journal TXNID commit" with them
 *            is the commit; the deletes are done and the records removed,
 *            that one last.
 *   recovery a dead process's transaction with a commit record is
 *            finished (deletes done), one without is undone (creates and
 *            relabels taken back, newest first); then its records go.
 *
 * Records are created and destroyed, never modified, so that a record
 * torn by a kill while it was written only names an operation not yet
 * begun. Records of a live process (same host and boot, the PID running
 * with the same start time) are left alone.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/buffer.h>
#include <openssl/rand.h>

#include "p11_local.h"

#define JOURNAL_APP "p11cmp journal"
#define JOURNAL_MAGIC "p11cmp-journal 1"
#define LABEL_PREFIX "p11cmp-journal "
#define MAX_ATTRS 8

#define COMMIT_SEQ INT_MAX  /* seq of the commit record */

struct p11cmp_p11_journal_st {
    char id[2 * 8 + 1];     /* the transaction's id, hex */
    int seq;                /* records written so far */
    BUF_MEM *plan;          /* operations for the next record */
    BUF_MEM *all;           /* every create and relabel written */
    BUF_MEM *deletes;       /* the deletes for the commit record */
};

P11CMP_P11_JOURNAL *p11cmp_p11_journal_new(void)
{
    P11CMP_P11_JOURNAL *j = OPENSSL_zalloc(sizeof(*j));
    unsigned char rnd[8];
    int i;

    if (j == NULL || (j->plan = BUF_MEM_new()) == NULL
        || (j->all = BUF_MEM_new()) == NULL
        || (j->deletes = BUF_MEM_new()) == NULL
        || RAND_bytes(rnd, sizeof(rnd)) <= 0) {
        p11cmp_p11_journal_free(j);
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    for (i = 0; i < (int)sizeof(rnd); i++)
        (void)snprintf(j->id + 2 * i, 3, "%02x", rnd[i]);
    return j;
}

void p11cmp_p11_journal_free(P11CMP_P11_JOURNAL *j)
{
    if (j == NULL)
        return;
    BUF_MEM_free(j->plan);
    BUF_MEM_free(j->all);
    BUF_MEM_free(j->deletes);
    OPENSSL_free(j);
}

/* text */

/* Appends s (len bytes) to b; 1 or 0. */
static int put(BUF_MEM *b, const char *s, size_t len)
{
    size_t old = b->length;

    if (len == 0)
        return 1;
    if (BUF_MEM_grow(b, old + len) == 0)
        return 0;
    memcpy(b->data + old, s, len);
    return 1;
}

static int put_hex(BUF_MEM *b, const unsigned char *v, size_t len)
{
    char two[3];
    size_t i;

    if (len == 0)
        return put(b, "-", 1);
    for (i = 0; i < len; i++) {
        (void)snprintf(two, sizeof(two), "%02x", v[i]);
        if (!put(b, two, 2))
            return 0;
    }
    return 1;
}

int p11cmp_p11_journal_plan(P11CMP_P11_JOURNAL *j, const char *verb,
                            const unsigned char *old, size_t oldlen,
                            const CK_ATTRIBUTE *a, CK_ULONG n)
{
    BUF_MEM *b = strcmp(verb, "delete") == 0 ? j->deletes : j->plan;
    char type[24];
    CK_ULONG i;
    int ok;

    ok = put(b, verb, strlen(verb));
    if (ok && old != NULL)
        ok = put(b, " ", 1) && put_hex(b, old, oldlen);
    for (i = 0; ok && i < n; i++) {
        (void)snprintf(type, sizeof(type), " %lx=", (unsigned long)a[i].type);
        ok = put(b, type, strlen(type))
            && put_hex(b, a[i].pValue, a[i].ulValueLen);
    }
    if (!ok || !put(b, "\n", 1)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    return 1;
}

/* who we are */

/* The start time of process pid (field 22 of /proc/PID/stat), or 0. */
static unsigned long long start_time(long pid)
{
    char path[64], buf[1024], *p;
    unsigned long long t = 0;
    size_t len;
    FILE *f;
    int field;

    (void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    if ((p = strrchr(buf, ')')) == NULL)
        return 0;
    /* after ") " come fields 3, 4, ...: skip to field 22 */
    for (field = 2; field < 21 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    if (p != NULL)
        t = strtoull(p + 1, NULL, 10);
    return t;
}

/* This boot's id (Linux), or "-". */
static void boot_id(char *out, size_t size)
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

    (void)snprintf(out, size, "-");
    if (f != NULL) {
        if (fgets(out, (int)size, f) == NULL)
            (void)snprintf(out, size, "-");
        fclose(f);
    }
    out[strcspn(out, " \n")] = '\0';
}

/* "HOST BOOT" of this machine. */
static void machine(char *out, size_t size)
{
    char host[128] = "-", boot[64];

    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
        (void)snprintf(host, sizeof(host), "-");
    host[sizeof(host) - 1] = '\0';
    host[strcspn(host, " \n")] = '\0';
    boot_id(boot, sizeof(boot));
    (void)snprintf(out, size, "%s %s", host, boot);
}

/*
 * 1 if the owner line "owner HOST BOOT PID START" names a process that
 * may still run: one on another host (we cannot tell), or on this host
 * and boot with PID alive and started at START.
 */
static int owner_alive(const char *line)
{
    char host[128], boot[64], here[256], there[256];
    long pid;
    unsigned long long start;

    if (sscanf(line, "owner %127s %63s %ld %llu", host, boot, &pid, &start)
        != 4)
        return 0; /* unreadable: nobody can finish it but us */
    machine(here, sizeof(here));
    (void)snprintf(there, sizeof(there), "%s %s", host, boot);
    if (strcmp(here, there) != 0) {
        /* same host, other boot: it died with that boot */
        size_t hl = strlen(host);

        return strncmp(here, host, hl) != 0 || here[hl] != ' ';
    }
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
        return 0;
    return start_time(pid) == start;
}

/* records on the token */

static CK_OBJECT_CLASS data_class = CKO_DATA;

/* Writes record seq (COMMIT_SEQ: the commit record) with ops; 1 or 0. */
static int write_record(P11CMP_P11_TOKEN *tok, const P11CMP_P11_JOURNAL *j,
                        int seq, const BUF_MEM *ops)
{
    static CK_BBOOL yes = CK_TRUE;
    char label[64], head[400], where[256];
    BUF_MEM *v = NULL;
    CK_OBJECT_HANDLE h;
    int res = 0;

    machine(where, sizeof(where));
    if (seq == COMMIT_SEQ)
        (void)snprintf(label, sizeof(label), LABEL_PREFIX "%s commit", j->id);
    else
        (void)snprintf(label, sizeof(label), LABEL_PREFIX "%s %d", j->id,
                       seq);
    (void)snprintf(head, sizeof(head), JOURNAL_MAGIC "\nowner %s %ld %llu\n",
                   where, (long)getpid(), start_time((long)getpid()));
    if ((v = BUF_MEM_new()) == NULL || !put(v, head, strlen(head))
        || !put(v, ops->data, ops->length)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        goto end;
    }
    {
        CK_ATTRIBUTE t[] = {
            {CKA_CLASS, &data_class, sizeof(data_class)},
            {CKA_TOKEN, &yes, 1}, {CKA_PRIVATE, &yes, 1},
            {CKA_APPLICATION, JOURNAL_APP, strlen(JOURNAL_APP)},
            {CKA_LABEL, label, strlen(label)},
            {CKA_VALUE, v->data, v->length}
        };

        if (!p11cmp_p11_create(tok, t, sizeof(t) / sizeof(t[0]), &h)) {
            p11cmp_raise_data(P11CMP_R_STORE_FAILED, "writing the journal; "
                              "uri=%s", p11cmp_p11_token_uri(tok));
            goto end;
        }
    }
    res = 1;
 end:
    BUF_MEM_free(v);
    return res;
}

int p11cmp_p11_journal_write(P11CMP_P11_TOKEN *tok, P11CMP_P11_JOURNAL *j)
{
    if (!write_record(tok, j, j->seq, j->plan))
        return 0;
    j->seq++;
    if (!put(j->all, j->plan->data, j->plan->length)) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    j->plan->length = 0;
    return 1;
}

/* One record as found on the token. */
typedef struct {
    CK_OBJECT_HANDLE h;
    char id[2 * 8 + 1];
    int seq;
    char *value;    /* NUL-terminated, or NULL if unreadable */
} REC;

typedef struct {
    REC r[P11CMP_P11_MAX_OBJECTS];
    CK_ULONG n;
} RECS;

static void recs_clear(RECS *rs)
{
    CK_ULONG i;

    for (i = 0; i < rs->n; i++)
        OPENSSL_free(rs->r[i].value);
    rs->n = 0;
}

/* Reads every journal record on tok into rs; 1 or 0. */
static int recs_read(P11CMP_P11_TOKEN *tok, RECS *rs)
{
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    CK_ATTRIBUTE t[2] = {{CKA_CLASS, &data_class, sizeof(data_class)},
                         {CKA_APPLICATION, JOURNAL_APP,
                          strlen(JOURNAL_APP)}};
    CK_ULONG n = 0, i;
    unsigned char *label = NULL, *val = NULL;
    char seq[16];
    size_t len;

    rs->n = 0;
    if (!p11cmp_p11_find(tok, t, 2, objs, P11CMP_P11_MAX_OBJECTS, &n))
        return 0;
    for (i = 0; i < n; i++) {
        REC *r = &rs->r[rs->n];

        memset(r, 0, sizeof(*r));
        r->h = objs[i];
        r->seq = -1;
        rs->n++;
        if (!p11cmp_p11_get_attr(tok, objs[i], CKA_LABEL, &label, &len)
            || !p11cmp_p11_get_attr(tok, objs[i], CKA_VALUE, &val, &len)) {
            OPENSSL_free(label);
            recs_clear(rs);
            return 0; /* a failed read is not a broken record */
        }
        if (sscanf((char *)label, LABEL_PREFIX "%16s %15s", r->id, seq) == 2)
            r->seq = strcmp(seq, "commit") == 0 ? COMMIT_SEQ
                : (int)strtol(seq, NULL, 10);
        OPENSSL_free(label);
        label = NULL;
        if (strncmp((char *)val, JOURNAL_MAGIC "\n",
                    strlen(JOURNAL_MAGIC) + 1) == 0)
            r->value = (char *)val;
        else
            OPENSSL_free(val);
        val = NULL;
    }
    return 1;
}

/* Decodes hex (or "-" for empty) into a new buffer; NULL on error. */
static unsigned char *unhex(const char *s, size_t len, size_t *outlen)
{
    unsigned char *out = OPENSSL_malloc(len / 2 + 1);
    size_t i;
    unsigned int byte;

    *outlen = 0;
    if (out == NULL || (len == 1 && s[0] == '-'))
        return out;
    if (len % 2 != 0) {
        OPENSSL_free(out);
        return NULL;
    }
    for (i = 0; i < len; i += 2) {
        if (sscanf(s + i, "%2x", &byte) != 1) {
            OPENSSL_free(out);
            return NULL;
        }
        out[(*outlen)++] = (unsigned char)byte;
    }
    return out;
}

/* One operation line, parsed. */
typedef struct {
    char verb[16];
    unsigned char *old;
    size_t oldlen;
    CK_ATTRIBUTE a[MAX_ATTRS];
    CK_ULONG n;
} OP;

static void op_clear(OP *op)
{
    CK_ULONG i;

    for (i = 0; i < op->n; i++)
        OPENSSL_free(op->a[i].pValue);
    OPENSSL_free(op->old);
    memset(op, 0, sizeof(*op));
}

/* Parses one line (len bytes, no newline) into op; 1 or 0. */
static int op_parse(const char *line, size_t len, OP *op)
{
    const char *p = line, *end = line + len, *w;
    size_t vlen;

    memset(op, 0, sizeof(*op));
    for (w = p; p < end && *p != ' '; p++)
        continue;
    if ((size_t)(p - w) >= sizeof(op->verb))
        return 0;
    memcpy(op->verb, w, p - w);
    while (p < end) {
        char *eq;
        unsigned long type;

        for (w = ++p; p < end && *p != ' '; p++)
            continue;
        if (strcmp(op->verb, "relabel") == 0 && op->old == NULL
            && memchr(w, '=', p - w) == NULL) {
            if ((op->old = unhex(w, p - w, &op->oldlen)) == NULL)
                return 0;
            continue;
        }
        type = strtoul(w, &eq, 16);
        if (eq >= p || *eq != '=' || op->n == MAX_ATTRS)
            return 0;
        op->a[op->n].type = type;
        if ((op->a[op->n].pValue = unhex(eq + 1, p - eq - 1, &vlen)) == NULL)
            return 0;
        op->a[op->n++].ulValueLen = vlen;
    }
    return op->n > 0 && (strcmp(op->verb, "relabel") != 0 || op->old != NULL);
}

/*
 * Applies op: with undo, the undo of a create or relabel; else a delete.
 * Other operations are skipped. 1 if all matching objects were handled.
 */
static int op_apply(P11CMP_P11_TOKEN *tok, const OP *op, int undo)
{
    CK_OBJECT_HANDLE objs[P11CMP_P11_MAX_OBJECTS];
    CK_ATTRIBUTE lab = {CKA_LABEL, op->old, op->oldlen};
    CK_ULONG n = 0, i;
    int relabel = strcmp(op->verb, "relabel") == 0, res = 1;

    if (undo ? strcmp(op->verb, "create") != 0 && !relabel
             : strcmp(op->verb, "delete") != 0)
        return 1;
    if (!p11cmp_p11_find(tok, (CK_ATTRIBUTE *)op->a, op->n, objs,
                         P11CMP_P11_MAX_OBJECTS, &n))
        return 0;
    for (i = 0; i < n; i++)
        if (!(relabel ? p11cmp_p11_set_attrs(tok, objs[i], &lab, 1)
                      : p11cmp_p11_destroy(tok, objs[i])))
            res = 0;
    return res;
}

/* Applies the operations of value (see op_apply()), last line first. */
static int value_apply(P11CMP_P11_TOKEN *tok, const char *value, int undo)
{
    const char *end = value + strlen(value), *nl;
    int res = 1;
    OP op;

    while (end > value) {
        /* the line before end */
        for (nl = end - 1; nl > value && nl[-1] != '\n'; nl--)
            continue;
        if (strncmp(nl, "owner ", 6) != 0 && strncmp(nl, "p11cmp-", 7) != 0
            && end - nl > 1) {
            if (op_parse(nl, (end[-1] == '\n' ? end - 1 : end) - nl, &op)) {
                if (!op_apply(tok, &op, undo))
                    res = 0;
            }
            op_clear(&op);
        }
        end = nl;
    }
    return res;
}

/* the owner line of the first readable record of first..end-1, or "" */
static const char *owner_of(const RECS *rs, CK_ULONG first, CK_ULONG end)
{
    const char *o = NULL;

    for (; first < end && o == NULL; first++)
        if (rs->r[first].value != NULL)
            o = strstr(rs->r[first].value, "\nowner ");
    return o != NULL ? o + 1 : "";
}

/*
 * Destroys the records first..first+count-1 of rs (one transaction,
 * sorted by seq) but the one at index keep (none: count), newest first,
 * the commit record last. 1 or 0.
 */
static int recs_destroy(P11CMP_P11_TOKEN *tok, RECS *rs, CK_ULONG first,
                        CK_ULONG count, CK_ULONG keep)
{
    CK_ULONG i;
    int res = 1;

    for (i = first + count; i-- > first;)
        if (i != keep && rs->r[i].seq != COMMIT_SEQ
            && !p11cmp_p11_destroy(tok, rs->r[i].h))
            res = 0;
    /* the commit record goes only after all the others: without it the
     * rest would look uncommitted and be undone */
    for (i = first; res && i < first + count; i++)
        if (i != keep && rs->r[i].seq == COMMIT_SEQ
            && !p11cmp_p11_destroy(tok, rs->r[i].h))
            res = 0;
    return res;
}

/* orders records by transaction id, then seq */
static int rec_cmp(const void *a, const void *b)
{
    const REC *x = a, *y = b;
    int c = strcmp(x->id, y->id);

    return c != 0 ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * Finishes (a commit record is there: its deletes) or undoes (none: the
 * creates and relabels of every record, newest first) the transaction of
 * the records first..first+count-1, then removes them.
 */
static int txn_settle(P11CMP_P11_TOKEN *tok, RECS *rs, CK_ULONG first,
                      CK_ULONG count)
{
    CK_ULONG i;
    int undo = rs->r[first + count - 1].seq != COMMIT_SEQ, res = 1;

    for (i = first + count; i-- > first;)
        if (rs->r[i].value != NULL
            && (undo || rs->r[i].seq == COMMIT_SEQ)
            && !value_apply(tok, rs->r[i].value, undo))
            res = 0;
    return res && recs_destroy(tok, rs, first, count, first + count);
}

/* Reads and sorts the journal records of tok; NULL + error. */
static RECS *recs_get(P11CMP_P11_TOKEN *tok)
{
    RECS *rs = OPENSSL_zalloc(sizeof(*rs));

    if (rs == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return NULL;
    }
    if (!recs_read(tok, rs)) {
        OPENSSL_free(rs);
        return NULL;
    }
    qsort(rs->r, rs->n, sizeof(rs->r[0]), rec_cmp);
    return rs;
}

static void recs_free(RECS *rs)
{
    if (rs != NULL)
        recs_clear(rs);
    OPENSSL_free(rs);
}

/* the end of the group of records with the id of record i */
static CK_ULONG group_end(const RECS *rs, CK_ULONG i)
{
    CK_ULONG k = i + 1;

    while (k < rs->n && strcmp(rs->r[k].id, rs->r[i].id) == 0)
        k++;
    return k;
}

/* 1 if the owner line names this process */
static int owner_is_me(const char *line)
{
    char here[256], me[400];

    machine(here, sizeof(here));
    (void)snprintf(me, sizeof(me), "owner %s %ld %llu\n", here,
                   (long)getpid(), start_time((long)getpid()));
    return strncmp(line, me, strlen(me)) == 0;
}

static int mine_too; /* settle(): this process's own count as dead */

/*
 * Settles every transaction on tok whose owner is dead (only NULL), or
 * removes the records of the transaction with id only. Records without a
 * readable id are removed. 1 or 0.
 */
static int settle(P11CMP_P11_TOKEN *tok, const char *only)
{
    RECS *rs = recs_get(tok);
    CK_ULONG i, k;
    int res = 1;

    if (rs == NULL)
        return 0;
    for (i = 0; i < rs->n; i = k) {
        k = group_end(rs, i);
        if (only != NULL ? strcmp(rs->r[i].id, only) != 0
            : rs->r[i].seq >= 0 && owner_alive(owner_of(rs, i, k))
              && !(mine_too && owner_is_me(owner_of(rs, i, k))))
            continue;
        if (rs->r[i].seq < 0 || only != NULL)
            res &= recs_destroy(tok, rs, i, k - i, k);
        else
            res &= txn_settle(tok, rs, i, k - i);
    }
    recs_free(rs);
    return res;
}

/* Without deletes: the commit is removing the one record left. */
static int commit_plain(P11CMP_P11_TOKEN *tok, P11CMP_P11_JOURNAL *j)
{
    RECS *rs;
    CK_ULONG i, k, last;
    int res = 0;

    /* several records: a summary of all of them goes last */
    if (j->seq > 1 && !write_record(tok, j, j->seq, j->all))
        return 0;
    if ((rs = recs_get(tok)) == NULL)
        return 0;
    for (i = 0; i < rs->n && strcmp(rs->r[i].id, j->id) != 0; i++)
        continue;
    if (i < rs->n) {
        k = group_end(rs, i);
        last = k - 1; /* the summary, or the only record */
        res = recs_destroy(tok, rs, i, k - i, last)
            && p11cmp_p11_destroy(tok, rs->r[last].h);
    }
    recs_free(rs);
    return res;
}

int p11cmp_p11_journal_commit(P11CMP_P11_TOKEN *tok, P11CMP_P11_JOURNAL *j,
                              int *finished)
{
    *finished = 1;
    if (j->seq == 0 && j->deletes->length == 0)
        return 1;
    if (j->deletes->length == 0) {
        if (!commit_plain(tok, j))
            goto err;
    } else {
        if (!put(j->deletes, "", 1)) { /* a NUL for value_apply() */
            p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
            goto err;
        }
        j->deletes->length--;
        if (!write_record(tok, j, COMMIT_SEQ, j->deletes))
            goto err;
        /* committed: the deletes, then the records go */
        ERR_set_mark();
        *finished = value_apply(tok, j->deletes->data, 0)
            && settle(tok, j->id);
        (void)ERR_pop_to_mark();
    }
    j->seq = 0;
    j->all->length = j->deletes->length = 0;
    return 1;
 err:
    p11cmp_raise_data(P11CMP_R_STORE_FAILED, "cannot commit the journal "
                      "%s; uri=%s", j->id, p11cmp_p11_token_uri(tok));
    return 0;
}

int p11cmp_p11_journal_discard(P11CMP_P11_TOKEN *tok, P11CMP_P11_JOURNAL *j)
{
    int res = 1;

    if (j->seq > 0)
        res = settle(tok, j->id);
    j->seq = 0;
    j->plan->length = j->all->length = j->deletes->length = 0;
    return res;
}

static int recover(P11CMP_P11_TOKEN *tok);

int p11cmp_p11_journal_recover_mine(P11CMP_P11_TOKEN *tok)
{
    int res;

    mine_too = 1;
    res = recover(tok);
    mine_too = 0;
    return res;
}

int p11cmp_p11_journal_recover(P11CMP_P11_TOKEN *tok)
{
    if (!recover(tok)) {
        p11cmp_raise_data(P11CMP_R_STORE_FAILED, "the unfinished transaction"
                          " of a dead process could not be settled; uri=%s",
                          p11cmp_p11_token_uri(tok));
        return 0;
    }
    tok->journal_settled = 1;
    return 1;
}

/*
 * Runs settle() for the dead on tok in a read-write session of its own
 * when tok's is read-only (tok's session is swapped for the time).
 */
static int recover(P11CMP_P11_TOKEN *tok)
{
    CK_SESSION_HANDLE ro = tok->session, rw;
    RECS *rs;
    CK_RV rv;
    int res, any;

    /* cheap look first: most of the time there is no record at all */
    if ((rs = OPENSSL_zalloc(sizeof(*rs))) == NULL) {
        p11cmp_raise(P11CMP_R_MALLOC_FAILURE);
        return 0;
    }
    res = recs_read(tok, rs);
    any = rs->n > 0;
    recs_clear(rs);
    OPENSSL_free(rs);
    if (!res || !any)
        return res;
    if ((tok->flags & P11CMP_P11_RW) != 0)
        return settle(tok, NULL);
    if (P11CMP_P11_CALL(tok, rv, C_OpenSession, tok->slot,
                        CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
                        &rw) != CKR_OK) {
        p11cmp_p11_raise(tok, P11CMP_R_STORE_FAILED,
                         "opening a session to recover the journal");
        return 0;
    }
    tok->session = rw;
    res = settle(tok, NULL);
    tok->session = ro;
    (void)P11CMP_P11_CALL(tok, rv, C_CloseSession, rw);
    return res;
}
