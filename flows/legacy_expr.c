/*
 * legacy_expr.c - legacy expressions (RapidPro's old, Excel-like
 * "excellent" syntax) in the current syntax, as goflow migrates them.
 *
 * A template is scanned as goflow scans one: "@@" is a literal "@",
 * "@name.name..." is a context reference when its first name is one of
 * the legacy top levels (contact, flow, step, extra, ...; otherwise it is
 * text, like an e-mail address), and "@(...)" (or "=(...)" at the start
 * of a word, in the oldest flows) holds an expression. A reference may
 * carry the oldest filters ("@contact.name|upper_case"), which become
 * functions as RapidPro made them. The expression is parsed by a small
 * recursive-descent parser for the old grammar:
 *
 *   concat   := equality ("&" equality)*          lowest
 *   equality := compare (("=" | "<>") compare)*
 *   compare  := additive (("<=" | "<" | ">=" | ">") additive)*
 *   additive := term (("+" | "-") term)*
 *   term     := power (("*" | "/") power)*
 *   power    := unary ("^" unary)*
 *   unary    := "-" unary | primary
 *   primary  := NAME "(" args? ")" | NAME | NUMBER | STRING | TRUE | FALSE
 *             | "(" concat ")"
 *
 * and printed back in the new syntax: old function names become new ones
 * (or templates over their arguments), "<>" becomes "!=", "" inside a
 * string becomes \", and "+"/"-" of a date and a number of days becomes
 * datetime_add() (legacy_add() when the types cannot be told). Nesting is
 * limited to 100 levels, as in goflow. Pure: no I/O, no globals.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "legacy.h"
#include "legacy_int.h"

#define MAX_DEPTH  100             /* goflow's limit on bracket nesting */
#define MAX_REC    (4 * MAX_DEPTH) /* recursion: two a bracket, one a "-" */
#define MAX_PARAMS 64              /* arguments of one function call */

enum tok {
    T_EOF,
    T_ERR,
    T_NUM,
    T_STR,
    T_NAME,
    T_TRUE,
    T_FALSE,
    T_LP,
    T_RP,
    T_COMMA,
    T_OP /* + - * / ^ = <> <= < >= > & */
};

struct px {
    const char *s;
    size_t n, pos;
    enum tok t;    /* current token */
    size_t ts, tn; /* its text */
    int depth;
    bool raw_dates;
    bool bad, oom;
};

/* --- tokens -------------------------------------------------------------- */

static bool
letter(unsigned char c)
{
    return isalpha(c) || c >= 0x80;
}

