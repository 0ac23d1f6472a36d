/*
 * expr.c - templates and expressions of the goflow expression language.
 *
 * A template is scanned the way goflow's scanner does it: "@@" is a literal
 * "@", "@(" starts an expression that runs to its balanced ")" (string
 * literals honoured; unbalanced means the rest is literal text), and "@"
 * followed by identifier characters is a path such as @results.age, kept as
 * literal text when its first part is not a top-level context name (so an
 * e-mail address stays as it is). A trailing "." is never part of a path.
 *
 * An expression is parsed by recursive descent and evaluated as it is
 * parsed: there are no side effects, so a syntax error found late simply
 * throws the partial values away. Precedence follows goflow's grammar, from
 * loosest: = != ; < <= > >= ; & ; + - ; * / ; ^ ; unary - ; then lookups
 * (.name, [expr]) and calls. Recursion is capped, so any input gives an
 * error value rather than a crash.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <utf8proc.h>

#include "buf.h"
#include "expr.h"
#include "expr_int.h"
#include "utf8.h"
#include "xval.h"

#define EXPR_MAX_DEPTH 48
#define EXPR_MAX_ARGS  64
#define EXPR_MAX_NAME  128

/* Stands in for a NULL env: no context, no functions but the built-ins. */
static const struct expr_env no_env;

/* The top-level names of goflow's context; others stay literal text. */
static const char *const top_levels[] = {
    "input",   "results",      "contact", "fields",  "run",     "flow",
    "parent",  "child",        "urns",    "globals", "trigger", "resume",
    "webhook", "legacy_extra", "node",    "locals",  NULL};

enum tok {
    T_EOF,
    T_BAD,
    T_NUM,
    T_STR,
    T_NAME,
    T_LP,
    T_RP,
    T_LB,
    T_RB,
    T_COMMA,
    T_DOT,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_CARET,
    T_AMP,
    T_EQ,
    T_NEQ,
    T_LT,
    T_LTE,
    T_GT,
    T_GTE,
    T_ARROW
};

struct parser {
    const struct expr_env *env;
    const char *src;
    size_t len;
    size_t pos;   /* start of the next token */
    enum tok tok; /* current token */
    size_t tstart, tlen;
    int depth;
    const json_t *locals; /* arguments of the anonymous function, or NULL */
    bool skip;            /* reading a function body: call nothing */
    bool failed;          /* syntax error (message in err) or out of memory */
    bool oom;
    char err[SK_ERR_LEN];
    const struct expr_check_fns *chk; /* expr_check(): report, call nothing */
    void *chk_arg;
};

static bool
is_name_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c >= 0x80;
}

static bool
is_name_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

/* ---------------------------------------------------------------------
 * Lexer
 */

/* At most 40 bytes of s, not cutting a UTF-8 sequence. */
static size_t
excerpt_len(const char *s, size_t n)
{
    if (n <= 40)
        return n;
    return sk_utf8_back(s, 40 + 1);
}

static void
syntax_error(struct parser *p)
{
    if (!p->failed) {
        if (p->tok == T_EOF)
            snprintf(p->err, sizeof(p->err), "syntax error at end of input");
        else
            snprintf(p->err, sizeof(p->err), "syntax error at '%.*s'",
                     (int)excerpt_len(p->src + p->tstart, p->tlen),
                     p->src + p->tstart);
    }
    p->failed = true;
}

/* The operator or punctuation token at s[i]; returns the index past it. */
static size_t
lex_op(const char *s, size_t i, size_t len, enum tok *tok)
{
    char c = s[i++];
    char d = i < len ? s[i] : '\0';

    switch (c) {
    case '(':
        *tok = T_LP;
        break;
    case ')':
        *tok = T_RP;
        break;
    case '[':
        *tok = T_LB;
        break;
    case ']':
        *tok = T_RB;
        break;
    case ',':
        *tok = T_COMMA;
        break;
    case '.':
        *tok = T_DOT;
        break;
    case '+':
        *tok = T_PLUS;
        break;
    case '-':
        *tok = T_MINUS;
        break;
    case '*':
        *tok = T_STAR;
        break;
    case '/':
        *tok = T_SLASH;
        break;
    case '^':
        *tok = T_CARET;
        break;
    case '&':
        *tok = T_AMP;
        break;
    case '=':
        if (d == '>') {
            i++;
            *tok = T_ARROW;
        } else {
            *tok = T_EQ;
        }
        break;
    case '!':
        if (d == '=') {
            i++;
            *tok = T_NEQ;
        } else {
            *tok = T_BAD;
        }
        break;
    case '<':
        if (d == '=') {
            i++;
            *tok = T_LTE;
        } else if (d == '>') { /* legacy spelling of != */
            i++;
            *tok = T_NEQ;
        } else {
            *tok = T_LT;
        }
        break;
    case '>':
        if (d == '=') {
            i++;
            *tok = T_GTE;
        } else {
            *tok = T_GT;
        }
        break;
    default:
        *tok = T_BAD;
        break;
    }
    return i;
}

