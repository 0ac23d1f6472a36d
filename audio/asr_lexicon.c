/*
 * asr_lexicon.c - the shipped word lists and the cmudict lookup.
 *
 * The lists are tables in this file, so an installed binary needs no data
 * directory. Each row is one pronunciation; a word may have several rows
 * (the decoder tries them all). They were written from espeak-ng's
 * phonemes (`espeak-ng -v fr -x -q WORD`) with this map to the en-us
 * model's CMU phones, and checked against espeak-ng's fr, sw and ar
 * voices:
 *
 *   espeak  CMU      espeak  CMU      espeak      CMU
 *   a a:    AA       i       IY       u           UW
 *   e       EY       E       EH       o           OW
 *   O       AO       @       AH       y (fr. u)   UW, IY
 *   Y W     ER, UH   A~      AA N     O~          OW N, AO N
 *   E~      AE N     W~      AH N     j           Y
 *   r R     R        Z       ZH       S           SH
 *   J       JH, Y    x X H   HH       T           TH
 *   s[      S        A ?     (dropped: ayn and hamza have no CMU phone)
 *
 * Consonants not listed map to the CMU phone of the same letter. The
 * cmudict lookup reads the dictionary file line by line and keeps only the
 * words asked for, so a closed-set decoder never holds the 134 000 words.
 */
#include <stdio.h>
#include <string.h>

#include "asr_lexicon.h"

struct row {
    const char *lang, *word, *phones;
};

static const struct row rows[] = {
    /* French: yes, no, zero..ten */
    {"fra", "oui", "W IY"},
    {"fra", "oui", "W EY"},
    {"fra", "non", "N OW N"},
    {"fra", "non", "N AO N"},
    {"fra", "non", "N OW"},
    {"fra", "zéro", "Z EY R OW"},
    {"fra", "zero", "Z EY R OW"},
    {"fra", "un", "AH N"},
    {"fra", "un", "ER N"},
    {"fra", "une", "UW N"},
    {"fra", "deux", "D ER"},
    {"fra", "deux", "D UH"},
    {"fra", "trois", "T R W AA"},
    {"fra", "quatre", "K AA T R"},
    {"fra", "quatre", "K AA T ER"},
    {"fra", "cinq", "S AE N K"},
    {"fra", "cinq", "S AE NG K"},
    {"fra", "six", "S IY S"},
    {"fra", "sept", "S EH T"},
    {"fra", "huit", "W IY T"},
    {"fra", "neuf", "N ER F"},
    {"fra", "neuf", "N UH F"},
    {"fra", "dix", "D IY S"},
    /* French: the words of the example flows' closed sets */
    {"fra", "famille", "F AA M IY Y"},
    {"fra", "famille", "F AA M IY"},
    {"fra", "très", "T R EH"},
    {"fra", "tres", "T R EH"},
    {"fra", "ami", "AA M IY"},
    {"fra", "amie", "AA M IY"},
    {"fra", "amis", "AA M IY"},
    {"fra", "amies", "AA M IY"},
    {"fra", "parfois", "P AA R F W AA"},
    {"fra", "peu", "P ER"},
    {"fra", "peu", "P UH"},
    {"fra", "enseignant", "AA N S EH N Y AA N"},
    {"fra", "professeur", "P R OW F EH S ER"},
    {"fra", "humanitaire", "UW M AA N IY T EH R"},
    {"fra", "foyer", "F W AA Y EY"},
    {"fra", "camp", "K AA N"},
    {"fra", "camp", "K AO N"},
    {"fra", "abri", "AA B R IY"},
    {"fra", "centre", "S AA N T R"},
    {"fra", "préfère", "P R EY F EH R"},
    {"fra", "prefere", "P R EY F EH R"},
    {"fra", "danger", "D AA N ZH EY"},
    {"fra", "dehors", "D AH AO R"},
    {"fra", "rue", "R UW"},
    {"fra", "rue", "R IY"},
    {"fra", "personne", "P EH R S AO N"},
    {"fra", "ailleurs", "AA Y ER R"},
    {"fra", "autre", "OW T R"},
    {"fra", "passer", "P AA S EY"},
    {"fra", "pas", "P AA"},
    {"fra", "du", "D UW"},
    {"fra", "tout", "T UW"},
    {"fra", "vraiment", "V R EH M AA N"},
    /* Swahili: yes, no, zero..ten */
    {"swa", "ndiyo", "N D IY Y OW"},
    {"swa", "ndiyo", "D IY Y OW"},
    {"swa", "ndio", "N D IY OW"},
    {"swa", "hapana", "HH AA P AA N AA"},
    {"swa", "hapana", "AA P AA N AA"},
    {"swa", "sifuri", "S IY F UW R IY"},
    {"swa", "moja", "M OW JH AA"},
    {"swa", "moja", "M OW Y AA"},
    {"swa", "mbili", "M B IY L IY"},
    {"swa", "mbili", "B IY L IY"},
    {"swa", "tatu", "T AA T UW"},
    {"swa", "nne", "N N EY"},
    {"swa", "nne", "N EH"},
    {"swa", "tano", "T AA N OW"},
    {"swa", "sita", "S IY T AA"},
    {"swa", "saba", "S AA B AA"},
    {"swa", "nane", "N AA N EY"},
    {"swa", "tisa", "T IY S AA"},
    {"swa", "kumi", "K UW M IY"},
    /* Arabic: yes, no, zero..ten, in Arabic script and transliterated */
    {"ara", "نعم", "N AA AH M"},
    {"ara", "نعم", "N AE M"},
    {"ara", "na'am", "N AA AH M"},
    {"ara", "naam", "N AA AH M"},
    {"ara", "لا", "L AA"},
    {"ara", "la", "L AA"},
    {"ara", "صفر", "S IH F ER"},
    {"ara", "sifr", "S IH F ER"},
    {"ara", "واحد", "W AA HH IH D"},
    {"ara", "wahid", "W AA HH IH D"},
    {"ara", "اثنان", "IH TH N AA N"},
    {"ara", "اثنان", "TH N AA N"},
    {"ara", "ithnan", "IH TH N AA N"},
    {"ara", "ثلاثة", "TH AH L AA TH AH"},
    {"ara", "thalatha", "TH AH L AA TH AH"},
    {"ara", "أربعة", "AA R B AA AH"},
    {"ara", "arba'a", "AA R B AA AH"},
    {"ara", "خمسة", "HH AA M S AH"},
    {"ara", "khamsa", "HH AA M S AH"},
    {"ara", "ستة", "S IH T AH"},
    {"ara", "sitta", "S IH T AH"},
    {"ara", "سبعة", "S AA B AA"},
    {"ara", "sab'a", "S AA B AA"},
    {"ara", "ثمانية", "TH AH M AA N IY Y AH"},
    {"ara", "thamaniya", "TH AH M AA N IY Y AH"},
    {"ara", "تسعة", "T IH S AA"},
    {"ara", "tis'a", "T IH S AA"},
    {"ara", "عشرة", "AA SH AA R AH"},
    {"ara", "ashara", "AA SH AA R AH"},
    /* Arabic: a few words of the example flows' closed sets */
    {"ara", "أحد", "AH HH AE D"},
    {"ara", "أبدا", "AE B AE D AE N"},
    {"ara", "كثيرا", "K AE TH IY R AE N"},
    {"ara", "جدا", "JH IH D AE N"},
};

