/*
 * audio.c - decode (libsndfile), mix down and resample (libsamplerate).
 *
 * The recording stays in the caller's buffer: libsndfile reads it through
 * a virtual I/O table over a bounded cursor, so nothing touches the disk.
 * The header (frames, rate, channels) is checked against the limits
 * before one sample is decoded, so a 40-byte file claiming ten hours is
 * refused without allocating for ten hours. Samples are read as float,
 * averaged to mono, resampled with SRC_SINC_MEDIUM_QUALITY and clipped to
 * 16 bits, the format PocketSphinx takes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <samplerate.h>
#include <sndfile.h>

#include "audio.h"

struct membuf {
    const unsigned char *data;
    sf_count_t len, pos;
};

static sf_count_t
mem_len(void *user)
{
    return ((struct membuf *)user)->len;
}

static sf_count_t
mem_seek(sf_count_t off, int whence, void *user)
{
    struct membuf *m = user;
    sf_count_t base = whence == SEEK_SET   ? 0
                      : whence == SEEK_CUR ? m->pos
                                           : m->len;

    if (off < -base || base + off > m->len)
        return -1;
    m->pos = base + off;
    return m->pos;
}

static sf_count_t
mem_read(void *ptr, sf_count_t count, void *user)
{
    struct membuf *m = user;
    sf_count_t n = m->len - m->pos;

    if (count < n)
        n = count;
    if (n <= 0)
        return 0;
    memcpy(ptr, m->data + m->pos, (size_t)n);
    m->pos += n;
    return n;
}

static sf_count_t
mem_write(const void *ptr, sf_count_t count, void *user)
{
    (void)ptr;
    (void)count;
    (void)user;
    return 0;
}

static sf_count_t
mem_tell(void *user)
{
    return ((struct membuf *)user)->pos;
}

void
audio_limits_default(struct audio_limits *lim)
{
    lim->max_bytes = 8u << 20;
    lim->max_seconds = 120.0;
    lim->max_channels = 2;
    lim->min_rate = 8000;
    lim->max_rate = 48000;
}

void
audio_pcm_free(struct audio_pcm *pcm)
{
    if (pcm == NULL)
        return;
    free(pcm->samples);
    memset(pcm, 0, sizeof(*pcm));
}

static int
check_header(const SF_INFO *info, size_t len, const struct audio_limits *lim,
             char err[SK_ERR_LEN])
{
    if (info->channels < 1 || info->channels > lim->max_channels) {
        sk_seterr(err, "audio: %d channels (at most %d)", info->channels,
                  lim->max_channels);
        return SK_ELIMIT;
    }
    if (info->samplerate < lim->min_rate || info->samplerate > lim->max_rate) {
        sk_seterr(err, "audio: sample rate %d Hz (%d..%d)", info->samplerate,
                  lim->min_rate, lim->max_rate);
        return SK_ELIMIT;
    }
    if (info->frames <= 0) {
        sk_seterr(err, "%s", "audio: no samples");
        return SK_EINVAL;
    }
    if ((double)info->frames / info->samplerate > lim->max_seconds) {
        sk_seterr(err, "audio: %.0f s long (at most %.0f s)",
                  (double)info->frames / info->samplerate, lim->max_seconds);
        return SK_ELIMIT;
    }
    /* Uncompressed formats cannot hold more frames than bytes allow. */
    if ((info->format & SF_FORMAT_TYPEMASK) == SF_FORMAT_WAV &&
        (sf_count_t)len < info->frames * info->channels) {
        sk_seterr(err, "%s", "audio: header claims more samples than sent");
        return SK_EINVAL;
    }
    return 0;
}

