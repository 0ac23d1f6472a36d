/*
 * backup.c - the encrypted backup file (see backup.h for the format).
 *
 * Design. The file is written and read as a stream of chunks, so a large
 * store needs two chunk buffers of memory, never its size. The writer
 * fills a chunk and seals it when the next byte comes (so the last chunk,
 * sealed by backup_out_finish(), may be short or empty and carries the
 * final flag). The reader opens a chunk, checks its tag, and only then
 * hands its bytes to the entry parser, which writes them to the entry's
 * file: nothing unauthenticated reaches a file, and a failure later on
 * removes the files written so far.
 *
 * Main thread; no globals.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "backup.h"

#define MAGIC       "SKBACKUP"
#define FORMAT_V    1
#define SALT_LEN    16
#define KEY_LEN     32
#define TAG_LEN     16
#define IV_LEN      12
#define FINAL_BIT   0x80000000u
#define ENTRY_HEAD  9 /* type byte, 8-byte size */
#define MAX_T_COST  64
#define MAX_M_KIB   (1u << 20) /* 1 GiB */
#define MAX_LANES   16
#define PATH_MAX_SK 4096

struct backup_out {
    int fd;
    EVP_CIPHER_CTX *ctx;
    unsigned char key[KEY_LEN];
    unsigned char header[BACKUP_HEADER_LEN];
    uint64_t counter;
    size_t used;
    unsigned char plain[BACKUP_CHUNK];
    unsigned char sealed[4 + BACKUP_CHUNK + TAG_LEN];
};

static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           (uint32_t)p[3];
}

static void
put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const unsigned char *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static int
write_all(int fd, const void *buf, size_t n, char err[SK_ERR_LEN])
{
    const unsigned char *p = buf;
    ssize_t w;

    while (n > 0) {
        w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            sk_seterr(err, "backup: write: %s", strerror(errno));
            return SK_EIO;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads up to n bytes; *got < n only at the end of the file. */
static int
read_full(int fd, void *buf, size_t n, size_t *got, char err[SK_ERR_LEN])
{
    unsigned char *p = buf;
    ssize_t r;

    *got = 0;
    while (*got < n) {
        r = read(fd, p + *got, n - *got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            sk_seterr(err, "backup: read: %s", strerror(errno));
            return SK_EIO;
        }
        if (r == 0)
            break;
        *got += (size_t)r;
    }
    return 0;
}

int
backup_passphrase_read(const char *path, char pass[BACKUP_PASS_MAX],
                       size_t *len, char err[SK_ERR_LEN])
{
    char buf[BACKUP_PASS_MAX + 2];
    struct stat sb;
    size_t n = 0, i;
    int fd, rc = SK_EINVAL;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        sk_seterr(err, "passphrase file %s: %s", path, strerror(errno));
        return SK_EINVAL;
    }
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        sk_seterr(err, "passphrase file %s is not a regular file", path);
        goto out;
    }
    if ((sb.st_mode & 077) != 0) {
        sk_seterr(err,
                  "passphrase file %s is open to group or others (mode "
                  "%04o); run: chmod 600 %s",
                  path, (unsigned)(sb.st_mode & 07777), path);
        goto out;
    }
    if (read_full(fd, buf, sizeof(buf), &n, err) != 0) {
        rc = SK_EIO;
        goto out;
    }
    for (i = 0; i < n && buf[i] != '\n'; i++)
        ;
    if (i < n && i + 1 < n) {
        sk_seterr(err, "passphrase file %s: the passphrase is one line", path);
        goto out;
    }
    if (i > 0 && buf[i - 1] == '\r')
        i--;
    if (i < BACKUP_PASS_MIN || i > BACKUP_PASS_MAX) {
        sk_seterr(err,
                  "passphrase file %s: the passphrase must be %d to %d "
                  "bytes",
                  path, BACKUP_PASS_MIN, BACKUP_PASS_MAX);
        goto out;
    }
    memcpy(pass, buf, i);
    *len = i;
    rc = 0;
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    close(fd);
    return rc;
}