static void
next(struct px *p)
{
    const char *s = p->s;
    size_t i = p->pos;

    while (i < p->n && strchr(" \t\n\r", s[i]) != NULL)
        i++;
    p->ts = i;
    if (i >= p->n) {
        p->t = T_EOF;
    } else if (isdigit((unsigned char)s[i])) {
        while (i < p->n && isdigit((unsigned char)s[i]))
            i++;
        if (i + 1 < p->n && s[i] == '.' && isdigit((unsigned char)s[i + 1]))
            for (i++; i < p->n && isdigit((unsigned char)s[i]);)
                i++;
        p->t = T_NUM;
    } else if (s[i] == '"') {
        for (i++;
             i < p->n && (s[i] != '"' || (i + 1 < p->n && s[i + 1] == '"'));
             i++)
            if (s[i] == '"')
                i++;
        p->t = i < p->n ? T_STR : T_ERR;
        i++;
    } else if (letter((unsigned char)s[i])) {
        while (i < p->n &&
               (letter((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
                s[i] == '_' || s[i] == '.'))
            i++;
        p->t = T_NAME;
        if (i - p->ts == 4 && strncasecmp(s + p->ts, "true", 4) == 0)
            p->t = T_TRUE;
        if (i - p->ts == 5 && strncasecmp(s + p->ts, "false", 5) == 0)
            p->t = T_FALSE;
    } else {
        char c = s[i++];

        p->t = c == '(' ? T_LP : c == ')' ? T_RP : c == ',' ? T_COMMA : T_OP;
        if ((c == '<' || c == '>') && i < p->n &&
            (s[i] == '=' || (c == '<' && s[i] == '>')))
            i++;
        if (p->t == T_OP && strchr("+-*/^=<>&", c) == NULL)
            p->t = T_ERR;
    }
    if (i > p->n)
        i = p->n;
    p->tn = i - p->ts;
    p->pos = i;
}

static bool
is_op(const struct px *p, const char *op)
{
    return p->t == T_OP && p->tn == strlen(op) &&
           strncmp(p->s + p->ts, op, p->tn) == 0;
}

/* --- building text ------------------------------------------------------- */

static char *fmt(struct px *p, const char *f, ...)
    __attribute__((format(printf, 2, 3)));

static char *
fmt(struct px *p, const char *f, ...)
{
    char *out;
    va_list ap;
    int n;

    va_start(ap, f);
    n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    out = n < 0 ? NULL : malloc((size_t)n + 1);
    if (out != NULL) {
        va_start(ap, f);
        vsnprintf(out, (size_t)n + 1, f, ap);
        va_end(ap);
    }
    if (out == NULL)
        p->oom = true;
    return out;
}

/* pre e post, consuming e. */
static char *
around(struct px *p, const char *pre, char *e, const char *post)
{
    char *out = e == NULL ? NULL : fmt(p, "%s%s%s", pre, e, post);

    free(e);
    return out;
}

/* a op b, consuming a and b. */
static char *
fmt2(struct px *p, char *a, const char *op, char *b)
{
    char *out = NULL;

    if (a != NULL && b != NULL)
        out = fmt(p, "%s %s %s", a, op, b);
    free(a);
    free(b);
    return out;
}

/* --- types, for "+" and "-" ---------------------------------------------- */

/* The type goflow infers from a migrated operand's text, or "". */
static const char *
infer_type(const char *s)
{
    static const char *const fns[][2] = {
        {"abs", "number"},
        {"datetime_add", "datetime"},
        {"datetime_from_parts", "datetime"},
        {"datetime", "datetime"},
        {"date", "date"},
        {"format_date", "date"},
        {"max", "number"},
        {"mean", "number"},
        {"min", "number"},
        {"mod", "number"},
        {"now", "datetime"},
        {"sum", "number"},
        {"rand", "number"},
        {"round", "number"},
        {"round_down", "number"},
        {"round_up", "number"},
        {"time", "time"},
        {"time_from_parts", "time"},
        {"today", "date"},
    };
    const char *d = s + (*s == '-' || *s == '+');
    size_t n = 0;

    if (*d != '\0' && strspn(d, "0123456789") == strlen(d) && strlen(d) < 19)
        return "number";
    while (isalnum((unsigned char)s[n]) || s[n] == '_')
        n++;
    if (n == 0 || s[n] != '(')
        return "";
    for (size_t i = 0; i < sizeof(fns) / sizeof(*fns); i++)
        if (strlen(fns[i][0]) == n && strncmp(fns[i][0], s, n) == 0)
            return fns[i][1];
    return "";
}

/* a + b or a - b, by the operands' types, as goflow rewrites them. */
static char *
add_sub(struct px *p, char *a, char *b, bool minus)
{
    const char *ta, *tb;
    char *out = NULL;

    if (a == NULL || b == NULL)
        goto done;
    ta = infer_type(a);
    tb = infer_type(b);
    if (strcmp(ta, "number") == 0 && strcmp(tb, "number") == 0)
        out = fmt(p, "%s %c %s", a, minus ? '-' : '+', b);
    else if (strcmp(ta, "datetime") == 0 && strcmp(tb, "number") == 0)
        out = fmt(p, "datetime_add(%s, %s%s, \"D\")", a, minus ? "-" : "", b);
    else if (strcmp(ta, "date") == 0 && strcmp(tb, "number") == 0)
        out = fmt(p,
                  p->raw_dates ? "datetime_add(%s, %s%s, \"D\")"
                               : "format_date(datetime_add(%s, %s%s, \"D\"))",
                  a, minus ? "-" : "", b);
    else if (strcmp(ta, "datetime") == 0 && strcmp(tb, "time") == 0)
        out = fmt(p,
                  minus ? "datetime_add(%s, -(format_time(%s, \"tt\") * 60 + "
                          "format_time(%s, \"m\")), \"m\")"
                        : "datetime_add(%s, format_time(%s, \"tt\") * 60 + "
                          "format_time(%s, \"m\"), \"m\")",
                  a, b, b);
    else if (strcmp(tb, "time") == 0 && !minus)
        out = fmt(p, "replace_time(%s, %s)", a, b);
    else
        out = fmt(p, "legacy_add(%s, %s%s)", a, minus ? "-" : "", b);
done:
    free(a);
    free(b);
    return out;
}

/* --- functions ----------------------------------------------------------- */

enum fkind {
    F_RENAME,   /* to(args...) */
    F_TEMPLATE, /* to with $1..$9 for the arguments */
    F_JOIN,     /* the arguments joined by to */
    F_PARAMS    /* to(args...) with each argument migrated by pm */
};

struct fmig {
    const char *name;
    enum fkind kind;
    const char *to;
    const char *pm;       /* F_PARAMS: "a" as is, "d" less one, "s" by_spaces */
    const char *defaults; /* F_PARAMS: the second argument when missing */
};

/* goflow's table of legacy functions; any other is kept as it is. */
static const struct fmig fmigs[] = {
    {"average", F_RENAME, "mean", NULL, NULL},
    {"concatenate", F_JOIN, " & ", NULL, NULL},
    {"date", F_RENAME, "date_from_parts", NULL, NULL},
    {"datedif", F_RENAME, "datetime_diff", NULL, NULL},
    {"datevalue", F_RENAME, "date", NULL, NULL},
    {"day", F_TEMPLATE, "format_date($1, \"D\")", NULL, NULL},
    {"days", F_TEMPLATE, "datetime_diff($2, $1, \"D\")", NULL, NULL},
    {"edate", F_TEMPLATE, "datetime_add($1, $2, \"M\")", NULL, NULL},
    {"exp", F_TEMPLATE, "2.718281828459045 ^ $1", NULL, NULL},
    {"false", F_TEMPLATE, "false", NULL, NULL},
    {"field", F_PARAMS, "field", "ada", NULL},
    {"first_word", F_TEMPLATE, "word($1, 0)", NULL, NULL},
    {"fixed", F_PARAMS, "format_number", "aaa", "2"},
    {"format_date", F_RENAME, "format_datetime", NULL, NULL},
    {"hour", F_TEMPLATE, "format_datetime($1, \"tt\")", NULL, NULL},
    {"int", F_RENAME, "round_down", NULL, NULL},
    {"left", F_TEMPLATE, "text_slice($1, 0, $2)", NULL, NULL},
    {"len", F_RENAME, "text_length", NULL, NULL},
    {"minute", F_TEMPLATE, "format_datetime($1, \"m\")", NULL, NULL},
    {"month", F_TEMPLATE, "format_date($1, \"M\")", NULL, NULL},
    {"power", F_TEMPLATE, "$1 ^ $2", NULL, NULL},
    {"proper", F_RENAME, "title", NULL, NULL},
    {"randbetween", F_RENAME, "rand_between", NULL, NULL},
    {"read_digits", F_RENAME, "read_chars", NULL, NULL},
    {"regex_group", F_RENAME, "regex_match", NULL, NULL},
    {"rept", F_RENAME, "repeat", NULL, NULL},
    {"right", F_TEMPLATE, "text_slice($1, -$2)", NULL, NULL},
    {"rounddown", F_RENAME, "round_down", NULL, NULL},
    {"roundup", F_RENAME, "round_up", NULL, NULL},
    {"second", F_TEMPLATE, "format_datetime($1, \"s\")", NULL, NULL},
    {"substitute", F_RENAME, "replace", NULL, NULL},
    {"sum", F_JOIN, " + ", NULL, NULL},
    {"time", F_TEMPLATE, "time_from_parts($1, $2, $3)", NULL, NULL},
    {"timevalue", F_TEMPLATE, "time($1)", NULL, NULL},
    {"true", F_TEMPLATE, "true", NULL, NULL},
    {"trunc", F_RENAME, "round_down", NULL, NULL},
    {"unichar", F_RENAME, "char", NULL, NULL},
    {"unicode", F_RENAME, "code", NULL, NULL},
    {"weekday", F_TEMPLATE, "weekday($1) + 1", NULL, NULL},
    {"word_count", F_PARAMS, "word_count", "as", NULL},
    {"word_slice", F_PARAMS, "word_slice", "adds", NULL},
    {"word", F_PARAMS, "word", "ads", NULL},
    {"year", F_TEMPLATE, "format_date($1, \"YYYY\")", NULL, NULL},
};

/* One argument migrated by kind m ('a', 'd' or 's'). */
static void
param(struct sk_buf *b, char m, const char *a)
{
    if (m == 'd') {
        char *end;
        long v = strtol(a, &end, 10);

        if (*a != '\0' && *end == '\0' && !isspace((unsigned char)*a) &&
            v > -1000000000L && v < 1000000000L)
            sk_buf_printf(b, "%ld", v - 1);
        else
            sk_buf_printf(b, "%s - 1", a);
    } else if (m == 's') {
        const char *s = a;
        size_t n = strlen(a);

        while (n > 0 && isspace((unsigned char)*s))
            s++, n--;
        while (n > 0 && isspace((unsigned char)s[n - 1]))
            n--;
        sk_buf_str(b, n == 4 && strncasecmp(s, "true", 4) == 0 ? "\" \\t\""
                                                               : "NULL");
    } else
        sk_buf_str(b, a);
}

/* The template t with $k replaced by argument k; false when one lacks. */
static bool
fill_template(struct sk_buf *b, const char *t, char **args, size_t nargs)
{
    for (; *t != '\0'; t++) {
        if (*t == '$' && t[1] >= '1' && t[1] <= '9') {
            size_t k = (size_t)(t[1] - '1');

            if (k >= nargs)
                return false;
            sk_buf_str(b, args[k]);
            t++;
        } else
            sk_buf_addc(b, *t);
    }
    return true;
}

/* The call name(args) migrated; "" when goflow's migrator fails. */
static char *
call(struct px *p, const char *name, char **args, size_t nargs)
{
    const struct fmig *f = NULL;
    struct sk_buf b = {0};
    char *out;

    for (size_t i = 0; i < sizeof(fmigs) / sizeof(*fmigs); i++)
        if (strcmp(fmigs[i].name, name) == 0)
            f = &fmigs[i];
    if (f != NULL && f->kind == F_TEMPLATE) {
        if (!fill_template(&b, f->to, args, nargs)) {
            sk_buf_free(&b);
            sk_buf_str(&b, "");
        }
    } else if (f != NULL && f->kind == F_JOIN) {
        sk_buf_str(&b, "");
        for (size_t i = 0; i < nargs; i++)
            sk_buf_printf(&b, "%s%s", i > 0 ? f->to : "", args[i]);
    } else if (f != NULL && f->kind == F_PARAMS && nargs > strlen(f->pm)) {
        sk_buf_str(&b, "");
    } else {
        size_t n = nargs;

        if (f != NULL && f->kind == F_PARAMS && f->defaults != NULL && n < 2)
            n = 2;
        sk_buf_printf(&b, "%s(", f != NULL ? f->to : name);
        for (size_t i = 0; i < n; i++) {
            const char *a = i < nargs ? args[i] : i == 1 ? f->defaults : "";

            if (i > 0)
                sk_buf_str(&b, ", ");
            if (f != NULL && f->kind == F_PARAMS)
                param(&b, f->pm[i], a);
            else
                sk_buf_str(&b, a);
        }
        sk_buf_addc(&b, ')');
    }
    if ((out = sk_buf_take(&b)) == NULL)
        p->oom = true;
    return out;
}

/* --- the parser ---------------------------------------------------------- */

static char *concat(struct px *p);

/* A string literal: "" inside becomes \". */
static char *
string_lit(struct px *p)
{
    struct sk_buf b = {0};
    const char *s = p->s + p->ts;
    char *out;

    sk_buf_addc(&b, '"');
    for (size_t i = 1; i + 1 < p->tn; i++) {
        if (s[i] == '"' && s[i + 1] == '"') {
            sk_buf_str(&b, "\\\"");
            i++;
        } else
            sk_buf_addc(&b, s[i]);
    }
    sk_buf_addc(&b, '"');
    if ((out = sk_buf_take(&b)) == NULL)
        p->oom = true;
    next(p);
    return out;
}

static char *
func_call(struct px *p, size_t ns, size_t nn)
{
    char *args[MAX_PARAMS], name[64], *out = NULL;
    size_t nargs = 0;

    next(p); /* the ( */
    if (p->t != T_RP) {
        for (;;) {
            char *a = concat(p);

            if (a == NULL)
                goto done;
            if (nargs == MAX_PARAMS) {
                free(a);
                p->bad = true;
                goto done;
            }
            args[nargs++] = a;
            if (p->t != T_COMMA)
                break;
            next(p);
        }
    }
    if (p->t != T_RP || nn >= sizeof(name)) {
        p->bad = true;
        goto done;
    }
    next(p);
    for (size_t i = 0; i < nn; i++)
        name[i] = (char)tolower((unsigned char)p->s[ns + i]);
    name[nn] = '\0';
    out = call(p, name, args, nargs);
done:
    while (nargs > 0)
        free(args[--nargs]);
    return out;
}

static char *
primary(struct px *p)
{
    size_t ns = p->ts, nn = p->tn;
    enum tok t = p->t;
    char *e;

    if (t == T_NUM) {
        next(p);
        return fmt(p, "%.*s", (int)nn, p->s + ns);
    }
    if (t == T_STR)
        return string_lit(p);
    if (t == T_NAME || t == T_TRUE || t == T_FALSE) {
        struct sk_buf b = {0};

        next(p);
        if (p->t == T_LP)
            return func_call(p, ns, nn);
        if (t != T_NAME)
            return fmt(p, "%s", t == T_TRUE ? "true" : "false");
        legacy_ctx_ref(&b, p->s + ns, nn, p->raw_dates);
        if ((e = sk_buf_take(&b)) == NULL)
            p->oom = true;
        return e;
    }
    if (t == T_LP) {
        next(p);
        e = concat(p);
        if (e != NULL && p->t != T_RP) {
            free(e);
            p->bad = true;
            return NULL;
        }
        next(p);
        return around(p, "(", e, ")");
    }
    p->bad = true;
    return NULL;
}

static char *
unary(struct px *p)
{
    char *e;

    if (++p->depth > MAX_REC) {
        p->bad = true;
        return NULL;
    }
    if (is_op(p, "-")) {
        next(p);
        e = unary(p);
        e = around(p, "-", e, "");
    } else
        e = primary(p);
    p->depth--;
    return e;
}

/* One level of left-associative binary operators ops (space separated). */
static char *
binary(struct px *p, int level)
{
    static const char *const ops[][4] = {
        {"&"},      {"=", "<>"}, {"<=", "<", ">=", ">"},
        {"+", "-"}, {"*", "/"},  {"^"}};
    char *a = level == 5 ? unary(p) : binary(p, level + 1);

    while (a != NULL && p->t == T_OP) {
        const char *op = NULL;
        char *b;

        for (int i = 0; i < 4 && ops[level][i] != NULL; i++)
            if (is_op(p, ops[level][i]))
                op = ops[level][i];
        if (op == NULL)
            break;
        next(p);
        b = level == 5 ? unary(p) : binary(p, level + 1);
        if (b == NULL) {
            free(a);
            return NULL;
        }
        if (level == 3)
            a = add_sub(p, a, b, *op == '-');
        else
            a = fmt2(p, a, strcmp(op, "<>") == 0 ? "!=" : op, b);
    }
    return a;
}

static char *
concat(struct px *p)
{
    char *e;

    if (++p->depth > MAX_REC) {
        p->bad = true;
        return NULL;
    }
    e = binary(p, 0);
    p->depth--;
    return e;
}

/* Whether s goes deeper than MAX_DEPTH brackets (goflow's own test). */
static bool
too_deep(const char *s, size_t n)
{
    int depth = 0;

    for (size_t i = 0; i < n; i++) {
        if (strchr("([{", s[i]) != NULL && s[i] != '\0') {
            if (++depth > MAX_DEPTH)
                return true;
        } else if (strchr(")]}", s[i]) != NULL && s[i] != '\0' && depth > 0)
            depth--;
    }
    return false;
}

char *
legacy_expr(const char *expr, size_t n, bool raw_dates, bool *bad)
{
    struct px p = {.s = expr, .n = n, .raw_dates = raw_dates};
    char *e;

    *bad = false;
    if (too_deep(expr, n)) {
        *bad = true;
        return NULL;
    }
    next(&p);
    e = concat(&p);
    if (e != NULL && p.t != T_EOF)
        p.bad = true;
    if (p.bad || p.oom || e == NULL) {
        free(e);
        *bad = p.bad && !p.oom;
        return NULL;
    }
    return e;
}

/* --- templates ------------------------------------------------------------ */

/* The top levels of legacy references (others are text: "@nyaruka"). */
static const char *const legacy_tops[] = {
    "channel", "child", "contact", "date", "extra", "flow", "parent", "step"};

/* The top levels of the current context (a bare @name reference). */
static const char *const run_tops[] = {
    "child",  "contact", "fields", "globals", "input",  "legacy_extra",
    "node",   "parent",  "locals", "results", "resume", "run",
    "ticket", "trigger", "urns",   "webhook"};

static bool
name_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

static bool
in_list(const char *const *list, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && strncasecmp(list[i], s, len) == 0)
            return true;
    return false;
}

/* Whether e can follow a bare @: a name path under a context top level. */
static bool
bare_ident(const char *e)
{
    size_t top;

    if (!letter((unsigned char)*e))
        return false;
    for (const char *c = e; *c != '\0'; c++)
        if (!name_char((unsigned char)*c) && *c != '.')
            return false;
    top = strcspn(e, ".");
    for (size_t i = 0; i < sizeof(run_tops) / sizeof(*run_tops); i++)
        if (strlen(run_tops[i]) == top && strncmp(run_tops[i], e, top) == 0)
            return true;
    return false;
}

/* Appends s as a quoted string literal, escaped as goflow quotes one. */
static void
quote(struct sk_buf *o, const char *s)
{
    sk_buf_addc(o, '"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            sk_buf_printf(o, "\\%c", c);
        else if (c == '\n')
            sk_buf_str(o, "\\n");
        else if (c == '\t')
            sk_buf_str(o, "\\t");
        else if (c == '\r')
            sk_buf_str(o, "\\r");
        else if (c < 0x20 || c == 0x7f)
            sk_buf_printf(o, "\\x%02x", c);
        else
            sk_buf_addc(o, (char)c);
    }
    sk_buf_addc(o, '"');
}

/*
 * Appends the migrated expression e as a template part: wrapped so that
 * an error renders as self (when not NULL), URL-encoded, and in @(...)
 * unless it is a bare reference.
 */
static void
wrap(struct sk_buf *o, const char *e, const char *self, bool url)
{
    struct sk_buf b = {0};
    char *x;

    if (self != NULL) {
        sk_buf_printf(&b, "if(is_error(%s), ", e);
        quote(&b, self);
        sk_buf_printf(&b, ", %s)", e);
    } else
        sk_buf_str(&b, e);
    if (url) {
        if ((x = sk_buf_take(&b)) == NULL) {
            o->fail = true;
            return;
        }
        sk_buf_printf(&b, "url_encode(%s)", x);
        free(x);
    }
    if ((x = sk_buf_take(&b)) == NULL) {
        o->fail = true;
        return;
    }
    sk_buf_printf(o, bare_ident(x) ? "@%s" : "@(%s)", x);
    free(x);
}

/* The end of the identifier that starts at s[i], goflow's scanner's way. */
static size_t
ident_end(const char *s, size_t i, size_t *top)
{
    *top = 0;
    while (s[i] != '\0') {
        if (s[i] == '.') {
            if (*top == 0)
                *top = i;
            if (!name_char((unsigned char)s[i + 1]))
                break;
            i += 2;
        } else if (name_char((unsigned char)s[i]))
            i++;
        else
            break;
    }
    if (*top == 0)
        *top = i;
    return i;
}

/* The end of the expression that starts at s[i] (after "@("): the index
   of its closing parenthesis, or 0 when it is never closed. */
static size_t
expr_end(const char *s, size_t i)
{
    int parens = 1;

    for (; s[i] != '\0'; i++) {
        if (s[i] == '"') {
            bool esc = false;

            for (i++; s[i] != '\0' && (s[i] != '"' || esc); i++)
                esc = s[i] == '\\' && !esc;
            if (s[i] == '\0')
                return 0;
        } else if (s[i] == '(')
            parens++;
        else if (s[i] == ')' && --parens == 0)
            return i;
    }
    return 0;
}

/*
 * The filters of the oldest exports, "@contact.name|upper_case", as
 * RapidPro turned them into legacy expressions before goflow's time
 * (its v7 template migration): each wraps the expression before it, "%s"
 * standing for it and "%a" for the filter's argument. The expression
 * built is then migrated like any other, so "@date.now|time_delta:"1""
 * becomes "date.now + 1" and then datetime_add(now(), 1, "D"), and a
 * reference whose type is not known gets legacy_add().
 */
static const char *const filters[][2] = {
    {"upper_case", "UPPER(%s)"},
    {"lower_case", "LOWER(%s)"},
    {"capitalize", "PROPER(%s)"},
    {"title_case", "PROPER(%s)"},
    {"first_word", "FIRST_WORD(%s)"},
    {"remove_first_word", "REMOVE_FIRST_WORD(%s)"},
    {"read_digits", "READ_DIGITS(%s)"},
    {"time_delta", "%s + %a"},
};

#define MAX_FILTER_ARG 18 /* digits (and a sign) of a time_delta argument */

/*
 * The filter named at s (after a "|"), or -1; *n is the length of its
 * text, arg (of MAX_FILTER_ARG + 1) its argument. Only time_delta takes
 * one, a quoted whole number of days: ':"1"', ':"-7"' or ":'2'".
 */
static int
filter_at(const char *s, size_t *n, char arg[MAX_FILTER_ARG + 1])
{
    size_t w = 0, a;
    int k;

    *n = 0;
    arg[0] = '\0';
    while (isalnum((unsigned char)s[w]) || s[w] == '_')
        w++;
    for (k = (int)(sizeof(filters) / sizeof(*filters)) - 1; k >= 0; k--)
        if (strlen(filters[k][0]) == w && strncasecmp(filters[k][0], s, w) == 0)
            break;
    if (k < 0)
        return -1;
    if (strstr(filters[k][1], "%a") == NULL) {
        if (name_char((unsigned char)s[w]) || s[w] == ':')
            return -1; /* a longer word, or an argument it does not take */
        *n = w;
        return k;
    }
    if (s[w] != ':' || (s[w + 1] != '"' && s[w + 1] != '\''))
        return -1;
    a = w + 2 + (s[w + 2] == '-' || s[w + 2] == '+');
    while (isdigit((unsigned char)s[a]))
        a++;
    if (a == w + 2 + (s[w + 2] == '-' || s[w + 2] == '+') ||
        a - (w + 2) > MAX_FILTER_ARG || s[a] != s[w + 1])
        return -1;
    memcpy(arg, s + w + 2, a - (w + 2));
    arg[a - (w + 2)] = '\0';
    *n = a + 1;
    return k;
}

/*
 * The legacy expression of the reference s[i..*end) and the filters that
 * follow it, as RapidPro wrote it ("UPPER(contact.name)"), in *out, moving
 * *end past them. Returns how many filters there were (0: *out is NULL),
 * or -1 out of memory.
 */
static int
filter_expr(const char *s, size_t i, size_t *end, char **out)
{
    struct sk_buf b = {0};
    char arg[MAX_FILTER_ARG + 1];
    size_t n;
    int k, count = 0;

    *out = NULL;
    sk_buf_printf(&b, "%.*s", (int)(*end - i), s + i);
    while (s[*end] == '|' && (k = filter_at(s + *end + 1, &n, arg)) >= 0) {
        const char *f = filters[k][1], *pct = strstr(f, "%s");
        const char *pa = strstr(f, "%a");
        char *prev = sk_buf_take(&b);

        if (prev == NULL)
            return -1;
        sk_buf_printf(&b, "%.*s%s", (int)(pct - f), f, prev);
        if (pa != NULL)
            sk_buf_printf(&b, "%.*s%s%s", (int)(pa - pct - 2), pct + 2, arg,
                          pa + 2);
        else
            sk_buf_str(&b, pct + 2);
        free(prev);
        *end += 1 + n;
        count++;
    }
    *out = sk_buf_take(&b);
    if (*out == NULL)
        return -1;
    if (count == 0) {
        free(*out);
        *out = NULL;
    }
    return count;
}

/* Migrates the reference at s[i..end) (after an @) and the filters after
   it; returns where the reference ends. */
static size_t
reference(struct sk_buf *o, const char *s, size_t i, size_t end, size_t top,
          unsigned opts)
{
    struct sk_buf m = {0}, self = {0};
    size_t start = end;
    char *e, *me, *fx;
    bool bad = false;

    if (!in_list(legacy_tops, sizeof(legacy_tops) / sizeof(*legacy_tops), s + i,
                 top - i)) {
        sk_buf_printf(o, "@%.*s", (int)(end - i), s + i);
        return end;
    }
    if (filter_expr(s, i, &end, &fx) < 0) {
        o->fail = true;
        return end;
    }
    if (fx != NULL) {
        e = legacy_expr(fx, strlen(fx), opts & LEGACY_RAW_DATES, &bad);
        free(fx);
        if (e == NULL && bad) { /* a filter that does not migrate: text */
            sk_buf_printf(o, "@%.*s", (int)(end - i), s + i);
            return end;
        }
    } else {
        legacy_ctx_ref(&m, s + i, start - i, opts & LEGACY_RAW_DATES);
        e = sk_buf_take(&m);
    }
    sk_buf_printf(&self, "@%.*s", (int)(end - i), s + i);
    me = sk_buf_take(&self);
    if (e == NULL || me == NULL)
        o->fail = true;
    else
        wrap(o, e, (opts & LEGACY_DEFAULT_TO_SELF) ? me : NULL,
             opts & LEGACY_URL_ENCODE);
    free(e);
    free(me);
    return end;
}

/* Migrates the expression s[i..end) (inside "@(...)", or "=(...)"). */
static void
expression(struct sk_buf *o, const char *s, size_t i, size_t end, unsigned opts,
           bool *bad)
{
    char opener = s[i - 2]; /* '@' or '=' */
    struct sk_buf self = {0};
    bool b = false;
    char *e, *me;

    if (end - i == 2 && s[i] == '"' && s[i + 1] == '"')
        return; /* @("") stood for "", to please the old editor */
    e = legacy_expr(s + i, end - i, opts & LEGACY_RAW_DATES, &b);
    if (e == NULL) { /* left as it was */
        sk_buf_printf(o, "%c(%.*s)", opener, (int)(end - i), s + i);
        if (!b)
            o->fail = true;
        else if (bad != NULL)
            *bad = true;
        return;
    }
    sk_buf_printf(&self, "@(%.*s)", (int)(end - i), s + i);
    if ((me = sk_buf_take(&self)) == NULL)
        o->fail = true;
    else
        wrap(o, e, (opts & LEGACY_DEFAULT_TO_SELF) ? me : NULL,
             opts & LEGACY_URL_ENCODE);
    free(me);
    free(e);
}

/* Whether an "=(" at s[i] starts an expression of the oldest syntax. */
static bool
old_expr_start(const char *s, size_t i)
{
    return s[i] == '=' && s[i + 1] == '(' &&
           (i == 0 || isspace((unsigned char)s[i - 1]));
}

char *
legacy_template(const char *tpl, unsigned opts, bool *bad)
{
    struct sk_buf o = {0};
    size_t i = 0, end, top;

    sk_buf_str(&o, "");
    while (tpl != NULL && tpl[i] != '\0') {
        char c = tpl[i], d = tpl[i + 1];

        if ((c == '@' && d == '(') || old_expr_start(tpl, i)) {
            end = expr_end(tpl, i + 2);
            if (end == 0) { /* never closed: text */
                sk_buf_str(&o, tpl + i);
                break;
            }
            expression(&o, tpl, i + 2, end, opts, bad);
            i = end + 1;
        } else if (c == '@' && d == '@') {
            sk_buf_str(&o, "@@");
            i += 2;
        } else if (c == '@' && name_char((unsigned char)d)) {
            end = ident_end(tpl, i + 1, &top);
            i = reference(&o, tpl, i + 1, end, top, opts);
        } else {
            sk_buf_addc(&o, c);
            i++;
        }
    }
    return sk_buf_take(&o);
}