static void
next(struct parser *p)
{
    const char *s = p->src;
    size_t i = p->pos;

    while (i < p->len && isspace((unsigned char)s[i]))
        i++;
    p->tstart = i;
    if (i >= p->len) {
        p->tok = T_EOF;
        p->tlen = 0;
        p->pos = i;
        return;
    }
    if (isdigit((unsigned char)s[i])) {
        while (i < p->len && isdigit((unsigned char)s[i]))
            i++;
        if (i + 1 < p->len && s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
            i++;
            while (i < p->len && isdigit((unsigned char)s[i]))
                i++;
        }
        p->tok = T_NUM;
    } else if (is_name_start((unsigned char)s[i])) {
        while (i < p->len && is_name_char((unsigned char)s[i]))
            i++;
        p->tok = T_NAME;
    } else if (s[i] == '"') {
        i++;
        while (i < p->len && s[i] != '"') {
            if (s[i] == '\\' && i + 1 < p->len)
                i++;
            i++;
        }
        if (i >= p->len) {
            p->tok = T_BAD;
        } else {
            i++;
            p->tok = T_STR;
        }
    } else {
        i = lex_op(s, i, p->len, &p->tok);
    }
    p->tlen = i - p->tstart;
    p->pos = i;
}

/* The value of a string literal token: the quotes removed, escapes read. */
static json_t *
string_literal(const char *s, size_t n)
{
    struct sk_buf b = {0};
    json_t *v;

    sk_buf_add(&b, "", 0);
    for (size_t i = 1; i + 1 < n; i++) {
        char c = s[i];

        if (c == '\\' && i + 2 < n) {
            char e = s[++i];

            switch (e) {
            case 'n':
                c = '\n';
                break;
            case 't':
                c = '\t';
                break;
            case 'r':
                c = '\r';
                break;
            case '"':
            case '\\':
                c = e;
                break;
            default: /* unknown escape: keep it as written */
                sk_buf_add(&b, "\\", 1);
                c = e;
                break;
            }
        }
        sk_buf_add(&b, &c, 1);
    }
    v = b.fail ? NULL : json_string(b.s);
    free(b.s);
    return v;
}

/* ---------------------------------------------------------------------
 * Lookups
 */

static json_t *
lookup_index(json_t *arr, long long idx)
{
    long long n = (long long)json_array_size(arr);

    if (idx >= n || idx < -n)
        return xval_error("index %lld out of range for %lld items", idx, n);
    if (idx < 0)
        idx += n;
    return json_incref(json_array_get(arr, (size_t)idx));
}

/*
 * Looks KEY up in CONTAINER as goflow does: arrays take an index, objects a
 * property; a missing property is an error by dot, null by brackets.
 */
static json_t *
lookup(json_t *container, json_t *key, bool dot)
{
    json_t *res;
    char *text = NULL, *desc;

    if (json_is_array(container)) {
        long long idx;

        res = exprf_to_int(key, &idx);
        return res ? res : lookup_index(container, idx);
    }
    if (json_is_object(container)) {
        json_t *v;

        res = exprf_to_text(key, &text);
        if (res != NULL)
            return res;
        v = exprf_get(container, text);
        if (v != NULL)
            res = json_incref(v);
        else if (dot)
            res = xval_error("object has no property '%s'", text);
        else
            res = json_null();
        free(text);
        return res;
    }
    desc = exprf_describe(container);
    res = xval_error("%s doesn't support lookups", desc ? desc : "value");
    free(desc);
    return res;
}

/* ---------------------------------------------------------------------
 * Parser and evaluator
 */

static json_t *parse_expr(struct parser *p);

static json_t *
oom(struct parser *p)
{
    p->failed = true;
    p->oom = true;
    return NULL;
}

static json_t *apply_value(const struct expr_env *env, const json_t *fn,
                           json_t *const *args, size_t n);