/* Reads all frames as float, averaged to mono, into *out (n frames). */
static int
read_mono(SNDFILE *sf, const SF_INFO *info, float **out, size_t *n,
          char err[SK_ERR_LEN])
{
    size_t frames = (size_t)info->frames, ch = (size_t)info->channels;
    float *mono = calloc(frames, sizeof(*mono));
    float buf[1024];
    size_t got = 0;

    if (mono == NULL) {
        sk_seterr(err, "%s", "audio: out of memory");
        return SK_ENOMEM;
    }
    while (got < frames) {
        sf_count_t want = (sf_count_t)(sizeof(buf) / sizeof(buf[0]) / ch);
        sf_count_t r;

        if ((size_t)want > frames - got)
            want = (sf_count_t)(frames - got);
        r = sf_readf_float(sf, buf, want);
        if (r <= 0)
            break;
        for (sf_count_t i = 0; i < r; i++) {
            float s = 0;

            for (size_t c = 0; c < ch; c++)
                s += buf[(size_t)i * ch + c];
            mono[got + (size_t)i] = s / (float)ch;
        }
        got += (size_t)r;
    }
    if (got == 0) {
        free(mono);
        sk_seterr(err, "audio: cannot decode: %s", sf_strerror(sf));
        return SK_EINVAL;
    }
    *out = mono;
    *n = got;
    return 0;
}

static int
to_pcm(const float *in, size_t n, int in_rate, int out_rate,
       struct audio_pcm *pcm, char err[SK_ERR_LEN])
{
    double ratio = (double)out_rate / in_rate;
    size_t cap = (size_t)ceil((double)n * ratio) + 16;
    float *res = NULL;
    const float *src = in;
    size_t nout = n;

    if (in_rate != out_rate) {
        SRC_DATA d;
        int rc;

        res = calloc(cap, sizeof(*res));
        if (res == NULL)
            goto nomem;
        memset(&d, 0, sizeof(d));
        d.data_in = in;
        d.input_frames = (long)n;
        d.data_out = res;
        d.output_frames = (long)cap;
        d.src_ratio = ratio;
        rc = src_simple(&d, SRC_SINC_MEDIUM_QUALITY, 1);
        if (rc != 0) {
            free(res);
            sk_seterr(err, "audio: resample: %s", src_strerror(rc));
            return SK_EINVAL;
        }
        src = res;
        nout = (size_t)d.output_frames_gen;
    }
    pcm->samples = calloc(nout ? nout : 1, sizeof(*pcm->samples));
    if (pcm->samples == NULL)
        goto nomem;
    for (size_t i = 0; i < nout; i++) {
        float v = src[i] * 32767.0f;

        v = v > 32767.0f ? 32767.0f : v < -32768.0f ? -32768.0f : v;
        pcm->samples[i] = (int16_t)lrintf(v);
    }
    pcm->nsamples = nout;
    pcm->rate = out_rate;
    free(res);
    return 0;
nomem:
    free(res);
    sk_seterr(err, "%s", "audio: out of memory");
    return SK_ENOMEM;
}

int
audio_decode(const void *data, size_t len, const struct audio_limits *lim,
             int out_rate, struct audio_pcm *pcm, char err[SK_ERR_LEN])
{
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    struct membuf m = {data, (sf_count_t)len, 0};
    SF_INFO info;
    SNDFILE *sf = NULL;
    float *mono = NULL;
    size_t n = 0;
    int rc;

    memset(pcm, 0, sizeof(*pcm));
    if (out_rate < 8000 || out_rate > 48000) {
        sk_seterr(err, "audio: output rate %d Hz", out_rate);
        return SK_EINVAL;
    }
    if (data == NULL || len == 0) {
        sk_seterr(err, "%s", "audio: empty");
        return SK_EINVAL;
    }
    if (len > lim->max_bytes) {
        sk_seterr(err, "audio: %zu bytes (at most %zu)", len, lim->max_bytes);
        return SK_ELIMIT;
    }
    memset(&info, 0, sizeof(info));
    sf = sf_open_virtual(&io, SFM_READ, &info, &m);
    if (sf == NULL) {
        sk_seterr(err, "audio: not a recording: %s", sf_strerror(NULL));
        return SK_EINVAL;
    }
    rc = check_header(&info, len, lim, err);
    if (rc == 0)
        rc = read_mono(sf, &info, &mono, &n, err);
    sf_close(sf);
    if (rc == 0)
        rc = to_pcm(mono, n, info.samplerate, out_rate, pcm, err);
    free(mono);
    if (rc == 0) {
        pcm->src_rate = info.samplerate;
        pcm->src_channels = info.channels;
    }
    return rc;
}