static int
derive(const char *pass, size_t passlen, const struct backup_kdf *kdf,
       const unsigned char *salt, unsigned char key[KEY_LEN],
       char err[SK_ERR_LEN])
{
    int rc = argon2id_hash_raw(kdf->t_cost, kdf->m_kib, kdf->lanes, pass,
                               passlen, salt, SALT_LEN, key, KEY_LEN);

    if (rc != ARGON2_OK) {
        sk_seterr(err, "backup: argon2id: %s", argon2_error_message(rc));
        return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? SK_ENOMEM : SK_EINVAL;
    }
    return 0;
}

/* Seals or opens one chunk in place: n bytes of buf, tag at tag. The AAD
 * is the header, the chunk's number and its length field. */
static int
chunk_crypt(EVP_CIPHER_CTX *ctx, bool enc, const unsigned char *key,
            const unsigned char *header, uint64_t counter, uint32_t lenfield,
            unsigned char *buf, int n, unsigned char *tag)
{
    unsigned char iv[IV_LEN] = {0}, aad[12], tmp[16];
    int out = 0, ok;

    put64(iv + 4, counter);
    put64(aad, counter);
    put32(aad + 8, lenfield);
    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1 &&
         EVP_CipherUpdate(ctx, NULL, &out, header, BACKUP_HEADER_LEN) == 1 &&
         EVP_CipherUpdate(ctx, NULL, &out, aad, sizeof(aad)) == 1 &&
         (n == 0 || EVP_CipherUpdate(ctx, buf, &out, buf, n) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
    if (ok)
        ok = EVP_CipherFinal_ex(ctx, tmp, &out) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
    return ok ? 0 : SK_EINVAL;
}

static int
out_flush(struct backup_out *o, bool final, char err[SK_ERR_LEN])
{
    uint32_t lenfield = (uint32_t)o->used | (final ? FINAL_BIT : 0);
    unsigned char *body = o->sealed + 4;

    put32(o->sealed, lenfield);
    memcpy(body, o->plain, o->used);
    if (chunk_crypt(o->ctx, true, o->key, o->header, o->counter, lenfield, body,
                    (int)o->used, body + o->used) != 0) {
        sk_seterr(err, "backup: cannot seal chunk %llu",
                  (unsigned long long)o->counter);
        return SK_EIO;
    }
    o->counter++;
    if (write_all(o->fd, o->sealed, 4 + o->used + TAG_LEN, err) != 0)
        return SK_EIO;
    o->used = 0;
    return 0;
}

static int
out_add(struct backup_out *o, const void *data, size_t n, char err[SK_ERR_LEN])
{
    const unsigned char *p = data;
    size_t k;

    while (n > 0) {
        if (o->used == BACKUP_CHUNK && out_flush(o, false, err) != 0)
            return SK_EIO;
        k = BACKUP_CHUNK - o->used < n ? BACKUP_CHUNK - o->used : n;
        memcpy(o->plain + o->used, p, k);
        o->used += k;
        p += k;
        n -= k;
    }
    return 0;
}

struct backup_out *
backup_out_new(int fd, const char *pass, size_t passlen,
               const struct backup_kdf *kdf, const struct backup_info *info,
               char err[SK_ERR_LEN])
{
    struct backup_out *o = calloc(1, sizeof(*o));
    unsigned char *h;

    if (o == NULL || (o->ctx = EVP_CIPHER_CTX_new()) == NULL) {
        sk_seterr(err, "backup: out of memory");
        goto fail;
    }
    o->fd = fd;
    h = o->header;
    memcpy(h, MAGIC, 8);
    put32(h + 8, FORMAT_V);
    put32(h + 12, kdf->t_cost);
    put32(h + 16, kdf->m_kib);
    put32(h + 20, kdf->lanes);
    if (RAND_bytes(h + 24, SALT_LEN) != 1) {
        sk_seterr(err, "backup: no random bytes for the salt");
        goto fail;
    }
    put64(h + 40, (uint64_t)info->created_ms);
    put32(h + 48, (uint32_t)info->schema);
    if (derive(pass, passlen, kdf, h + 24, o->key, err) != 0 ||
        write_all(fd, h, BACKUP_HEADER_LEN, err) != 0)
        goto fail;
    return o;
fail:
    backup_out_free(o);
    return NULL;
}

int
backup_out_file(struct backup_out *o, int type, const char *path,
                char err[SK_ERR_LEN])
{
    unsigned char head[ENTRY_HEAD], buf[16384];
    struct stat sb;
    uint64_t left;
    size_t got;
    int fd, rc = SK_EIO;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb) != 0) {
        sk_seterr(err, "backup: %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return SK_EIO;
    }
    if (type == BACKUP_ENTRY_KEY && sb.st_size > BACKUP_KEYFILE_MAX) {
        sk_seterr(err, "backup: %s is too large for a key file", path);
        close(fd);
        return SK_EINVAL;
    }
    head[0] = (unsigned char)type;
    left = (uint64_t)sb.st_size;
    put64(head + 1, left);
    if (out_add(o, head, sizeof(head), err) != 0)
        goto out;
    while (left > 0) {
        if (read_full(fd, buf, left < sizeof(buf) ? left : sizeof(buf), &got,
                      err) != 0)
            goto out;
        if (got == 0) {
            sk_seterr(err, "backup: %s shrank while being read", path);
            goto out;
        }
        if (out_add(o, buf, got, err) != 0)
            goto out;
        left -= got;
    }
    rc = 0;
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    close(fd);
    return rc;
}