/* Calls NAME: a built-in, else the env's functions (the router tests). */
static json_t *
call_named(const struct expr_env *env, const char *name, json_t *const *args,
           size_t n)
{
    struct expr_env sub = *env; /* the built-ins call function values */
    json_t *res = NULL;
    bool found = false;

    sub.apply = apply_value;
    if (strcmp(name, "prompt") == 0) /* an LLM call: out of scope */
        return xval_error("function prompt is not supported");
    res = exprf_call(&sub, name, args, n, &found);
    if (!found && env->call != NULL) {
        int rc = env->call(env->call_arg, name, args, n, &res);

        if ((rc == 0 && res == NULL) || rc == SK_ENOMEM)
            return NULL;
        if (rc != 0 && rc != SK_ENOENT)
            return xval_error("error calling %s(...): %s", name,
                              sk_strerror(rc));
        found = rc == 0;
    }
    if (!found)
        return xval_error("unknown function: %s", name);
    if (res == NULL || exprf_is_oom(res)) { /* out of memory: no flow error */
        json_decref(res);
        return NULL;
    }
    if (xval_is_error(res)) {
        json_t *wrapped =
            xval_error("error calling %s(...): %s", name, xval_error_msg(res));

        json_decref(res);
        res = wrapped;
    }
    return res;
}

static json_t *eval_n(const struct expr_env *env, const json_t *locals,
                      const char *src, size_t len);

