/*
 * bench_asr - speech recognition figures: the real-time factor of one
 * decoder per mode (a closed set with the trimmed dictionary, the cards
 * JSGF grammar with the whole dictionary, the open language model) at
 * 16 kHz and through the 8 kHz telephone front end; the throughput of an
 * asrpool with every worker busy on closed sets; the memory each kind of
 * decoder adds (RSS before and after asr_new, each in a child process). Beside
 * them, the machine's ceiling measured in the same run: how fast one core runs
 * a fixed floating-point loop, and how many cores there are, so figures from
 * two machines can be compared. Nothing is asserted.
 *
 *   bench_asr [-n JOBS] [-w WORKERS]
 *
 * Needs pocketsphinx-testdata (cards/ and librivox/).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "asr.h"
#include "asrpool.h"
#include "audio.h"
#include "bench_common.h"

#define DATA  "/usr/share/pocketsphinx/test/data"
#define CARDS DATA "/cards/005.wav"
#define LIBRI DATA "/librivox/sense_and_sensibility_01_austen_64kb-0930.wav"

/* Resident set size now, in KiB (not the peak). */
static long
rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* The ceiling: millions of dependent multiply-adds per second, one core. */
static double
ceiling_mflops(void)
{
    volatile double sink;
    double x = 1.0, y = 0.999999;
    int64_t t0 = bench_ns();

    for (long i = 0; i < 200000000L; i++)
        x = x * y + 1e-9;
    sink = x;
    (void)sink;
    return 200.0 / ((double)(bench_ns() - t0) / 1e9);
}

static int
load(const char *path, int rate, struct audio_pcm *pcm)
{
    struct audio_limits lim;
    char err[SK_ERR_LEN] = "";
    void *data;
    size_t len;
    int rc;

    audio_limits_default(&lim);
    if (audio_read_file(path, &lim, &data, &len, err) != 0)
        return -1;
    rc = audio_decode(data, len, &lim, rate, pcm, err);
    free(data);
    return rc;
}

static const char *const yes_no[] = {"yes", "no"};
static const char *const cards[] = {
    "ten of clubs", "five five",
    "eight of spades four of clubs seven of hearts", "seven of clubs"};

/* Builds one decoder, prints its RSS delta and its real-time factor. */
static void
measure_mode(const char *name, struct asr_config *cfg, const char *wav,
             const struct asr_choices *ch)
{
    char err[SK_ERR_LEN] = "", text[1024];
    struct audio_pcm pcm;
    long before = rss_kib();
    struct asr *asr = asr_new(cfg, err);
    double conf, secs;
    int64_t t0;
    int reps = 3;

    if (asr == NULL) {
        printf("%-34s cannot load: %s\n", name, err);
        return;
    }
    if (load(wav, cfg->rate, &pcm) != 0) {
        printf("%-34s cannot read %s\n", name, wav);
        asr_free(asr);
        return;
    }
    /* the first run builds a closed set's grammar: not timed */
    if (ch != NULL)
        asr_transcribe_choices(asr, pcm.samples, pcm.nsamples, ch, text,
                               sizeof(text), &conf, err);
    t0 = bench_ns();
    for (int i = 0; i < reps; i++) {
        if (ch != NULL)
            asr_transcribe_choices(asr, pcm.samples, pcm.nsamples, ch, text,
                                   sizeof(text), &conf, err);
        else
            asr_transcribe(asr, pcm.samples, pcm.nsamples, text, sizeof(text),
                           &conf, err);
    }
    secs = (double)pcm.nsamples / cfg->rate;
    printf("%-34s RTF %.3f  decoder RSS +%ld MiB\n", name,
           (double)(bench_ns() - t0) / 1e9 / reps / secs,
           (rss_kib() - before) / 1024);
    audio_pcm_free(&pcm);
    asr_free(asr);
}

/*
 * Runs measure_mode in a child process, so the RSS delta is the decoder's
 * own and not memory an earlier decoder gave back.
 */