int
backup_out_finish(struct backup_out *o, char err[SK_ERR_LEN])
{
    unsigned char head[ENTRY_HEAD] = {BACKUP_ENTRY_END};

    if (out_add(o, head, sizeof(head), err) != 0)
        return SK_EIO;
    return out_flush(o, true, err);
}

void
backup_out_free(struct backup_out *o)
{
    if (o == NULL)
        return;
    EVP_CIPHER_CTX_free(o->ctx);
    OPENSSL_cleanse(o, sizeof(*o));
    free(o);
}

/* --- reading ----------------------------------------------------------- */

/* The entry parser's state, fed with authenticated bytes. */
struct unpack {
    const char *dir;
    struct backup_info *info;
    unsigned char head[ENTRY_HEAD];
    size_t head_used;
    uint64_t left; /* bytes of the current entry still to come */
    int type;      /* of the current entry, 0 between entries */
    int fd;        /* its file, or -1 */
    bool ended;    /* BACKUP_ENTRY_END seen */
    bool seen_db, seen_key;
};

static void
unpack_path(const struct unpack *u, int type, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", u->dir,
             type == BACKUP_ENTRY_DB ? BACKUP_DB_NAME : BACKUP_KEY_NAME);
}

static int
unpack_open(struct unpack *u, char err[SK_ERR_LEN])
{
    char path[PATH_MAX_SK];
    bool *seen;

    u->type = u->head[0];
    u->left = get64(u->head + 1);
    u->head_used = 0;
    if (u->type == BACKUP_ENTRY_END) {
        u->ended = true;
        u->type = 0;
        if (u->left != 0) {
            sk_seterr(err, "backup: a damaged end of entries");
            return SK_EINVAL;
        }
        return 0;
    }
    if (u->type != BACKUP_ENTRY_DB && u->type != BACKUP_ENTRY_KEY) {
        sk_seterr(err, "backup: an entry of unknown type 0x%02x", u->type);
        return SK_EINVAL;
    }
    seen = u->type == BACKUP_ENTRY_DB ? &u->seen_db : &u->seen_key;
    if (*seen ||
        (u->type == BACKUP_ENTRY_KEY && u->left > BACKUP_KEYFILE_MAX)) {
        sk_seterr(err, "backup: a repeated or oversized entry");
        return SK_EINVAL;
    }
    unpack_path(u, u->type, path, sizeof(path));
    u->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (u->fd < 0) {
        sk_seterr(err, "restore: %s: %s", path, strerror(errno));
        return SK_EIO;
    }
    *seen = true; /* ours now: removed if anything fails */
    if (u->type == BACKUP_ENTRY_DB)
        u->info->db_bytes = (int64_t)u->left;
    else
        u->info->has_key = true;
    return 0;
}