/* Calls an anonymous function value with its arguments bound by name. */
static json_t *
apply_anon(const struct expr_env *env, const json_t *fn, json_t *const *args,
           size_t n)
{
    const json_t *params = json_object_get(fn, "__params__");
    const json_t *body = json_object_get(fn, "__body__");
    const json_t *outer = json_object_get(fn, "__locals__");
    struct expr_env sub = *env;
    json_t *locals, *res;

    if (++sub.depth > EXPR_MAX_DEPTH)
        return xval_error("functions nested too deeply");
    if (json_array_size(params) != n)
        return xval_error("error calling <anon>(...): need %zu argument(s), "
                          "got %zu",
                          json_array_size(params), n);
    locals = outer ? json_copy((json_t *)outer) : json_object();
    if (locals == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (json_object_set(locals,
                            json_string_value(json_array_get(params, i)),
                            args[i]) != 0) {
            json_decref(locals);
            return NULL;
        }
    res =
        eval_n(&sub, locals, json_string_value(body), json_string_length(body));
    json_decref(locals);
    return res;
}

/* Calls the function value fn (see expr_int.h); expr_env.apply. */
static json_t *
apply_value(const struct expr_env *env, const json_t *fn, json_t *const *args,
            size_t n)
{
    const char *name;

    if (env == NULL)
        env = &no_env;
    if (xval_is_error(fn))
        return json_incref((json_t *)fn);
    if (!exprf_is_function(fn)) {
        char *d = exprf_describe(fn);
        json_t *e = xval_error("%s is not a function", d ? d : "value");

        free(d);
        return e;
    }
    name = json_string_value(json_object_get(fn, "__func__"));
    if (name[0] != '\0')
        return call_named(env, name, args, n);
    return apply_anon(env, fn, args, n);
}

/* A function value for the built-in NAME. */
static json_t *
builtin_value(const char *name)
{
    return json_pack("{s:s, s:s}", "__default__", name, "__func__", name);
}

static json_t *
call_function(struct parser *p, const char *name, const json_t *fn,
              json_t **args, size_t n)
{
    json_t *res;

    if (p->skip) /* only finding where a function body ends */
        return json_null();
    if (fn != NULL)
        res = apply_value(p->env, fn, args, n);
    else
        res = call_named(p->env, name, args, n);
    return res ? res : oom(p);
}

/* After NAME "(": the arguments, the ")" and the call; fn is the local
 * function value NAME stands for, or NULL for a built-in. */
static json_t *
parse_call(struct parser *p, const char *name, const json_t *fn)
{
    json_t *args[EXPR_MAX_ARGS];
    size_t n = 0;
    json_t *res = NULL;

    next(p); /* past "(" */
    if (p->tok != T_RP) {
        for (;;) {
            json_t *a = parse_expr(p);

            if (a == NULL)
                goto out;
            if (n == EXPR_MAX_ARGS) {
                json_decref(a);
                syntax_error(p);
                goto out;
            }
            args[n++] = a;
            if (p->tok == T_COMMA) {
                next(p);
                continue;
            }
            break;
        }
    }
    if (p->tok != T_RP) {
        syntax_error(p);
        goto out;
    }
    next(p);
    if (p->chk != NULL && p->chk->call != NULL && fn == NULL &&
        (p->locals == NULL || exprf_get(p->locals, name) == NULL))
        p->chk->call(p->chk_arg, name, n);
    res = call_function(p, name, fn, args, n);
out:
    for (size_t i = 0; i < n; i++)
        json_decref(args[i]);
    return res;
}

/* expr_check(): reports the context path name.a.b that starts here (at
 * most three parts, read from the source after the name). */
static void
check_ref(struct parser *p, const char *name)
{
    char parts[3][EXPR_MAX_NAME];
    const char *list[3];
    size_t n = 1, i = p->pos;

    if (p->chk->ref == NULL)
        return;
    snprintf(parts[0], sizeof(parts[0]), "%s", name);
    while (p->tok == T_DOT && n < 3) {
        size_t start = i, k;

        while (i < p->len && is_name_char((unsigned char)p->src[i]))
            i++;
        if (i == start || i - start >= EXPR_MAX_NAME)
            break;
        for (k = 0; k < i - start; k++)
            parts[n][k] = (char)tolower((unsigned char)p->src[start + k]);
        parts[n][k] = '\0';
        n++;
        if (i >= p->len || p->src[i] != '.')
            break;
        i++;
    }
    for (size_t k = 0; k < n; k++)
        list[k] = parts[k];
    p->chk->ref(p->chk_arg, list, n);
}

/*
 * A bare name: a keyword, a function call, or a value looked up as goflow
 * does: an anonymous function's argument, then the context, then a
 * built-in function (as a function value, for filter() and the like).
 */
static json_t *
parse_name(struct parser *p)
{
    char name[EXPR_MAX_NAME];
    json_t *v, *local;

    if (p->tlen >= sizeof(name)) {
        syntax_error(p);
        return NULL;
    }
    for (size_t i = 0; i < p->tlen; i++)
        name[i] = (char)tolower((unsigned char)p->src[p->tstart + i]);
    name[p->tlen] = '\0';
    next(p);
    local = p->locals ? exprf_get(p->locals, name) : NULL;
    if (p->tok == T_LP)
        return parse_call(p, name, exprf_is_function(local) ? local : NULL);
    if (strcmp(name, "true") == 0)
        return json_true();
    if (strcmp(name, "false") == 0)
        return json_false();
    if (strcmp(name, "null") == 0)
        return json_null();
    if (local != NULL)
        return json_incref(local);
    if (p->chk != NULL)
        check_ref(p, name);
    v = p->env->context ? exprf_get(p->env->context, name) : NULL;
    if (v != NULL)
        return json_incref(v);
    if (exprf_is_builtin(name))
        return builtin_value(name);
    return xval_error("context has no property '%s'", name);
}

/*
 * At "(": whether an anonymous function "(a, b) => ..." starts here. The
 * parameter names go to *params. Leaves the parser where it was.
 */
static bool
anon_params(struct parser *p, json_t *params)
{
    struct parser save = *p;
    bool ok = false;

    next(p);
    while (p->tok == T_NAME) {
        json_t *name = json_stringn(p->src + p->tstart, p->tlen);

        if (name == NULL || json_array_append_new(params, name) != 0)
            break;
        next(p);
        if (p->tok != T_COMMA)
            break;
        next(p);
    }
    if (p->tok == T_RP) {
        next(p);
        ok = p->tok == T_ARROW;
    }
    if (ok) {
        next(p); /* the body starts at the current token */
        return true;
    }
    *p = save;
    json_array_clear(params);
    return false;
}

/* After "(a, b) =>": reads the body through, calling nothing, and makes
 * the function value (body as source, the current arguments kept). */
static json_t *
parse_anon(struct parser *p, json_t *params)
{
    size_t from = p->tstart;
    bool skip = p->skip;
    json_t *body, *fn;

    p->skip = true;
    if (p->chk != NULL) { /* the body's names are its parameters */
        const json_t *outer = p->locals;
        json_t *locals = outer ? json_copy((json_t *)outer) : json_object();

        for (size_t i = 0; locals != NULL && i < json_array_size(params); i++)
            json_object_set_new(locals,
                                json_string_value(json_array_get(params, i)),
                                json_true());
        if (locals == NULL)
            return oom(p);
        p->locals = locals;
        body = parse_expr(p);
        p->locals = outer;
        json_decref(locals);
    } else {
        body = parse_expr(p);
    }
    p->skip = skip;
    if (body == NULL)
        return NULL;
    json_decref(body);
    for (size_t i = 0; i < json_array_size(params); i++) {
        char *lower = strdup(json_string_value(json_array_get(params, i)));

        if (lower == NULL)
            return oom(p);
        for (char *c = lower; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        json_array_set_new(params, i, json_string(lower));
        free(lower);
    }
    fn = json_pack("{s:s, s:s, s:O, s:s%}", "__default__", "<anon>", "__func__",
                   "", "__params__", params, "__body__", p->src + from,
                   p->tstart - from);
    if (fn != NULL && p->locals != NULL &&
        json_object_set(fn, "__locals__", (json_t *)p->locals) != 0) {
        json_decref(fn);
        fn = NULL;
    }
    return fn ? fn : oom(p);
}

static json_t *
parse_primary(struct parser *p)
{
    json_t *v;

    switch (p->tok) {
    case T_NUM: {
        char buf[64];
        double d;

        if (p->tlen >= sizeof(buf)) {
            syntax_error(p);
            return NULL;
        }
        memcpy(buf, p->src + p->tstart, p->tlen);
        buf[p->tlen] = '\0';
        d = strtod(buf, NULL);
        next(p);
        return xval_number(d);
    }
    case T_STR:
        v = string_literal(p->src + p->tstart, p->tlen);
        if (v == NULL)
            return oom(p);
        next(p);
        return v;
    case T_NAME:
        return parse_name(p);
    case T_LP: {
        json_t *params = json_array();

        if (params == NULL)
            return oom(p);
        if (anon_params(p, params)) {
            v = parse_anon(p, params);
            json_decref(params);
            return v;
        }
        json_decref(params);
        next(p);
        v = parse_expr(p);
        if (v == NULL)
            return NULL;
        if (p->tok != T_RP) {
            json_decref(v);
            syntax_error(p);
            return NULL;
        }
        next(p);
        return v;
    }
    default:
        syntax_error(p);
        return NULL;
    }
}

/* After ".": a property name or index, read straight from the source. */
static json_t *
dot_key(struct parser *p)
{
    size_t i = p->pos, start;
    json_t *key;

    start = i;
    while (i < p->len && is_name_char((unsigned char)p->src[i]))
        i++;
    if (i == start) {
        next(p);
        syntax_error(p);
        return NULL;
    }
    key = json_stringn(p->src + start, i - start);
    if (key == NULL)
        return oom(p);
    p->pos = i;
    next(p);
    return key;
}

static json_t *
parse_postfix(struct parser *p)
{
    json_t *v = parse_primary(p);

    while (v != NULL && (p->tok == T_DOT || p->tok == T_LB)) {
        bool dot = p->tok == T_DOT;
        json_t *key, *res;

        if (dot) {
            key = dot_key(p);
        } else {
            next(p);
            key = parse_expr(p);
            if (key != NULL && p->tok != T_RB) {
                syntax_error(p);
                json_decref(key);
                key = NULL;
            }
            if (key != NULL)
                next(p);
        }
        if (key == NULL) {
            json_decref(v);
            return NULL;
        }
        if (xval_is_error(v))
            res = json_incref(v);
        else if (xval_is_error(key))
            res = json_incref(key);
        else
            res = lookup(v, key, dot);
        json_decref(key);
        json_decref(v);
        v = res;
        if (v == NULL)
            return oom(p);
    }
    return v;
}

static json_t *
parse_unary(struct parser *p)
{
    json_t *v, *res;
    double d;

    if (p->tok != T_MINUS)
        return parse_postfix(p);
    if (++p->depth > EXPR_MAX_DEPTH) {
        syntax_error(p);
        return NULL;
    }
    next(p);
    v = parse_unary(p);
    p->depth--;
    if (v == NULL)
        return NULL;
    res = exprf_to_number(v, &d);
    if (res == NULL)
        res = xval_number(-d);
    json_decref(v);
    return res ? res : oom(p);
}

/* Applies a binary operator to two values, giving a new value. */
static json_t *
binary(enum tok op, json_t *a, json_t *b)
{
    double x, y;
    json_t *e;

    if (op == T_AMP) {
        char *s1 = NULL, *s2 = NULL;
        json_t *res;

        if ((e = exprf_to_text(a, &s1)) != NULL)
            return e;
        if ((e = exprf_to_text(b, &s2)) != NULL) {
            free(s1);
            return e;
        }
        if (strlen(s1) + strlen(s2) > EXPR_MAX_TEXT) {
            res = xval_error("text too long");
        } else {
            char *s = malloc(strlen(s1) + strlen(s2) + 1);

            res = NULL;
            if (s != NULL) {
                strcpy(s, s1);
                strcat(s, s2);
                res = json_string(s);
                free(s);
            }
        }
        free(s1);
        free(s2);
        return res;
    }
    if (op == T_EQ || op == T_NEQ) {
        char *s1 = NULL, *s2 = NULL;
        bool eq;

        if (xval_is_error(a))
            return json_incref(a);
        if (xval_is_error(b))
            return json_incref(b);
        e = exprf_to_number(a, &x);
        if (e == NULL && (e = exprf_to_number(b, &y)) == NULL)
            return json_boolean((x == y) == (op == T_EQ));
        json_decref(e); /* not both numbers: compare as text */
        if ((e = exprf_to_text(a, &s1)) != NULL)
            return e;
        if ((e = exprf_to_text(b, &s2)) != NULL) {
            free(s1);
            return e;
        }
        eq = strcmp(s1, s2) == 0;
        free(s1);
        free(s2);
        return json_boolean(eq == (op == T_EQ));
    }
    if ((e = exprf_to_number(a, &x)) != NULL)
        return e;
    if ((e = exprf_to_number(b, &y)) != NULL)
        return e;
    switch (op) {
    case T_PLUS:
        return xval_number(x + y);
    case T_MINUS:
        return xval_number(x - y);
    case T_STAR:
        return xval_number(x * y);
    case T_SLASH:
        if (y == 0)
            return xval_error("division by zero");
        return xval_number(x / y);
    case T_CARET: {
        double r = pow(x, y);

        if (isnan(r) || isinf(r))
            return xval_error("number out of range");
        return xval_number(r);
    }
    case T_LT:
        return json_boolean(x < y);
    case T_LTE:
        return json_boolean(x <= y);
    case T_GT:
        return json_boolean(x > y);
    case T_GTE:
        return json_boolean(x >= y);
    default:
        return xval_error("bad operator");
    }
}

/* Precedence levels, loosest first; each lists its operators. */
static const enum tok levels[][5] = {
    {T_EQ, T_NEQ, T_EOF},     {T_LT, T_LTE, T_GT, T_GTE, T_EOF},
    {T_AMP, T_EOF},           {T_PLUS, T_MINUS, T_EOF},
    {T_STAR, T_SLASH, T_EOF}, {T_CARET, T_EOF},
};
#define NLEVELS (sizeof(levels) / sizeof(levels[0]))

static bool
at_level(const struct parser *p, size_t level)
{
    for (const enum tok *t = levels[level]; *t != T_EOF; t++)
        if (p->tok == *t)
            return true;
    return false;
}

static json_t *
parse_level(struct parser *p, size_t level)
{
    json_t *left;

    if (level == NLEVELS)
        return parse_unary(p);
    left = parse_level(p, level + 1);
    while (left != NULL && at_level(p, level)) {
        enum tok op = p->tok;
        json_t *right, *res;

        next(p);
        right = parse_level(p, level + 1);
        if (right == NULL) {
            json_decref(left);
            return NULL;
        }
        res = binary(op, left, right);
        json_decref(left);
        json_decref(right);
        if (res == NULL)
            return oom(p);
        left = res;
    }
    return left;
}

static json_t *
parse_expr(struct parser *p)
{
    json_t *v;

    if (++p->depth > EXPR_MAX_DEPTH) {
        if (!p->failed)
            snprintf(p->err, sizeof(p->err), "expression nested too deeply");
        p->failed = true;
        return NULL;
    }
    v = parse_level(p, 0);
    p->depth--;
    return v;
}

static json_t *
eval_chk(const struct expr_env *env, const json_t *locals, const char *src,
         size_t len, const struct expr_check_fns *chk, void *chk_arg)
{
    struct parser p = {.env = env,
                       .src = src,
                       .len = len,
                       .locals = locals,
                       .chk = chk,
                       .chk_arg = chk_arg,
                       .skip = chk != NULL};
    json_t *v;

    next(&p);
    v = parse_expr(&p);
    if (v != NULL && p.tok != T_EOF) {
        syntax_error(&p);
        json_decref(v);
        v = NULL;
    }
    if (v != NULL && chk != NULL) { /* read through: only syntax counts */
        json_decref(v);
        return json_true();
    }
    if (v == NULL && !p.oom)
        v = xval_error("%s", p.err[0] ? p.err : "syntax error");
    return v;
}

static json_t *
eval_n(const struct expr_env *env, const json_t *locals, const char *src,
       size_t len)
{
    json_t *v = eval_chk(env, locals, src, len, NULL, NULL);

    if (exprf_is_oom(v)) { /* out of memory, never a flow error */
        json_decref(v);
        return NULL;
    }
    return v;
}

/*
 * A copy of s with every byte that is not valid UTF-8 replaced by U+FFFD,
 * so that all text built from it is valid (jansson insists), or NULL.
 */
static char *
valid_utf8(const char *s)
{
    struct sk_buf b = {0};
    size_t len = strlen(s), i = 0;

    sk_buf_add(&b, "", 0);
    while (i < len) {
        size_t start = i, n;

        while (i < len && (unsigned char)s[i] < 0x80)
            i++;
        sk_buf_add(&b, s + start, i - start);
        if (i >= len)
            break;
        if (sk_utf8_next(s + i, len - i, &n) < 0)
            sk_buf_add(&b, "\xef\xbf\xbd", 3);
        else
            sk_buf_add(&b, s + i, n);
        i += n;
    }
    if (b.fail) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

json_t *
expr_eval(const struct expr_env *env, const char *expr)
{
    char *clean;
    json_t *v;

    if (env == NULL)
        env = &no_env;
    if (expr == NULL)
        return xval_error("no expression");
    clean = valid_utf8(expr);
    if (clean == NULL)
        return NULL;
    v = eval_n(env, NULL, clean, strlen(clean));
    free(clean);
    return v;
}

/* ---------------------------------------------------------------------
 * Templates
 */

/* goflow's isIdentifierChar: a letter, a number, "." or "_". */
static bool
ident_char(utf8proc_int32_t cp)
{
    utf8proc_category_t c;

    if (cp < 0)
        return false;
    if (cp == '.' || cp == '_')
        return true;
    c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

static bool
valid_top_level(const struct expr_env *env, const char *id, size_t n)
{
    size_t k = 0;
    char name[EXPR_MAX_NAME];

    while (k < n && id[k] != '.')
        k++;
    if (k == 0 || k >= sizeof(name))
        return false;
    for (size_t i = 0; i < k; i++)
        name[i] = (char)tolower((unsigned char)id[i]);
    name[k] = '\0';
    for (const char *const *t = top_levels; *t != NULL; t++)
        if (strcmp(*t, name) == 0)
            return true;
    return env->context != NULL && exprf_get(env->context, name) != NULL;
}

/* The end of "@(" ... ")" starting at s[i] (after "@("), or 0 if open. */
static size_t
expression_end(const char *s, size_t len, size_t i)
{
    int parens = 1;

    while (i < len) {
        if (s[i] == '"') {
            i++;
            while (i < len && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < len)
                    i++;
                i++;
            }
            if (i >= len)
                return 0;
        } else if (s[i] == '(') {
            parens++;
        } else if (s[i] == ')' && --parens == 0) {
            return i;
        }
        i++;
    }
    return 0;
}

/* goflow's text of a value; containers as xval_to_text() renders them. */
static void
render_value(const json_t *v, struct sk_buf *b)
{
    char *text = xval_to_text(v);

    if (text == NULL)
        b->fail = true;
    else
        sk_buf_add(b, text, strlen(text));
    free(text);
}

static void
render(const struct expr_env *env, const char *src, size_t n, struct sk_buf *b,
       char *err)
{
    json_t *v = eval_n(env, NULL, src, n);

    if (v == NULL) {
        b->fail = true;
        return;
    }
    if (xval_is_error(v)) {
        if (err != NULL)
            sk_seterr(err, "%s", xval_error_msg(v));
    } else {
        render_value(v, b);
    }
    json_decref(v);
}

/* What an "@" in a template starts. */
enum ref_kind {
    REF_TEXT, /* literal text: [from, from + n) */
    REF_EVAL  /* an expression or path to evaluate: [from, from + n) */
};

struct ref {
    enum ref_kind kind;
    size_t from, n;
    size_t next; /* where scanning goes on */
};

/* Scans what the "@" at tpl[i] starts, as goflow's scanner does. */
static void
scan_ref(const struct expr_env *env, const char *tpl, size_t len, size_t i,
         struct ref *r)
{
    size_t n, end;
    utf8proc_int32_t cp;

    r->kind = REF_TEXT;
    r->from = i;
    r->n = 1;
    r->next = i + 1;
    if (i + 1 >= len)
        return;
    if (tpl[i + 1] == '@') { /* "@@" is a literal "@" */
        r->next = i + 2;
        return;
    }
    if (tpl[i + 1] == '(') {
        end = expression_end(tpl, len, i + 2);
        if (end == 0) { /* unbalanced: the rest is text */
            r->n = len - i;
            r->next = len;
            return;
        }
        r->kind = REF_EVAL;
        r->from = i + 2;
        r->n = end - (i + 2);
        r->next = end + 1;
        return;
    }
    cp = sk_utf8_next(tpl + i + 1, len - i - 1, &n);
    if (!ident_char(cp))
        return;
    end = i + 1;
    while (end < len) {
        cp = sk_utf8_next(tpl + end, len - end, &n);
        if (!ident_char(cp))
            break;
        end += n;
    }
    n = end - (i + 1);
    while (n > 1 && tpl[i + n] == '.') /* trailing dots are text */
        n--;
    r->next = i + 1 + n;
    if (valid_top_level(env, tpl + i + 1, n)) {
        r->kind = REF_EVAL;
        r->from = i + 1;
        r->n = n;
    } else {
        r->n = n + 1;
    }
}

char *
expr_template(const struct expr_env *env, const char *tpl, char err[SK_ERR_LEN])
{
    struct sk_buf b = {0};
    size_t len, i = 0;
    char *clean;

    if (env == NULL)
        env = &no_env;
    clean = valid_utf8(tpl ? tpl : "");
    if (clean == NULL)
        return NULL;
    len = strlen(clean);
    sk_buf_add(&b, "", 0);
    while (i < len && !b.fail) {
        size_t start = i;
        struct ref r;

        while (i < len && clean[i] != '@')
            i++;
        sk_buf_add(&b, clean + start, i - start);
        if (i >= len)
            break;
        scan_ref(env, clean, len, i, &r);
        if (r.kind == REF_EVAL)
            render(env, clean + r.from, r.n, &b, err);
        else
            sk_buf_add(&b, clean + r.from, r.n);
        i = r.next;
    }
    free(clean);
    if (b.fail) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

json_t *
expr_template_value(const struct expr_env *env, const char *tpl,
                    char err[SK_ERR_LEN])
{
    char *clean, *text;
    size_t len, i = 0;
    struct ref r = {.kind = REF_TEXT};
    json_t *v;

    if (env == NULL)
        env = &no_env;
    clean = valid_utf8(tpl ? tpl : "");
    if (clean == NULL)
        return NULL;
    len = strlen(clean);
    while (len > 0 && isspace((unsigned char)clean[len - 1]))
        clean[--len] = '\0';
    while (i < len && isspace((unsigned char)clean[i]))
        i++;
    if (i < len && clean[i] == '@')
        scan_ref(env, clean, len, i, &r);
    if (r.kind == REF_EVAL && r.next == len) {
        v = eval_n(env, NULL, clean + r.from, r.n);
        if (v != NULL && xval_is_error(v) && err != NULL)
            sk_seterr(err, "%s", xval_error_msg(v));
        free(clean);
        return v;
    }
    free(clean);
    text = expr_template(env, tpl, err);
    if (text == NULL)
        return NULL;
    v = json_string(text);
    free(text);
    return v;
}

int
expr_check(const char *tpl, const struct expr_check_fns *fns, void *arg,
           char err[SK_ERR_LEN])
{
    size_t len, i = 0;
    char *clean;
    int rc = 0;

    clean = valid_utf8(tpl ? tpl : "");
    if (clean == NULL)
        return SK_ENOMEM;
    len = strlen(clean);
    while (i < len) {
        struct ref r;
        json_t *v;

        while (i < len && clean[i] != '@')
            i++;
        if (i >= len)
            break;
        scan_ref(&no_env, clean, len, i, &r);
        if (r.kind == REF_TEXT && r.next == len && i + 1 < len &&
            clean[i + 1] == '(' && r.n > 1 && rc == 0) {
            /* goflow shows the rest as it is: "@(" and all */
            sk_seterr(err, "\"@(\" is never closed in \"%.*s\"",
                      (int)(len - i > 60 ? 60 : len - i), clean + i);
            rc = SK_EINVAL;
        }
        i = r.next;
        if (r.kind != REF_EVAL)
            continue;
        v = eval_chk(&no_env, NULL, clean + r.from, r.n, fns, arg);
        if (v == NULL) {
            rc = SK_ENOMEM;
            break;
        }
        if (xval_is_error(v) && rc == 0) {
            sk_seterr(err, "%s in \"@%s%.*s%s\"", xval_error_msg(v),
                      clean[r.from - 1] == '(' ? "(" : "",
                      (int)(r.n > 60 ? 60 : r.n), clean + r.from,
                      clean[r.from - 1] == '(' ? ")" : "");
            rc = SK_EINVAL;
        }
        json_decref(v);
    }
    free(clean);
    return rc;
}

/* ---------------------------------------------------------------------
 * Snake case
 */

char *
expr_snake(const char *name)
{
    struct sk_buf b = {0};
    size_t len = name ? strlen(name) : 0, i = 0;
    bool pending = false; /* a run of non-word characters was seen */

    sk_buf_add(&b, "", 0);
    while (i < len) {
        size_t n;
        utf8proc_int32_t cp = sk_utf8_next(name + i, len - i, &n);
        utf8proc_category_t c =
            cp < 0 ? UTF8PROC_CATEGORY_CN : utf8proc_category(cp);
        bool word = cp == '_' || (cp >= '0' && cp <= '9') ||
                    (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO);

        i += n;
        if (!word) {
            pending = true;
            continue;
        }
        if (pending && b.len > 0)
            sk_buf_add(&b, "_", 1);
        pending = false;
        {
            utf8proc_uint8_t enc[4];
            utf8proc_ssize_t m =
                utf8proc_encode_char(utf8proc_tolower(cp), enc);

            sk_buf_add(&b, (const char *)enc, (size_t)m);
        }
    }
    /* goflow trims "_" from both ends */
    while (b.len > 0 && b.s[b.len - 1] == '_')
        b.s[--b.len] = '\0';
    if (b.fail) {
        free(b.s);
        return NULL;
    }
    if (b.s[0] == '_') {
        size_t k = strspn(b.s, "_");

        memmove(b.s, b.s + k, b.len - k + 1);
    }
    return b.s;
}