/* The spoken word of each digit 0..9, per language (English: cmudict). */
static const struct {
    const char *lang;
    const char *words[10];
} digit_words[] = {
    {"eng",
     {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
      "nine"}},
    {"fra",
     {"zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit",
      "neuf"}},
    {"swa",
     {"sifuri", "moja", "mbili", "tatu", "nne", "tano", "sita", "saba", "nane",
      "tisa"}},
    {"ara",
     {"صفر", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية",
      "تسعة"}},
};

int
asr_lexicon_is_english(const char *lang)
{
    return lang == NULL || lang[0] == '\0' || strcmp(lang, "eng") == 0 ||
           strcmp(lang, "en") == 0;
}

/* 0..9 for "0".."9" or "٠".."٩" (U+0660..U+0669), else -1. */
static int
digit_value(const char *w)
{
    const unsigned char *u = (const unsigned char *)w;

    if (u[0] >= '0' && u[0] <= '9' && u[1] == '\0')
        return u[0] - '0';
    if (u[0] == 0xd9 && u[1] >= 0xa0 && u[1] <= 0xa9 && u[2] == '\0')
        return u[1] - 0xa0;
    return -1;
}

/* The word a digit token stands for in lang; w itself otherwise. */
static const char *
spoken(const char *lang, const char *w)
{
    const char *l = asr_lexicon_is_english(lang) ? "eng" : lang;
    int d = digit_value(w);

    if (d < 0)
        return w;
    for (size_t i = 0; i < sizeof(digit_words) / sizeof(digit_words[0]); i++)
        if (strcmp(digit_words[i].lang, l) == 0)
            return digit_words[i].words[d];
    return digit_words[0].words[d]; /* an unknown language: English */
}

/* Appends one pronunciation line to e (dropped when it does not fit). */
static void
add_pron(struct asr_lexicon_entry *e, const char *phones, size_t len)
{
    size_t used = strlen(e->phones);

    if (len == 0 || len >= ASR_LEXICON_PHONES ||
        used + len + 2 > sizeof(e->phones))
        return;
    if (used > 0)
        e->phones[used++] = '\n';
    memcpy(e->phones + used, phones, len);
    e->phones[used + len] = '\0';
    e->nprons++;
}