static int
unpack_close(struct unpack *u, char err[SK_ERR_LEN])
{
    int rc = fsync(u->fd);

    rc = close(u->fd) != 0 ? -1 : rc;
    u->fd = -1;
    u->type = 0;
    if (rc != 0) {
        sk_seterr(err, "restore: writing an entry: %s", strerror(errno));
        return SK_EIO;
    }
    return 0;
}

/* Feeds n authenticated bytes to the entry parser. */
static int
unpack_feed(struct unpack *u, const unsigned char *p, size_t n,
            char err[SK_ERR_LEN])
{
    size_t k;
    int rc;

    while (n > 0) {
        if (u->ended) {
            sk_seterr(err, "backup: bytes after the end of the entries");
            return SK_EINVAL;
        }
        if (u->type == 0) {
            k = ENTRY_HEAD - u->head_used < n ? ENTRY_HEAD - u->head_used : n;
            memcpy(u->head + u->head_used, p, k);
            u->head_used += k;
            p += k;
            n -= k;
            if (u->head_used == ENTRY_HEAD && (rc = unpack_open(u, err)) != 0)
                return rc;
        } else {
            k = u->left < n ? (size_t)u->left : n;
            if (write_all(u->fd, p, k, err) != 0)
                return SK_EIO;
            u->left -= k;
            p += k;
            n -= k;
        }
        if (u->type != 0 && u->left == 0 && (rc = unpack_close(u, err)) != 0)
            return rc;
    }
    return 0;
}

/* Reads and checks the header; derives the key. */
static int
read_header(int fd, const char *pass, size_t passlen,
            unsigned char header[BACKUP_HEADER_LEN], unsigned char *key,
            struct backup_info *info, char err[SK_ERR_LEN])
{
    struct backup_kdf kdf;
    size_t got;

    if (read_full(fd, header, BACKUP_HEADER_LEN, &got, err) != 0)
        return SK_EIO;
    if (got < BACKUP_HEADER_LEN || memcmp(header, MAGIC, 8) != 0) {
        sk_seterr(err, "not a sikiliza backup file");
        return SK_EINVAL;
    }
    if (get32(header + 8) != FORMAT_V) {
        sk_seterr(err, "backup format %u is not one this build reads (%d)",
                  (unsigned)get32(header + 8), FORMAT_V);
        return SK_EINVAL;
    }
    kdf.t_cost = get32(header + 12);
    kdf.m_kib = get32(header + 16);
    kdf.lanes = get32(header + 20);
    if (kdf.t_cost < 1 || kdf.t_cost > MAX_T_COST || kdf.m_kib > MAX_M_KIB ||
        kdf.lanes < 1 || kdf.lanes > MAX_LANES) {
        sk_seterr(err, "backup header: a key cost out of bounds (damaged?)");
        return SK_EINVAL;
    }
    info->created_ms = (int64_t)get64(header + 40);
    info->schema = (int)get32(header + 48);
    return derive(pass, passlen, &kdf, header + 24, key, err);
}

/* Reads, checks and feeds every chunk until the final one. */
static int
read_chunks(int fd, EVP_CIPHER_CTX *ctx, const unsigned char *key,
            const unsigned char *header, unsigned char *buf, struct unpack *u,
            char err[SK_ERR_LEN])
{
    uint64_t counter = 0;
    uint32_t lenfield, len;
    size_t got;
    int rc;

    for (;;) {
        if (read_full(fd, buf, 4, &got, err) != 0)
            return SK_EIO;
        if (got < 4) {
            sk_seterr(err, "backup is cut short: chunk %llu is missing",
                      (unsigned long long)counter);
            return SK_EINVAL;
        }
        lenfield = get32(buf);
        len = lenfield & ~FINAL_BIT;
        if (len > BACKUP_CHUNK) {
            sk_seterr(err, "backup: chunk %llu is damaged",
                      (unsigned long long)counter);
            return SK_EINVAL;
        }
        if (read_full(fd, buf, len + TAG_LEN, &got, err) != 0)
            return SK_EIO;
        if (got < len + TAG_LEN) {
            sk_seterr(err, "backup is cut short in chunk %llu",
                      (unsigned long long)counter);
            return SK_EINVAL;
        }
        if (chunk_crypt(ctx, false, key, header, counter, lenfield, buf,
                        (int)len, buf + len) != 0) {
            if (counter == 0)
                sk_seterr(err, "backup does not decrypt: a wrong passphrase, "
                               "or the file is damaged");
            else
                sk_seterr(err, "backup: chunk %llu is damaged or out of order",
                          (unsigned long long)counter);
            return SK_EINVAL;
        }
        counter++;
        if ((rc = unpack_feed(u, buf, len, err)) != 0)
            return rc;
        if ((lenfield & FINAL_BIT) != 0)
            break;
    }
    if (read_full(fd, buf, 1, &got, err) != 0)
        return SK_EIO;
    if (got != 0 || !u->ended || u->type != 0) {
        sk_seterr(err, "backup: %s",
                  got != 0 ? "bytes after its last chunk"
                           : "its entries are incomplete");
        return SK_EINVAL;
    }
    return 0;
}

