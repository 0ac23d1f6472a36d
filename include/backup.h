/*
 * backup.h - the encrypted backup file of `sikiliza backup` and
 * `sikiliza restore`: its format, its key and its entries. No sqlite
 * here (the store's copy is store_backup_copy(), store.h). Main thread;
 * each handle belongs to one thread.
 *
 * The file: a 64-byte header in clear (magic "SKBACKUP", format version,
 * the argon2id cost, a random 16-byte salt, when the backup was taken,
 * the database's schema version), then chunks. The key is argon2id of
 * the operator's passphrase and the salt. Each chunk is a 4-byte length
 * (the high bit marks the last chunk), up to BACKUP_CHUNK bytes sealed
 * with AES-256-GCM and its 16-byte tag; the nonce is the chunk's number,
 * and the header, that number and the length are authenticated with it,
 * so a changed byte, a chunk moved, dropped or repeated, a cut file or
 * bytes after the last chunk are all refused. The key is new for every
 * file (the salt), so numbering the nonces never repeats one.
 *
 * Inside, one entry after another: a type byte, an 8-byte size, the
 * bytes. BACKUP_ENTRY_DB is the database, BACKUP_ENTRY_KEY the privacy
 * key file ([privacy] key_file), BACKUP_ENTRY_END closes the list.
 */
#ifndef SK_BACKUP_H
#define SK_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define BACKUP_CHUNK       65536
#define BACKUP_HEADER_LEN  64
#define BACKUP_PASS_MIN    12   /* passphrase bytes, at least */
#define BACKUP_PASS_MAX    1024 /* and at most */
#define BACKUP_KEYFILE_MAX 4096

/* The entries' types. */
#define BACKUP_ENTRY_DB  'D'
#define BACKUP_ENTRY_KEY 'K'
#define BACKUP_ENTRY_END 'Z'

/* Names of the entries' files in a directory backup_unpack() fills. */
#define BACKUP_DB_NAME  "sikiliza.db"
#define BACKUP_KEY_NAME "secret.key"

/* argon2id's cost: passes, memory in KiB, lanes. */
struct backup_kdf {
    uint32_t t_cost, m_kib, lanes;
};
/* What `sikiliza backup` uses: 3 passes over 64 MiB. */
#define BACKUP_KDF_DEFAULT                                                     \
    {                                                                          \
        3, 65536, 1                                                            \
    }

/* What the header tells. */
struct backup_info {
    int64_t created_ms; /* when the backup began (unix ms) */
    int schema;         /* the database's schema version */
    int64_t db_bytes;   /* filled by backup_unpack() */
    bool has_key;       /* the privacy key file is inside */
};

/*
 * Reads a passphrase file: a regular file open to no one but its owner,
 * BACKUP_PASS_MIN..BACKUP_PASS_MAX bytes on its first line (one trailing
 * newline is dropped). 0 with pass[0..*len) (not NUL-terminated), or
 * SK_EINVAL with err saying why.
 */
int backup_passphrase_read(const char *path, char pass[BACKUP_PASS_MAX],
                           size_t *len, char err[SK_ERR_LEN]);

/* Writes a backup file to fd, entry by entry. */
struct backup_out;
/* Writes the header (info's created_ms and schema) and derives the key. */
struct backup_out *backup_out_new(int fd, const char *pass, size_t passlen,
                                  const struct backup_kdf *kdf,
                                  const struct backup_info *info,
                                  char err[SK_ERR_LEN]);
/* Adds the file at path as an entry of type (BACKUP_ENTRY_DB, _KEY). */
int backup_out_file(struct backup_out *o, int type, const char *path,
                    char err[SK_ERR_LEN]);
/* Closes the entry list and writes the last chunk; the caller fsyncs. */
int backup_out_finish(struct backup_out *o, char err[SK_ERR_LEN]);
void backup_out_free(struct backup_out *o); /* NULL is a no-op */

/*
 * Checks and decrypts the backup file at fd into the directory dir
 * (BACKUP_DB_NAME, BACKUP_KEY_NAME, mode 0600) and fills info. Only
 * what every chunk has authenticated is written, and when anything fails
 * (a wrong passphrase, a changed, missing or moved chunk, a cut file,
 * bytes past the end, an entry it does not know) the files it wrote are
 * removed: SK_EINVAL (err says what and at which chunk), SK_EIO, or
 * SK_ENOMEM. A file with no database is refused.
 */
int backup_unpack(int fd, const char *pass, size_t passlen, const char *dir,
                  struct backup_info *info, char err[SK_ERR_LEN]);

/* --- files of both commands ---------------------------------------------- */

/* Makes a private directory (mode 0700) "DIR/.NAME-XXXXXX" in the
 * directory DIR of path (the same file system, so what is made there can
 * be renamed into place), its path into out[0..size). 0 or SK_EIO. */
int backup_tmpdir_make(const char *path, const char *name, char *out,
                       size_t size, char err[SK_ERR_LEN]);
/* Removes the files in dir (it holds no subdirectory) and dir. */
void backup_tmpdir_remove(const char *dir);
/* fsyncs the directory holding path (a rename there is then durable). */
int backup_fsync_dir(const char *path, char err[SK_ERR_LEN]);

#endif