static const char *
container_name(int major)
{
    switch (major) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
        return "WAV";
    case SF_FORMAT_FLAC:
        return "FLAC";
    case SF_FORMAT_OGG:
        return "OGG";
    case SF_FORMAT_MPEG:
        return "MP3";
    case SF_FORMAT_AIFF:
        return "AIFF";
    case SF_FORMAT_AU:
        return "AU";
    default:
        return "other";
    }
}

int
audio_probe(const void *data, size_t len, struct audio_info *info,
            char err[SK_ERR_LEN])
{
    SF_VIRTUAL_IO io = {mem_len, mem_seek, mem_read, mem_write, mem_tell};
    struct membuf m = {data, (sf_count_t)len, 0};
    SF_INFO si;
    SNDFILE *sf;
    int major;

    memset(info, 0, sizeof(*info));
    if (data == NULL || len == 0) {
        sk_seterr(err, "%s", "audio: empty");
        return SK_EINVAL;
    }
    memset(&si, 0, sizeof(si));
    sf = sf_open_virtual(&io, SFM_READ, &si, &m);
    if (sf == NULL) {
        sk_seterr(err, "audio: not a recording: %s", sf_strerror(NULL));
        return SK_EINVAL;
    }
    sf_close(sf);
    major = si.format & SF_FORMAT_TYPEMASK;
    info->container = container_name(major);
    info->wav = major == SF_FORMAT_WAV || major == SF_FORMAT_WAVEX;
    info->pcm16 = (si.format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_16;
    info->rate = si.samplerate;
    info->channels = si.channels;
    info->frames = (int64_t)si.frames;
    return 0;
}

int
audio_read_file(const char *path, const struct audio_limits *lim, void **data,
                size_t *len, char err[SK_ERR_LEN])
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    unsigned char *buf = NULL;
    int rc = SK_EIO;

    *data = NULL;
    *len = 0;
    if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        sk_seterr(err, "%s: %s", path, f ? "not a file" : strerror(errno));
        goto out;
    }
    if ((size_t)st.st_size > lim->max_bytes) {
        sk_seterr(err, "%s: %lld bytes (at most %zu)", path,
                  (long long)st.st_size, lim->max_bytes);
        rc = SK_ELIMIT;
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        sk_seterr(err, "%s", "audio: out of memory");
        rc = SK_ENOMEM;
        goto out;
    }
    *len = fread(buf, 1, (size_t)st.st_size, f);
    if (ferror(f)) {
        sk_seterr(err, "%s: read error", path);
        free(buf);
        goto out;
    }
    *data = buf;
    rc = 0;
out:
    if (f != NULL)
        fclose(f);
    return rc;
}

int
audio_write_wav(const char *path, const struct audio_pcm *pcm,
                char err[SK_ERR_LEN])
{
    SF_INFO info;
    SNDFILE *sf;
    sf_count_t w;

    memset(&info, 0, sizeof(info));
    info.samplerate = pcm->rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    sf = sf_open(path, SFM_WRITE, &info);
    if (sf == NULL) {
        sk_seterr(err, "%s: %s", path, sf_strerror(NULL));
        return SK_EIO;
    }
    w = sf_write_short(sf, pcm->samples, (sf_count_t)pcm->nsamples);
    if (sf_close(sf) != 0 || w != (sf_count_t)pcm->nsamples) {
        sk_seterr(err, "%s: write failed", path);
        return SK_EIO;
    }
    return 0;
}