int
backup_unpack(int fd, const char *pass, size_t passlen, const char *dir,
              struct backup_info *info, char err[SK_ERR_LEN])
{
    unsigned char header[BACKUP_HEADER_LEN], key[KEY_LEN];
    struct unpack u = {.dir = dir, .info = info, .fd = -1};
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    unsigned char *buf = malloc(BACKUP_CHUNK + TAG_LEN);
    char path[PATH_MAX_SK];
    int rc;

    memset(info, 0, sizeof(*info));
    if (ctx == NULL || buf == NULL) {
        sk_seterr(err, "restore: out of memory");
        rc = SK_ENOMEM;
        goto out;
    }
    rc = read_header(fd, pass, passlen, header, key, info, err);
    if (rc == 0)
        rc = read_chunks(fd, ctx, key, header, buf, &u, err);
    if (rc == 0 && !u.seen_db) {
        sk_seterr(err, "backup holds no database");
        rc = SK_EINVAL;
    }
out:
    if (u.fd >= 0)
        close(u.fd);
    if (rc != 0 && u.seen_db) {
        unpack_path(&u, BACKUP_ENTRY_DB, path, sizeof(path));
        unlink(path);
    }
    if (rc != 0 && u.seen_key) {
        unpack_path(&u, BACKUP_ENTRY_KEY, path, sizeof(path));
        unlink(path);
    }
    OPENSSL_cleanse(key, sizeof(key));
    if (buf != NULL)
        OPENSSL_cleanse(buf, BACKUP_CHUNK + TAG_LEN);
    free(buf);
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

/* --- files of both commands ---------------------------------------------- */

/* The directory part of path into out ("." when there is none). */
static void
dir_of(const char *path, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        snprintf(out, size, ".");
    else if (slash == path)
        snprintf(out, size, "/");
    else
        snprintf(out, size, "%.*s", (int)(slash - path), path);
}

int
backup_tmpdir_make(const char *path, const char *name, char *out, size_t size,
                   char err[SK_ERR_LEN])
{
    char dir[PATH_MAX_SK];

    dir_of(path, dir, sizeof(dir));
    if ((size_t)snprintf(out, size, "%s/.%s-XXXXXX", dir, name) >= size) {
        sk_seterr(err, "%s: the path is too long", path);
        return SK_EINVAL;
    }
    if (mkdtemp(out) == NULL) { /* mkdtemp makes it 0700 */
        sk_seterr(err, "cannot make a private directory in %s: %s", dir,
                  strerror(errno));
        out[0] = '\0';
        return SK_EIO;
    }
    return 0;
}

void
backup_tmpdir_remove(const char *dir)
{
    char path[PATH_MAX_SK];
    struct dirent *de;
    DIR *d;

    if (dir == NULL || dir[0] == '\0' || (d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
            sizeof(path))
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int
backup_fsync_dir(const char *path, char err[SK_ERR_LEN])
{
    char dir[PATH_MAX_SK];
    int fd, rc;

    dir_of(path, dir, sizeof(dir));
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        sk_seterr(err, "%s: %s", dir, strerror(errno));
        return SK_EIO;
    }
    rc = fsync(fd);
    close(fd);
    if (rc != 0) {
        sk_seterr(err, "fsync %s: %s", dir, strerror(errno));
        return SK_EIO;
    }
    return 0;
}