static void
one_mode(const char *name, struct asr_config *cfg, const char *wav,
         const struct asr_choices *ch)
{
    pid_t pid;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        measure_mode(name, cfg, wav, ch);
        fflush(stdout);
        _exit(0);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

struct done {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
};

static void
on_done(int rc, const char *text, double confidence, void *arg)
{
    struct done *d = arg;

    (void)rc;
    (void)text;
    (void)confidence;
    pthread_mutex_lock(&d->mu);
    d->n++;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

/* Every worker busy on closed sets: audio seconds decoded per second. */
static void
throughput(int workers, int jobs)
{
    struct asr_config cfg = {.rate = 16000};
    struct asr_choices ch = {.phrases = cards, .n = 4};
    struct done d = {.n = 0};
    char err[SK_ERR_LEN] = "";
    struct audio_pcm pcm;
    long before = rss_kib();
    struct asrpool *pool = asrpool_new(&cfg, workers, jobs, err);
    int accepted = 0;
    int64_t t0;
    double wall;

    if (pool == NULL || load(CARDS, 16000, &pcm) != 0) {
        printf("pool: cannot start: %s\n", err);
        asrpool_free(pool);
        return;
    }
    printf("pool of %d: %ld MiB for its closed-set decoders\n", workers,
           (rss_kib() - before) / 1024);
    pthread_mutex_init(&d.mu, NULL);
    pthread_cond_init(&d.cv, NULL);
    t0 = bench_ns();
    for (int i = 0; i < jobs; i++) {
        int16_t *copy = malloc(pcm.nsamples * sizeof(*copy));

        if (copy == NULL)
            break;
        memcpy(copy, pcm.samples, pcm.nsamples * sizeof(*copy));
        if (asrpool_submit_choices(pool, copy, pcm.nsamples, &ch, on_done,
                                   &d) == 0)
            accepted++;
        else
            free(copy);
    }
    pthread_mutex_lock(&d.mu);
    while (d.n < accepted)
        pthread_cond_wait(&d.cv, &d.mu);
    pthread_mutex_unlock(&d.mu);
    wall = (double)(bench_ns() - t0) / 1e9;
    printf("pool of %d, %d jobs: %.1f answers/s, %.1f s of audio per s\n",
           workers, accepted, accepted / wall,
           accepted * ((double)pcm.nsamples / 16000) / wall);
    asrpool_free(pool);
    pthread_cond_destroy(&d.cv);
    pthread_mutex_destroy(&d.mu);
    audio_pcm_free(&pcm);
}

int
main(int argc, char **argv)
{
    struct asr_choices yn = {.phrases = yes_no, .n = 2};
    struct asr_choices cs = {.phrases = cards, .n = 4};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = 40, workers = (int)(cores > 0 ? cores : 1);
    int opt;

    while ((opt = getopt(argc, argv, "n:w:")) != -1) {
        if (opt == 'n')
            jobs = atoi(optarg);
        else if (opt == 'w')
            workers = atoi(optarg);
        else {
            fputs("usage: bench_asr [-n JOBS] [-w WORKERS]\n", stderr);
            return 2;
        }
    }
    if (access(CARDS, R_OK) != 0 || access(LIBRI, R_OK) != 0) {
        fputs("bench_asr: pocketsphinx-testdata is not installed\n", stderr);
        return 1;
    }
    printf("ceiling: %.0f M multiply-adds/s on one core, %ld cores\n",
           ceiling_mflops(), cores);
    for (int rate = 16000; rate >= 8000; rate -= 8000) {
        struct asr_config choices = {.rate = rate, .choices = 1};
        struct asr_config gram = {.rate = rate,
                                  .grammar = DATA "/cards/cards.gram"};
        struct asr_config lm = {.rate = rate};
        char name[64];

        snprintf(name, sizeof(name), "%d Hz closed set, yes/no", rate);
        one_mode(name, &choices, CARDS, &yn);
        snprintf(name, sizeof(name), "%d Hz closed set, 4 cards", rate);
        one_mode(name, &choices, CARDS, &cs);
        snprintf(name, sizeof(name), "%d Hz JSGF, whole dictionary", rate);
        one_mode(name, &gram, CARDS, NULL);
        snprintf(name, sizeof(name), "%d Hz language model", rate);
        one_mode(name, &lm, LIBRI, NULL);
    }
    throughput(workers, jobs);
    printf("peak RSS %ld MiB\n", bench_peak_rss_kib() / 1024);
    return 0;
}