static void
from_rows(const char *lang, struct asr_lexicon_entry *e)
{
    const char *w = spoken(lang, e->word);

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (strcmp(rows[i].lang, lang) == 0 && strcmp(rows[i].word, w) == 0)
            add_pron(e, rows[i].phones, strlen(rows[i].phones));
}

/* One cmudict line "word[(n)] PH PH ..." against the entries still empty. */
static void
from_line(const char *lang, char *line, struct asr_lexicon_entry *entries,
          size_t n, const int *want)
{
    size_t wl = strcspn(line, " \t("), pl;
    char *ph = line + strcspn(line, " \t");

    ph += strspn(ph, " \t");
    pl = strcspn(ph, "\r\n#");
    while (pl > 0 && (ph[pl - 1] == ' ' || ph[pl - 1] == '\t'))
        pl--;
    for (size_t i = 0; i < n; i++) {
        const char *w = spoken(lang, entries[i].word);

        if (want[i] && strlen(w) == wl && memcmp(w, line, wl) == 0)
            add_pron(&entries[i], ph, pl);
    }
}

/* True when e already has the pronunciation ph (len bytes). */
static int
has_pron(const struct asr_lexicon_entry *e, const char *ph, size_t len)
{
    for (const char *l = e->phones; *l != '\0';
         l += strcspn(l, "\n"), l += *l == '\n')
        if (strcspn(l, "\n") == len && memcmp(l, ph, len) == 0)
            return 1;
    return 0;
}

/*
 * Adds the telephone band's variants of e's pronunciations: the band ends
 * at 3.4 kHz, where /s/ and /z/ have most of their noise, so a leading S
 * or Z is heard as the model's weak TH, and a final one after a vowel or
 * consonant fades out ("six" S IH K S also as TH IH K S, S IH K, TH IH K).
 * Measured with tests/bench/asr_voices.sh on its "tune" voices.
 */
static void
add_band_variants(struct asr_lexicon_entry *e)
{
    char orig[sizeof(e->phones)];
    const char *l;

    memcpy(orig, e->phones, sizeof(orig));
    for (l = orig; *l != '\0'; l += strcspn(l, "\n"), l += *l == '\n') {
        size_t len = strcspn(l, "\n"), cut = len;
        int lead = (l[0] == 'S' || l[0] == 'Z') && l[1] == ' ';
        const char *last = l + len;
        char v[ASR_LEXICON_PHONES + 2];
        int n;

        while (last > l && last[-1] != ' ')
            last--;
        if (last > l &&
            (strncmp(last, "S", (size_t)(l + len - last)) == 0 ||
             strncmp(last, "Z", (size_t)(l + len - last)) == 0) &&
            l + len - last == 1 && last - l >= 4)
            cut = (size_t)(last - l - 1);
        for (int k = 0; k < 3; k++) {
            int swap = k != 1, trim = k != 0;

            if ((swap && !lead) || (trim && cut == len))
                continue;
            n = snprintf(v, sizeof(v), "%s%.*s", swap ? "TH" : "",
                         (int)((trim ? cut : len) - (swap ? 1 : 0)),
                         l + (swap ? 1 : 0));
            if (n > 0 && (size_t)n < sizeof(v) && !has_pron(e, v, (size_t)n))
                add_pron(e, v, (size_t)n);
        }
    }
}

int
asr_lexicon_lookup(const char *lang, const char *dict_path,
                   struct asr_lexicon_entry *entries, size_t n,
                   char err[SK_ERR_LEN])
{
    int want[64], missing = 0, english = asr_lexicon_is_english(lang);
    char line[512];
    FILE *f;

    for (size_t i = 0; i < n; i++) {
        entries[i].phones[0] = '\0';
        entries[i].nprons = 0;
        if (!asr_lexicon_is_english(lang))
            from_rows(lang, &entries[i]);
    }
    for (size_t base = 0; base < n; base += 64) {
        size_t m = n - base < 64 ? n - base : 64;

        missing = 0;
        for (size_t i = 0; i < m; i++) {
            want[i] = entries[base + i].nprons == 0;
            missing += want[i];
        }
        if (missing == 0)
            continue;
        f = fopen(dict_path, "r");
        if (f == NULL) {
            sk_seterr(err, "asr: cannot read the dictionary %s", dict_path);
            return SK_EIO;
        }
        while (fgets(line, sizeof(line), f) != NULL)
            from_line(lang, line, entries + base, m, want);
        fclose(f);
    }
    for (size_t i = 0; english && i < n; i++)
        add_band_variants(&entries[i]);
    return 0;
}
